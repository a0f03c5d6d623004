/**
 * Publishing a capture's notifications without ever holding the watch back. A capture keeps each
 * notification it makes as a pending record, written with its other records; publishing comes after and
 * may fail. A failed publish is retried with exponential backoff by later captures of the watch (each
 * capture first delivers what is due); after the last attempt the notification is kept as
 * `undeliverable` and reported once on the alerts topic. Works the same on DynamoDB and dynalite: single
 * conditional writes only.
 */
import type { Clock } from '../domain/clock.js';
import type { FailureNotification, Notification, PendingNotification } from '../domain/model.js';
import type { DeliverySettings } from '../domain/options.js';
import { type CaptureOptionsInput, captureOptions, DEFAULT_CAPTURE_OPTIONS } from '../domain/options.js';
import type { CaptureJournal, Logger, Notifier } from '../domain/ports.js';
import { cleanText, clip, fitAlert, fitNotification } from './fit.js';

export type { DeliverySettings };

export const DEFAULT_DELIVERY_SETTINGS: DeliverySettings = DEFAULT_CAPTURE_OPTIONS.delivery;

export interface DeliveryDeps {
  journal: CaptureJournal;
  notifier: Notifier;
  clock: Clock;
  logger: Logger;
  /** Notification retries are `options.delivery` (deliveries and captures read one options object). */
  options?: CaptureOptionsInput;
}

export interface DeliveryRun {
  delivered: number;
  failed: number;
  undeliverable: number;
}

/** Wait before the attempt after `attempts` failed ones: backoff × 2^(attempts−1), capped. */
export function backoffSeconds(attempts: number, settings: DeliverySettings): number {
  return Math.min(settings.maxBackoffSeconds, settings.backoffSeconds * 2 ** Math.max(0, attempts - 1));
}

/** The pending record for one of a capture's notifications (ids are stable: a retried write keeps one). */
export function pendingFor(captureId: string, notification: Notification, now: Date): PendingNotification {
  const kind = notification.type.slice('redline.'.length);
  return {
    watchId: notification.watchId,
    id: `${captureId}#${kind}`,
    createdAt: now.toISOString(),
    status: 'pending',
    attempts: 0,
    nextAttemptAt: now.toISOString(),
    notification: fitNotification(notification),
  };
}

export function publish(notifier: Notifier, notification: Notification): Promise<void> {
  switch (notification.type) {
    case 'redline.edit':
      return notifier.publishEdit(notification);
    case 'redline.anomaly':
      return notifier.publishAnomaly(notification);
    case 'redline.failure':
      return notifier.publishFailure(notification);
  }
}

const errorText = (error: unknown) =>
  clip(cleanText(error instanceof Error ? `${error.name}: ${error.message}` : String(error), true), 1000);

/**
 * Publishes the watch's kept notifications that are due, oldest first; never throws (a store or
 * notifier failure is logged and left for the next run). Each attempt is taken with a conditional write
 * first, so two processes never publish the same attempt, and a process that dies mid-publish has used it.
 */
export async function deliverPending(deps: DeliveryDeps, watchId: string): Promise<DeliveryRun> {
  const settings = captureOptions(deps.options).delivery;
  const run: DeliveryRun = { delivered: 0, failed: 0, undeliverable: 0 };
  let kept: PendingNotification[];
  try {
    kept = await deps.journal.pendingNotifications(watchId, settings.batch);
  } catch (error) {
    deps.logger.error('could not read pending notifications', { watchId, error: errorText(error) });
    return run;
  }
  for (const record of kept) {
    const now = deps.clock.now();
    if (record.status !== 'pending' || record.nextAttemptAt > now.toISOString()) continue;
    try {
      await attempt(deps, settings, record, now, run);
    } catch (error) {
      deps.logger.error('notification delivery failed', { watchId, id: record.id, error: errorText(error) });
    }
  }
  return run;
}

async function attempt(
  deps: DeliveryDeps,
  settings: DeliverySettings,
  record: PendingNotification,
  now: Date,
  run: DeliveryRun,
): Promise<void> {
  const attempts = record.attempts + 1;
  const retryAt = new Date(now.getTime() + backoffSeconds(attempts, settings) * 1000).toISOString();
  const taken = await deps.journal.updatePending(record, record.attempts, {
    status: 'pending',
    attempts,
    nextAttemptAt: retryAt,
  });
  if (!taken) return;
  try {
    await publish(deps.notifier, fitNotification(record.notification));
  } catch (error) {
    const lastError = errorText(error);
    const log = { watchId: record.watchId, id: record.id, attempts, error: lastError };
    if (attempts < settings.maxAttempts) {
      run.failed++;
      deps.logger.warn('notification not published; retrying later', { ...log, nextAttemptAt: retryAt });
      await deps.journal.updatePending({ ...record, attempts }, attempts, {
        status: 'pending',
        attempts,
        nextAttemptAt: retryAt,
        lastError,
      });
      return;
    }
    run.undeliverable++;
    deps.logger.error('notification undeliverable', log);
    const marked = await deps.journal.updatePending({ ...record, attempts }, attempts, {
      status: 'undeliverable',
      attempts,
      nextAttemptAt: retryAt,
      lastError,
    });
    if (marked) await reportUndeliverable(deps, record, attempts, lastError, now);
    return;
  }
  await deps.journal.removePending(record.watchId, record.id);
  run.delivered++;
  if (attempts > 1) {
    deps.logger.info('notification published after retries', {
      watchId: record.watchId,
      id: record.id,
      attempts,
    });
  }
}

/** One alert saying a notification was given up (itself published once, not kept: it would only fail again). */
async function reportUndeliverable(
  deps: DeliveryDeps,
  record: PendingNotification,
  attempts: number,
  lastError: string,
  now: Date,
): Promise<void> {
  const { notification } = record;
  const alert: FailureNotification = fitAlert({
    type: 'redline.failure',
    watchId: record.watchId,
    url: notification.url,
    capturedAt: now.toISOString(),
    reason: `notification undeliverable: ${notification.type} of capture ${record.id.split('#')[0]} was not published after ${attempts} attempts (${lastError})`,
    tags: notification.tags,
  });
  try {
    await deps.notifier.publishFailure(alert);
  } catch (error) {
    deps.logger.error('could not report an undeliverable notification', {
      watchId: record.watchId,
      id: record.id,
      error: errorText(error),
    });
  }
}
