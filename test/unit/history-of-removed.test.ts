import { describe, expect, it } from 'vitest';
import { articlePage, ORIGINAL } from '../../demo/news-site.js';
import { formatCaptureLine, formatLastCapture } from '../../functions/cli/format.js';
import { captureWatch } from '../../functions/core/capture/capture.js';
import { captureDueWatches, type RunProgress } from '../../functions/core/capture/run-due.js';
import { sha256 } from '../../functions/core/domain/digest.js';
import { CaptureNotFoundError, WatchNotFoundError } from '../../functions/core/domain/errors.js';
import {
  findHistory,
  getCaptureArtifact,
  getSnapshot,
  latestTroubledCaptures,
} from '../../functions/core/history/history.js';
import { addWatch, removeWatch } from '../../functions/core/watches/watches.js';
import { memoryCaptureDeps } from '../support/memory.js';

const URL_A = 'https://news.example/2026/11/24/flood-barrier';
const BLOCKED = '<html><body><h1>Access denied</h1><p>Subscribe to read.</p></body></html>';

/** A watch captured as an article, then behind a 403, then gone (404), then unreachable. */
async function troubledWatch() {
  const { deps, catalog, advance } = memoryCaptureDeps();
  const { watch } = await addWatch(deps, { url: URL_A, cadenceSeconds: 900, mode: 'auto', tags: [] });
  const current = async () => (await catalog.getWatch(watch.id))!;
  deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 1) });
  await captureWatch(deps, watch);
  advance(15);
  deps.fetcher.pages.set(URL_A, { status: 403, body: BLOCKED });
  const blocked = await captureWatch(deps, await current());
  advance(15);
  deps.fetcher.pages.set(URL_A, { status: 404, body: '<html><body>Not found</body></html>' });
  const gone = await captureWatch(deps, await current());
  return { deps, catalog, advance, watch, current, blocked, gone };
}

describe('the state a watch list shows', () => {
  it('names the anomaly and HTTP status of the latest capture, not "complete"', async () => {
    const { deps, current, gone } = await troubledWatch();
    expect(gone.capture).toMatchObject({ status: 'complete', verdict: 'anomaly', anomaly: 'not_found' });
    const watch = await current();
    const latest = await latestTroubledCaptures(deps, [watch]);
    expect(latest.get(watch.id)?.captureId).toBe(gone.capture.captureId);
    expect(formatLastCapture(watch, latest.get(watch.id))).toBe(
      `last anomaly ${gone.capture.capturedAt} (HTTP 404: not_found)`,
    );
    // Without the capture record, the watch record alone still says it.
    expect(formatLastCapture(watch)).toBe(`last anomaly ${gone.capture.capturedAt} (not_found)`);
  });

  it('shows a failure with its reason, and the anomaly before it as still open', async () => {
    const { deps, current, advance } = await troubledWatch();
    advance(15);
    deps.fetcher.pages.delete(URL_A);
    const failed = await captureWatch(deps, await current());
    expect(failed.capture.status).toBe('failed');
    const watch = await current();
    const latest = (await latestTroubledCaptures(deps, [watch])).get(watch.id);
    expect(formatLastCapture(watch, latest)).toBe(
      `last failed ${failed.capture.capturedAt} (${failed.capture.reason}); open anomaly: not_found`,
    );
  });

  it('looks up no capture for a watch whose last capture was a plain success', async () => {
    const { deps, catalog } = memoryCaptureDeps();
    const { watch } = await addWatch(deps, { url: URL_A, cadenceSeconds: 900, mode: 'http', tags: [] });
    deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 1) });
    const first = await captureWatch(deps, watch);
    const after = (await catalog.getWatch(watch.id))!;
    expect((await latestTroubledCaptures(deps, [after])).size).toBe(0);
    expect(formatLastCapture(after)).toBe(`last complete ${first.capture.capturedAt}`);
  });
});

describe('the history of a removed watch', () => {
  it('stays readable by URL: versions, snapshots and any capture’s artifacts, hash-verified', async () => {
    const { deps, watch, blocked } = await troubledWatch();
    await removeWatch(deps, URL_A);
    expect(await deps.watches.getWatch(watch.id)).toBeUndefined();

    const of = await findHistory(deps, `${URL_A}#section`);
    expect(of).toEqual({ id: watch.id, url: URL_A });
    const snapshot = await getSnapshot(deps, of, {}, 'text');
    expect(snapshot.version.number).toBe(1);

    // The paywall capture made no version, but its screenshot and WARC are stored and reachable.
    expect(blocked.capture.verdict).toBe('anomaly');
    for (const format of ['png', 'warc', 'html'] as const) {
      const got = await getCaptureArtifact(deps, of, blocked.capture.captureId, format);
      expect(sha256(got.bytes)).toBe(got.artifact.digest);
    }
    expect(formatCaptureLine(blocked.capture)).toContain(`${blocked.capture.captureId}  complete`);
    expect(formatCaptureLine(blocked.capture)).toMatch(/\[html, .*png.*warc\]$/);
    await expect(getCaptureArtifact(deps, of, 'no-such-capture', 'png')).rejects.toThrow(
      CaptureNotFoundError,
    );
  });

  it('is refused for a URL that was never watched', async () => {
    const { deps } = memoryCaptureDeps();
    await expect(findHistory(deps, 'https://never.example/x')).rejects.toThrow(WatchNotFoundError);
  });
});

describe('captureDueWatches progress', () => {
  it('reports the pass as it starts, as each capture starts, and as each ends', async () => {
    const { deps } = memoryCaptureDeps();
    const other = 'https://news.example/other';
    await addWatch(deps, { url: URL_A, cadenceSeconds: 900, mode: 'http', tags: [] });
    await addWatch(deps, { url: other, cadenceSeconds: 900, mode: 'http', tags: [] });
    deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 1) });
    const seen: RunProgress[] = [];
    const summary = await captureDueWatches(deps, { concurrency: 1, onProgress: (p) => seen.push(p) });
    expect(summary.due).toBe(2);
    expect(seen).toEqual([
      { total: 2, done: 0, capturing: [] },
      { total: 2, done: 0, capturing: [URL_A] },
      { total: 2, done: 1, capturing: [] },
      { total: 2, done: 1, capturing: [other] },
      { total: 2, done: 2, capturing: [] },
    ]);
  });
});
