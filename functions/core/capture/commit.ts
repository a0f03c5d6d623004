/**
 * Recording a capture so that a process dying at any point loses nothing and leaves nothing unreferenced
 * (ADR 0008): the capture's artifacts are hashed in memory, a journal entry naming every record to write
 * is opened, the blobs are written, then the records, then the entry is closed. The next capture of the
 * watch finishes an entry left open: it writes the records if every blob made it, and otherwise records
 * the interrupted capture as failed, pointing at the blobs that did. An entry whose finishing keeps
 * failing is given up after a few attempts (recorded as failed), so no entry holds its watch for ever.
 * Notifications are kept as pending records with the other records and published after them
 * (deliveries.ts): a notification that cannot be published never blocks the watch.
 */

import type { Clock } from '../domain/clock.js';
import type { Digest } from '../domain/digest.js';
import { sha256 } from '../domain/digest.js';
import { ConflictError, InvariantError } from '../domain/errors.js';
import type { ArtifactRef, JournalEntry, Watch } from '../domain/model.js';
import type { CaptureOptionsInput } from '../domain/options.js';
import type {
  BlobStore,
  CaptureJournal,
  CaptureLog,
  Logger,
  Notifier,
  VersionLog,
  WatchStore,
} from '../domain/ports.js';
import { deliverPending, pendingFor } from './deliveries.js';
import { fitRecords } from './fit.js';

/** The records one capture writes, in the order they are written. */
export type CaptureRecords = Omit<
  JournalEntry,
  'watchId' | 'captureId' | 'openedAt' | 'staleAfter' | 'recoveryAttempts'
>;

/** Finishing an open journal entry is begun at most this many times; then it is recorded as failed. */
export const MAX_RECOVERY_ATTEMPTS = 3;

export interface CommitDeps {
  blobs: BlobStore;
  /** The capture journal, which also keeps the notifications still to publish. */
  journal: CaptureJournal;
  watches: WatchStore;
  captures: CaptureLog;
  versions: VersionLog;
  notifier: Notifier;
  clock: Clock;
  logger: Logger;
  /** Every budget and limit, notification retries (`delivery`) included; defaults: DEFAULT_CAPTURE_OPTIONS. */
  options?: CaptureOptionsInput;
}

/** A capture's artifacts, hashed as they are made and written only when the capture is recorded. */
export class StagedBlobs {
  private readonly pending = new Map<Digest, Uint8Array>();

  add(bytes: Uint8Array, contentType: string): ArtifactRef {
    const digest = sha256(bytes);
    if (!this.pending.has(digest)) this.pending.set(digest, bytes);
    return { digest, size: bytes.byteLength, contentType };
  }

  get size(): number {
    return this.pending.size;
  }

  bytesOf(digest: Digest): Uint8Array | undefined {
    return this.pending.get(digest);
  }
}

/** Every blob a capture's records name, once each: its artifacts, and its version's manifest and tokens. */
export function blobsOf(records: Pick<CaptureRecords, 'capture' | 'version'>): ArtifactRef[] {
  const refs = [
    ...Object.values(records.capture.artifacts),
    ...(records.capture.timestamps ?? []).map((stamp) => stamp.token),
    ...(records.version?.manifest ? [records.version.manifest] : []),
    ...(records.version?.timestamps ?? []).map((stamp) => stamp.token),
  ];
  const byDigest = new Map(refs.map((ref) => [ref.digest, ref]));
  return [...byDigest.values()];
}

/** Writes version `number`; a version already written by this same capture (a retry) is accepted. */
export async function writeVersion(
  deps: Pick<CommitDeps, 'versions'>,
  version: NonNullable<CaptureRecords['version']>,
): Promise<void> {
  try {
    await deps.versions.putVersion(version);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const existing = (await deps.versions.listVersions(version.watchId)).find(
      (v) => v.number === version.number,
    );
    if (existing?.captureId !== version.captureId) throw error;
  }
}

/** Writes the records in their one order; `updateWatch: false` leaves the watch as it is. */
async function writeRecords(deps: CommitDeps, records: CaptureRecords, updateWatch = true): Promise<void> {
  const { capture } = records;
  if (records.version) await writeVersion(deps, records.version);
  await deps.captures.putCapture(capture);
  // Kept, not published: publishing happens after the records and can fail without holding anything back.
  const now = deps.clock.now();
  for (const notification of [records.edit, records.anomaly, records.failure]) {
    if (notification) await deps.journal.addPending(pendingFor(capture.captureId, notification, now));
  }
  if (!updateWatch) return;
  await deps.watches.updateWatch(capture.watchId, records.watchUpdate);
  if (records.removeWatch) await deps.watches.removeWatch(capture.watchId);
}

/**
 * Records a capture: journal entry, blobs, records, entry closed, then its notifications published (a
 * failed publish is retried by later captures). `staleAfterSeconds` is how long the process can still be
 * working on it (a Lambda's timeout): after that an open entry is an interrupted one. A capture that
 * stored nothing (failed, not modified) needs no entry. The records are first fitted to the service
 * limits (fit.ts).
 */
