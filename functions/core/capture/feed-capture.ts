import { decodeBody } from '../detect/charset.js';
import type { CaptureRecord, Watch } from '../domain/model.js';
import type { FeedLimits } from '../domain/options.js';
import { DEFAULT_CAPTURE_OPTIONS } from '../domain/options.js';
import type { FetchedResponse } from '../domain/ports.js';
import { watchIdFor } from '../domain/url.js';
import { ageCadenceSeconds, discoverLinks } from '../watches/discovery.js';
import { buildWatch } from '../watches/watches.js';
import type { CaptureDeps } from './capture.js';
import type { StagedBlobs } from './commit.js';

export type { FeedLimits };

export const DEFAULT_FEED_LIMITS: FeedLimits = DEFAULT_CAPTURE_OPTIONS.feed;

/**
 * A feed watch's capture: stage the feed as fetched and turn each link not yet watched into a watch
 * (same mode and tags, due now). Links from RSS, Atom, sitemaps and index pages become article watches
 * on the age cadence; a sitemap index's sitemaps become feed watches on the index's own cadence. Links
 * off the feed's site are left out unless the watch's linkScope is `any`. A feed read only in part
 * (over a limit) makes a partial capture that says which limit. Returns what its capture record says.
 */
export async function discoverFromFeed(
  deps: CaptureDeps,
  staged: StagedBlobs,
  watch: Watch,
  fetched: FetchedResponse,
  limits: Partial<FeedLimits> = {},
): Promise<Pick<CaptureRecord, 'status' | 'http' | 'artifacts' | 'links' | 'discovered' | 'reason'>> {
  const { maxBytes, maxItems, maxDiscovered } = { ...DEFAULT_FEED_LIMITS, ...limits };
  const raw = staged.add(fetched.body, fetched.http.contentType);
  const cut = fetched.body.byteLength > maxBytes;
  const { kind, urls, truncated, offSite } = discoverLinks(
    decodeBody(cut ? fetched.body.subarray(0, maxBytes) : fetched.body, fetched.http.contentType),
    fetched.http.finalUrl,
    {
      ...(watch.linkPattern ? { linkPattern: new RegExp(watch.linkPattern) } : {}),
      scope: watch.linkScope ?? 'site',
      siteUrls: [watch.url],
      maxItems,
    },
  );
  const now = deps.clock.now();
  const childFeeds = kind === 'sitemap-index';
  // A sitemap index that lists itself (or the feed it redirected from) is not its own child.
  const self = new Set([watchIdFor(watch.url), watchIdFor(fetched.http.finalUrl)]);
  let discovered = 0;
  for (const url of urls) {
    if (discovered >= maxDiscovered) break;
    const id = watchIdFor(url);
    if (self.has(id) || (await deps.watches.getWatch(id))) continue;
    const settings = { url, mode: watch.mode, tags: watch.tags };
    if (childFeeds) {
      const child = buildWatch(
        { ...settings, cadenceSeconds: watch.cadenceSeconds, feed: true },
        undefined,
        now,
      );
      await deps.watches.upsertWatch({
        ...child,
        ...(watch.linkScope ? { linkScope: watch.linkScope } : {}),
        discoveredFrom: watch.id,
      });
    } else {
      const firstSeenAt = now.toISOString();
      const cadenceSeconds = ageCadenceSeconds(firstSeenAt, now);
      const article = buildWatch({ ...settings, cadenceSeconds }, undefined, now);
      await deps.watches.upsertWatch({ ...article, firstSeenAt, discoveredFrom: watch.id });
    }
    discovered++;
  }
  if (offSite > 0)
    deps.logger.info('feed links off its site left out', { watchId: watch.id, url: watch.url, offSite });
  const failed = fetched.http.status >= 400;
  const limited = truncated
    ? `feed read in part: stopped after ${maxItems} items (the item limit)`
    : cut
      ? `feed read in part: only its first ${maxBytes} of ${fetched.body.byteLength} bytes (the byte limit)`
      : undefined;
  const reason = failed ? `feed answered HTTP ${fetched.http.status}` : limited;
  return {
    status: failed ? 'failed' : limited ? 'partial' : 'complete',
    ...(reason ? { reason } : {}),
    http: fetched.http,
    artifacts: { raw },
    links: urls.length,
    discovered,
  };
}
