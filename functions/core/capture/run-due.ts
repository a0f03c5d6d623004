import type { CaptureRequest } from '../domain/model.js';
import { captureOptions } from '../domain/options.js';
import {
  type CaptureDeps,
  type CaptureResult,
  captureFresh,
  captureWatch,
  leaseEnd,
  recoverWatch,
} from './capture.js';
import type { RunLimits } from './pipeline.js';

export interface RunSummary {
  due: number;
  results: CaptureResult[];
}

/** Where a pass over the due watches is: reported when it starts and as each capture starts and ends. */
export interface RunProgress {
  /** Watches due in this pass. */
  total: number;
  /** Captures ended so far (recorded, or crashed and logged). */
  done: number;
  /** URLs being captured now, in the order their captures started. */
  capturing: readonly string[];
}

/** Captures every watch due now, `concurrency` at a time. One failed watch never stops the others. */
export async function captureDueWatches(
  deps: CaptureDeps,
  options: {
    limit?: number;
    concurrency?: number;
    signal?: AbortSignal;
    /** Told where the pass is; it must not throw (a progress display, never part of the work). */
    onProgress?: (progress: RunProgress) => void;
  } = {},
): Promise<RunSummary> {
  const due = await deps.watches.dueWatches(deps.clock.now(), options.limit ?? 1000);
  const results: CaptureResult[] = [];
  const capturing: string[] = [];
  let done = 0;
  const report = () => options.onProgress?.({ total: due.length, done, capturing: [...capturing] });
  report();
  let next = 0;
  const worker = async () => {
    while (next < due.length && !options.signal?.aborted) {
      const watch = due[next++]!;
      capturing.push(watch.url);
      report();
      try {
        // Leased first, as the planner does on AWS: a watch another process is capturing (a `redline
        // capture` of the same URL, a second scheduler) is not captured twice at once.
        const lease = leaseEnd(deps);
        if (await deps.watches.claimDue(watch.id, watch.nextDueAt, lease)) {
          const leased = { ...watch, nextDueAt: lease };
          results.push(await captureWatch(deps, leased, options.signal ? { signal: options.signal } : {}));
        }
      } catch (error) {
        deps.logger.error('capture crashed', { watchId: watch.id, url: watch.url, error: String(error) });
      }
      capturing.splice(capturing.indexOf(watch.url), 1);
      done++;
      report();
    }
  };
  const concurrency = options.concurrency ?? captureOptions(deps.options).connections.runConcurrency;
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return { due: due.length, results };
}

/**
 * Captures one queued request. Idempotent under duplicate delivery: a watch removed since, or already
 * captured at or after the time it was due, is skipped. A redelivered request whose first attempt died
 * after storing its blobs is finished from its journal entry, not captured again.
 */
export async function captureRequested(
  deps: CaptureDeps,
  request: CaptureRequest,
  limits: RunLimits = {},
): Promise<CaptureResult | 'skipped'> {
  const found = await deps.watches.getWatch(request.watchId);
  const watch = found && (await recoverWatch(deps, found));
  if (!watch) return 'skipped';
  if (watch.lastCapturedAt && watch.lastCapturedAt >= request.dueAt) return 'skipped';
  return captureFresh(deps, watch, limits);
}