export async function commitCapture(
  deps: CommitDeps,
  staged: StagedBlobs,
  unfitted: CaptureRecords,
  staleAfterSeconds: number,
): Promise<void> {
  const records = fitRecords(unfitted);
  const { watchId, captureId } = records.capture;
  const blobs = blobsOf(records);
  const named = new Set(blobs.map((ref) => ref.digest));
  if (staged.size > named.size || blobs.some((ref) => !staged.bytesOf(ref.digest))) {
    throw new InvariantError(`capture ${captureId}: staged blobs and the blobs its record names differ`);
  }
  if (blobs.length === 0) {
    await writeRecords(deps, records);
    await deliverPending(deps, watchId);
    return;
  }
  const openedAt = deps.clock.now();
  await deps.journal.openEntry({
    watchId,
    captureId,
    openedAt: openedAt.toISOString(),
    staleAfter: new Date(openedAt.getTime() + staleAfterSeconds * 1000).toISOString(),
    ...records,
  });
  await Promise.all(blobs.map((ref) => deps.blobs.put(staged.bytesOf(ref.digest)!, ref.contentType)));
  await writeRecords(deps, records);
  await deps.journal.closeEntry(watchId, captureId);
  await deliverPending(deps, watchId);
}

/** Writes an interrupted capture's records as it meant to, except what a later capture has superseded. */
async function rollForward(deps: CommitDeps, entry: JournalEntry, watch: Watch | undefined): Promise<void> {
  const {
    watchId: _watchId,
    captureId: _captureId,
    openedAt: _openedAt,
    staleAfter: _staleAfter,
    recoveryAttempts: _recoveryAttempts,
    ...records
  } = entry;
  if (records.version) {
    try {
      await writeVersion(deps, records.version);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      // A later capture already took this version number: its version stands, this capture confirms none
      // (and the tokens it got for its own version's manifest stamp a manifest no version names).
      const { version: taken, timestamps, ...capture } = records.capture;
      const kept = (timestamps ?? []).filter((stamp) => stamp.version !== taken);
      records.capture = { ...capture, ...(kept.length ? { timestamps: kept } : {}) };
      delete records.edit;
    }
    delete records.version; // written (or taken) above
  }
  // The watch moved on since (captured again, or removed): its newer state stands.
  const superseded = !watch || (watch.lastCapturedAt ?? '') >= entry.capture.capturedAt;
  if (superseded) {
    delete records.anomaly;
    delete records.failure;
  }
  await writeRecords(deps, records, !superseded);
}

/** Records an interrupted capture whose blobs did not all make it: failed, naming the blobs that did. */
async function recordInterrupted(
  deps: CommitDeps,
  entry: JournalEntry,
  stored: Set<Digest>,
  reason?: string,
): Promise<void> {
  const { version: _version, verdict: _verdict, anomaly: _anomaly, timestamps, ...capture } = entry.capture;
  const kept = (timestamps ?? []).filter((stamp) => stored.has(stamp.token.digest));
  const artifacts = Object.fromEntries(
    Object.entries(capture.artifacts).filter(([, ref]) => stored.has(ref.digest)),
  );
  const total = blobsOf(entry).length;
  await deps.captures.putCapture({
    ...capture,
    status: 'failed',
    reason: reason ?? `interrupted: the process stopped after storing ${stored.size} of ${total} artifacts`,
    artifacts,
    ...(kept.length ? { timestamps: kept } : {}),
  });
}

/** Gives up an entry whose finishing failed `attempts` times: recorded as failed (best effort), closed. */
async function abandon(deps: CommitDeps, entry: JournalEntry, stored: Set<Digest>, attempts: number) {
  const reason = `interrupted: finishing the capture failed ${attempts} times; given up`;
  try {
    await recordInterrupted(deps, entry, stored, reason);
  } catch (error) {
    deps.logger.error('could not record an abandoned capture', {
      watchId: entry.watchId,
      captureId: entry.captureId,
      error: String(error),
    });
  }
  await deps.journal.closeEntry(entry.watchId, entry.captureId);
  deps.logger.error('gave up an interrupted capture', {
    watchId: entry.watchId,
    captureId: entry.captureId,
    attempts,
  });
}

/**
 * Finishes the watch's journal entries that their process left open (older than their `staleAfter`),
 * then publishes the watch's notifications that are due. Returns how many entries it finished. Safe to run
 * concurrently with itself: every write it makes is idempotent. Each entry is tried at most
 * MAX_RECOVERY_ATTEMPTS times (an error escapes, as before, so the request is retried); then it is given up.
 */
export async function recoverInterrupted(deps: CommitDeps, watchId: string): Promise<number> {
  const now = deps.clock.now().toISOString();
  const stale = (await deps.journal.openEntries(watchId)).filter((entry) => entry.staleAfter <= now);
  for (const entry of stale) {
    const blobs = blobsOf(entry);
    const present = await Promise.all(blobs.map((ref) => deps.blobs.has(ref.digest)));
    const stored = new Set(blobs.filter((_, i) => present[i]).map((ref) => ref.digest));
    const attempts = (entry.recoveryAttempts ?? 0) + 1;
    if (attempts > MAX_RECOVERY_ATTEMPTS) {
      await abandon(deps, entry, stored, attempts - 1);
      continue;
    }
    await deps.journal.noteRecoveryAttempt(watchId, entry.captureId, attempts);
    const complete = stored.size === blobs.length;
    if (complete) await rollForward(deps, entry, await deps.watches.getWatch(watchId));
    else await recordInterrupted(deps, entry, stored);
    await deps.journal.closeEntry(watchId, entry.captureId);
    deps.logger.warn('finished an interrupted capture', {
      watchId,
      captureId: entry.captureId,
      outcome: complete ? 'recorded as it meant to' : 'recorded as failed',
      blobsStored: stored.size,
      blobs: blobs.length,
    });
  }
  await deliverPending(deps, watchId);
  return stale.length;
}
