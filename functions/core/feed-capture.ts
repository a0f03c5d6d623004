import type { CaptureDeps } from './capture.js';
import { decodeBody } from './charset.js';
import type { StagedBlobs } from './commit.js';
import { ageCadenceSeconds, discoverLinks } from './discovery.js';
import type { CaptureRecord, Watch } from './model.js';
import type { FetchedResponse } from './ports.js';
import { watchIdFor } from './url.js';
import { buildWatch } from './watches.js';

/** At most this many new article watches from one feed capture (a runaway sitemap cannot flood the table). */
export const MAX_DISCOVERED_PER_CAPTURE = 500;

/**
 * A feed watch's capture: stage the feed as fetched and turn each article link not yet watched into an
 * article watch (same mode and tags, age-based cadence, due now). Returns what its capture record says.
 */
export async function discoverFromFeed(
  deps: CaptureDeps,
  staged: StagedBlobs,
  watch: Watch,
  fetched: FetchedResponse,
): Promise<Pick<CaptureRecord, 'status' | 'http' | 'artifacts' | 'links' | 'discovered' | 'reason'>> {
  const raw = staged.add(fetched.body, fetched.http.contentType);
  const pattern = watch.linkPattern ? new RegExp(watch.linkPattern) : undefined;
  const { urls } = discoverLinks(
    decodeBody(fetched.body, fetched.http.contentType),
    fetched.http.finalUrl,
    pattern,
  );
  const now = deps.clock.now();
  let discovered = 0;
  for (const url of urls) {
    if (discovered >= MAX_DISCOVERED_PER_CAPTURE) break;
    if (await deps.watches.getWatch(watchIdFor(url))) continue;
    const firstSeenAt = now.toISOString();
    const article = buildWatch(
      { url, cadenceSeconds: ageCadenceSeconds(firstSeenAt, now), mode: watch.mode, tags: watch.tags },
      undefined,
      now,
    );
    await deps.watches.upsertWatch({ ...article, firstSeenAt, discoveredFrom: watch.id });
    discovered++;
  }
  const failed = fetched.http.status >= 400;
  return {
    status: failed ? 'failed' : 'complete',
    ...(failed ? { reason: `feed answered HTTP ${fetched.http.status}` } : {}),
    http: fetched.http,
    artifacts: { raw },
    links: urls.length,
    discovered,
  };
}
