import type { Clock } from '../domain/clock.js';
import type { CaptureRequest } from '../domain/model.js';
import type { CaptureQueue, WatchStore } from '../domain/ports.js';

export interface PlanResult {
  /** Watches found due (read from the due index: the cost of a tick). */
  due: number;
  /** Leased and queued for capture. */
  queued: number;
}

/**
 * One scheduler tick: read the due watches (O(due), never all watches), lease each so the next tick
 * does not queue it again, and queue it. Lease first, queue after: if queueing fails, the watch is due
 * again when its lease ends, so nothing is lost.
 */
export async function planDueCaptures(
  deps: { watches: WatchStore; queue: CaptureQueue; clock: Clock },
  options: { limit: number; leaseSeconds: number; claimConcurrency?: number },
): Promise<PlanResult> {
  const now = deps.clock.now();
  const due = await deps.watches.dueWatches(now, options.limit);
  const leaseUntil = new Date(now.getTime() + options.leaseSeconds * 1000).toISOString();
  const requests: CaptureRequest[] = [];
  let next = 0;
  // Leases are independent single-item writes: a few in flight at once, in due order.
  const worker = async () => {
    while (next < due.length) {
      const watch = due[next++]!;
      if (await deps.watches.claimDue(watch.id, watch.nextDueAt, leaseUntil)) {
        requests.push({ watchId: watch.id, dueAt: watch.nextDueAt });
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(options.claimConcurrency ?? 16, Math.max(1, due.length)) }, worker),
  );
  if (requests.length > 0) await deps.queue.enqueue(requests);
  return { due: due.length, queued: requests.length };
}
