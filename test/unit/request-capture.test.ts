import { describe, expect, it } from 'vitest';
import { articlePage, ORIGINAL } from '../../demo/news-site.js';
import { requestCapture } from '../../functions/core/capture/request-capture.js';
import { captureRequested } from '../../functions/core/capture/run-due.js';
import type { CaptureRequest } from '../../functions/core/domain/model.js';
import { watchIdFor } from '../../functions/core/domain/url.js';
import { memoryCaptureDeps } from '../support/memory.js';

const URL_A = 'https://news.example/2026/11/24/flood-barrier';

/** A queue whose "worker" captures each request when the caller next sleeps, as a deployed stack would. */
function stage() {
  const env = memoryCaptureDeps();
  const queued: CaptureRequest[] = [];
  const deps = {
    ...env.deps,
    queue: { enqueue: async (requests: CaptureRequest[]) => void queued.push(...requests) },
    sleep: async () => {
      for (const request of queued.splice(0)) await captureRequested(env.deps, request);
    },
  };
  return { ...env, deps, queued };
}

describe('requestCapture (the CLI on a deployed stack)', () => {
  it('queues an unwatched URL as a new watch not due again before its cadence, and returns at once with wait 0', async () => {
    const { deps, queued, catalog } = stage();
    const result = await requestCapture(deps, URL_A, 0);
    expect(result).toEqual({ state: 'queued', watchId: watchIdFor(URL_A) });
    expect(queued).toEqual([{ watchId: watchIdFor(URL_A), dueAt: '2026-11-26T10:00:00.000Z' }]);
    expect(catalog.watches.get(watchIdFor(URL_A))?.nextDueAt).toBe('2026-11-26T11:00:00.000Z');
  });

  it('waits for the capture record and its version', async () => {
    const { deps } = stage();
    deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 1) });
    const result = await requestCapture(deps, URL_A, 30);
    expect(result).toMatchObject({
      state: 'captured',
      capture: { status: 'complete', verdict: 'first', version: 1 },
      version: { number: 1 },
      watchRemoved: false,
    });
  });

  it('removes the watch it created when that capture failed, as local mode never adds one', async () => {
    const { deps, catalog } = stage();
    const result = await requestCapture(deps, 'https://unreachable.example/story', 30);
    expect(result).toMatchObject({ state: 'captured', capture: { status: 'failed' }, watchRemoved: true });
    expect(catalog.watches.size).toBe(0);
  });
});
