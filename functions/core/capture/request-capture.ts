import type { Clock } from '../domain/clock.js';
import type { CaptureRecord, VersionRecord } from '../domain/model.js';
import type { CaptureLog, CaptureQueue, VersionLog, WatchStore } from '../domain/ports.js';
import { normalizeUrl, watchIdFor } from '../domain/url.js';
import { onDemandWatch } from './capture.js';

export interface RequestCaptureDeps {
  watches: WatchStore;
  captures: CaptureLog;
  versions: VersionLog;
  queue: CaptureQueue;
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
}

export type RequestedCapture =
  | { state: 'captured'; capture: CaptureRecord; version?: VersionRecord; watchRemoved: boolean }
  | { state: 'queued'; watchId: string };

/**
 * Captures a URL through a deployed stack: the request goes on the capture queue like a planned one and
 * the stack's worker captures it. An unwatched URL becomes an hourly watch, kept only if its capture
 * does not fail (as in local mode). Waits up to `waitSeconds` for the capture record; 0 returns at once.
 */
export async function requestCapture(
  deps: RequestCaptureDeps,
  url: string,
  waitSeconds: number,
): Promise<RequestedCapture> {
  const normalized = normalizeUrl(url);
  const now = deps.clock.now();
  let watch = await deps.watches.getWatch(watchIdFor(normalized));
  const created = !watch;
  if (!watch) {
    const draft = onDemandWatch(normalized, now);
    // Due after its first cadence: this request is its first capture, the planner must not queue another.
    watch = { ...draft, nextDueAt: new Date(now.getTime() + draft.cadenceSeconds * 1000).toISOString() };
    await deps.watches.upsertWatch(watch);
  }
  // Known by id, not by time: the worker's clock and this one need not agree.
  const seen = new Set((await deps.captures.listCaptures(watch.id)).map((c) => c.captureId));
  await deps.queue.enqueue([{ watchId: watch.id, dueAt: now.toISOString() }]);
  const deadline = Date.now() + waitSeconds * 1000;
  for (let delay = 250; Date.now() < deadline; delay = Math.min(delay * 2, 2000)) {
    await deps.sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
    const capture = (await deps.captures.listCaptures(watch.id)).find((c) => !seen.has(c.captureId));
    if (!capture) continue;
    const version =
      capture.verdict === 'first' || capture.verdict === 'edited'
        ? (await deps.versions.listVersions(watch.id)).find((v) => v.captureId === capture.captureId)
        : undefined;
    const watchRemoved = created && capture.status === 'failed';
    if (watchRemoved) await deps.watches.removeWatch(watch.id);
    return { state: 'captured', capture, ...(version ? { version } : {}), watchRemoved };
  }
  return { state: 'queued', watchId: watch.id };
}
