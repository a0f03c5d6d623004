/**
 * Recording a capture so that a process dying at any point loses nothing and leaves nothing unreferenced
 * (ADR 0008): the capture's artifacts are hashed in memory, a journal entry naming every record to write
 * is opened, the blobs are written, then the records, then the entry is closed. The next capture of the
 * watch finishes an entry left open: it writes the records if every blob made it, and otherwise records
 * the interrupted capture as failed, pointing at the blobs that did.
 */

import type { Clock } from './clock.js';
import type { Digest } from './digest.js';
import { sha256 } from './digest.js';
import { ConflictError, InvariantError } from './errors.js';
import type { ArtifactRef, JournalEntry, Watch } from './model.js';
import type {
  BlobStore,
  CaptureJournal,
  CaptureLog,
  Logger,
  Notifier,
  VersionLog,
  WatchStore,
} from './ports.js';

/** The records one capture writes, in the order they are written. */
export type CaptureRecords = Omit<JournalEntry, 'watchId' | 'captureId' | 'openedAt' | 'staleAfter'>;

export interface CommitDeps {
  blobs: BlobStore;
  journal: CaptureJournal;
  watches: WatchStore;
  captures: CaptureLog;
  versions: VersionLog;
  notifier: Notifier;
  clock: Clock;
  logger: Logger;
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

/** Every blob a capture record names, once each. */
export function blobsOf(records: Pick<CaptureRecords, 'capture'>): ArtifactRef[] {
  const byDigest = new Map(Object.values(records.capture.artifacts).map((ref) => [ref.digest, ref]));
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
  if (records.edit) await deps.notifier.publishEdit(records.edit);
  if (records.anomaly) await deps.notifier.publishAnomaly(records.anomaly);
  if (!updateWatch) return;
  await deps.watches.updateWatch(capture.watchId, records.watchUpdate);
  if (records.removeWatch) await deps.watches.removeWatch(capture.watchId);
}

/**
 * Records a capture: journal entry, blobs, records, entry closed. `staleAfterSeconds` is how long the
 * process can still be working on it (a Lambda's timeout): after that an open entry is an interrupted one.
 * A capture that stored nothing (failed, not modified) needs no entry.
 */
export async function commitCapture(
  deps: CommitDeps,
  staged: StagedBlobs,
  records: CaptureRecords,
  staleAfterSeconds: number,
): Promise<void> {
  const { watchId, captureId } = records.capture;
  const blobs = blobsOf(records);
  const named = new Set(blobs.map((ref) => ref.digest));
  if (staged.size > named.size || blobs.some((ref) => !staged.bytesOf(ref.digest))) {
    throw new InvariantError(`capture ${captureId}: staged blobs and the blobs its record names differ`);
  }
  if (blobs.length === 0) {
    await writeRecords(deps, records);
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
}

/** Writes an interrupted capture's records as it meant to, except what a later capture has superseded. */
async function rollForward(deps: CommitDeps, entry: JournalEntry, watch: Watch | undefined): Promise<void> {
  const {
    watchId: _watchId,
    captureId: _captureId,
    openedAt: _openedAt,
    staleAfter: _staleAfter,
    ...records
  } = entry;
  if (records.version) {
    try {
      await writeVersion(deps, records.version);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      // A later capture already took this version number: its version stands, this capture confirms none.
      const { version: _version, ...capture } = records.capture;
      records.capture = capture;
      delete records.edit;
    }
    delete records.version; // written (or taken) above
  }
  // The watch moved on since (captured again, or removed): its newer state stands.
  const superseded = !watch || (watch.lastCapturedAt ?? '') >= entry.capture.capturedAt;
  if (superseded) delete records.anomaly;
  await writeRecords(deps, records, !superseded);
}

/** Records an interrupted capture whose blobs did not all make it: failed, naming the blobs that did. */
async function recordInterrupted(deps: CommitDeps, entry: JournalEntry, stored: Set<Digest>): Promise<void> {
  const { version: _version, verdict: _verdict, anomaly: _anomaly, ...capture } = entry.capture;
  const artifacts = Object.fromEntries(
    Object.entries(capture.artifacts).filter(([, ref]) => stored.has(ref.digest)),
  );
  const total = blobsOf(entry).length;
  await deps.captures.putCapture({
    ...capture,
    status: 'failed',
    reason: `interrupted: the process stopped after storing ${stored.size} of ${total} artifacts`,
    artifacts,
  });
}

/**
 * Finishes the watch's journal entries that their process left open (older than their `staleAfter`).
 * Returns how many it finished. Safe to run concurrently with itself: every write it makes is idempotent.
 */
export async function recoverInterrupted(deps: CommitDeps, watchId: string): Promise<number> {
  const now = deps.clock.now().toISOString();
  const stale = (await deps.journal.openEntries(watchId)).filter((entry) => entry.staleAfter <= now);
  for (const entry of stale) {
    const blobs = blobsOf(entry);
    const present = await Promise.all(blobs.map((ref) => deps.blobs.has(ref.digest)));
    const stored = new Set(blobs.filter((_, i) => present[i]).map((ref) => ref.digest));
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
  return stale.length;
}
