import type { Watch } from '../domain/model.js';
import type { AlertLimit } from '../domain/options.js';

export type { AlertLimit };

/** Whether one more alert may go out for this watch now, and the window state after it. */
export function admitAlert(
  watch: Pick<Watch, 'alertWindowStart' | 'alertsInWindow'>,
  now: Date,
  limit: AlertLimit,
): { allowed: boolean; alertWindowStart: string; alertsInWindow: number } {
  const start = watch.alertWindowStart ? Date.parse(watch.alertWindowStart) : Number.NEGATIVE_INFINITY;
  const fresh = now.getTime() - start >= limit.windowSeconds * 1000;
  const windowStart = fresh ? now.toISOString() : watch.alertWindowStart!;
  const count = fresh ? 0 : watch.alertsInWindow;
  if (count >= limit.max) return { allowed: false, alertWindowStart: windowStart, alertsInWindow: count };
  return { allowed: true, alertWindowStart: windowStart, alertsInWindow: count + 1 };
}
