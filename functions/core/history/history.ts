import type { Article } from '../detect/article.js';
import { editsBetween, summarizeEdits } from '../detect/edits.js';
import { type Digest, sha256 } from '../domain/digest.js';
import {
  CaptureNotFoundError,
  IntegrityError,
  InvalidInputError,
  VersionNotFoundError,
  WatchNotFoundError,
} from '../domain/errors.js';
import type {
  ArtifactKind,
  ArtifactRef,
  Artifacts,
  CaptureRecord,
  Edit,
  VersionRecord,
  Watch,
} from '../domain/model.js';
import type { BlobStore, CaptureLog, VersionLog, WatchStore } from '../domain/ports.js';
import { normalizeUrl, watchIdFor } from '../domain/url.js';

export const SnapshotFormats = ['html', 'rendered', 'pdf', 'png', 'text', 'article', 'warc'] as const;
export type SnapshotFormat = (typeof SnapshotFormats)[number];

const FORMAT_KIND: Record<SnapshotFormat, ArtifactKind> = {
  html: 'raw',
  rendered: 'rendered',
  pdf: 'pdf',
  png: 'screenshot',
  text: 'text',
  article: 'article',
  warc: 'warc',
};

/**
 * Whose history is read: the watch id (the hash of the normalized URL) and the URL. The history of a URL
 * outlives its watch: versions and captures are keyed by the id and kept when the watch is removed.
 */
export interface HistoryOf {
  id: string;
  url: string;
  /** The watch, while the URL is still watched. */
  watch?: Watch;
}

/**
 * The history of a URL, watched or not any more. Throws WatchNotFoundError when the URL was never
 * watched (no watch, no version, no capture under its id).
 */
export async function findHistory(
  deps: { watches: WatchStore; versions: VersionLog; captures: CaptureLog },
  url: string,
): Promise<HistoryOf> {
  const normalized = normalizeUrl(url);
  const id = watchIdFor(normalized);
  const watch = await deps.watches.getWatch(id);
  if (watch) return { id, url: watch.url, watch };
  if (await deps.versions.latestVersion(id)) return { id, url: normalized };
  if ((await deps.captures.listCaptures(id)).length > 0) return { id, url: normalized };
  throw new WatchNotFoundError(normalized);
}

export type VersionSelector = { version?: number; at?: Date };

/** Picks a version by number, by time (the latest captured at or before it), or the latest. */
export function selectVersion(
  versions: VersionRecord[],
  selector: VersionSelector,
  url: string,
): VersionRecord {
  if (versions.length === 0) throw new VersionNotFoundError(`no versions of ${url} yet`);
  if (selector.version !== undefined) {
    const found = versions.find((v) => v.number === selector.version);
    if (!found) {
      throw new VersionNotFoundError(
        `${url} has no version ${selector.version} (versions 1–${versions.at(-1)!.number})`,
      );
    }
    return found;
  }
  if (selector.at) {
    const at = selector.at.getTime();
    const found = versions.filter((v) => Date.parse(v.capturedAt) <= at).at(-1);
    if (!found)
      throw new VersionNotFoundError(
        `${url} has no version captured at or before ${selector.at.toISOString()}`,
      );
    return found;
  }
  return versions.at(-1)!;
}

/** An artifact in a format; a PDF document's raw bytes serve as its `pdf`. */
function pick(artifacts: Artifacts, format: SnapshotFormat): ArtifactRef | undefined {
  const ref = artifacts[FORMAT_KIND[format]];
  if (ref) return ref;
  if (format === 'pdf' && artifacts.raw?.contentType.includes('pdf')) return artifacts.raw;
  return undefined;
}

/** The artifact of a version in a format; a PDF document's raw bytes serve as its `pdf`. */
export function artifactFor(version: VersionRecord, format: SnapshotFormat): ArtifactRef {
  const ref = pick(version.artifacts, format);
  if (ref) return ref;
  throw new VersionNotFoundError(`version ${version.number} has no ${format} artifact`);
}

/** The formats a set of stored artifacts can be read in (`get --format`). */
export function formatsOf(artifacts: Artifacts): SnapshotFormat[] {
  return SnapshotFormats.filter((format) => pick(artifacts, format) !== undefined);
}

/** Reads a blob and checks that its bytes hash to the digest that names them. */
export async function readVerified(blobs: BlobStore, digest: Digest): Promise<Uint8Array> {
  const bytes = await blobs.get(digest);
  const actual = sha256(bytes);
  if (actual !== digest) throw new IntegrityError(`blob ${digest} hashes to ${actual}`);
  return bytes;
}

/** What history reads need of a watch: its id and URL (a removed watch's history is read by them too). */
export type WatchRef = Pick<Watch, 'id' | 'url'>;

export async function getSnapshot(
  deps: { versions: VersionLog; blobs: BlobStore },
  of: Pick<HistoryOf, 'id' | 'url'>,
  selector: VersionSelector,
  format: SnapshotFormat,
): Promise<{ version: VersionRecord; artifact: ArtifactRef; bytes: Uint8Array }> {
  const version = selectVersion(await deps.versions.listVersions(of.id), selector, of.url);
  const artifact = artifactFor(version, format);
  return { version, artifact, bytes: await readVerified(deps.blobs, artifact.digest) };
}

/**
 * An artifact of any capture, by its id: anomalies, unchanged and partial captures included (their
 * screenshot, PDF or WARC is stored even when no version names it). Hash-verified like a snapshot.
 */
export async function getCaptureArtifact(
  deps: { captures: CaptureLog; blobs: BlobStore },
  of: Pick<HistoryOf, 'id' | 'url'>,
  captureId: string,
  format: SnapshotFormat,
): Promise<{ capture: CaptureRecord; artifact: ArtifactRef; bytes: Uint8Array }> {
  const capture = (await deps.captures.listCaptures(of.id)).find((c) => c.captureId === captureId);
  if (!capture) throw new CaptureNotFoundError(`${of.url} has no capture ${captureId}`);
  const artifact = pick(capture.artifacts, format);
  if (!artifact) {
    const stored = formatsOf(capture.artifacts);
    throw new CaptureNotFoundError(
      `capture ${captureId} has no ${format} artifact (${stored.length ? `it has ${stored.join(', ')}` : 'it stored none'})`,
    );
  }
  return { capture, artifact, bytes: await readVerified(deps.blobs, artifact.digest) };
}

/** The latest capture of a watch (by capture time), if any. */
export async function latestCapture(
  deps: { captures: CaptureLog },
  watchId: string,
): Promise<CaptureRecord | undefined> {
  let latest: CaptureRecord | undefined;
  for (const capture of await deps.captures.listCaptures(watchId))
    if (!latest || capture.capturedAt >= latest.capturedAt) latest = capture;
  return latest;
}

/**
 * The latest capture of each watch whose last capture was not a plain success (failed, partial, or an
 * anomaly): what its watch record does not say (the HTTP status, the reason). At most `limit` watches are
 * looked up, `concurrency` at a time; the others are left out of the map.
 */
export async function latestTroubledCaptures(
  deps: { captures: CaptureLog },
  watches: readonly Watch[],
  { limit = 500, concurrency = 4 }: { limit?: number; concurrency?: number } = {},
): Promise<Map<string, CaptureRecord>> {
  const troubled = watches
    .filter((w) => w.lastCapturedAt && (w.lastStatus !== 'complete' || w.lastAnomaly))
    .slice(0, limit);
  const found = new Map<string, CaptureRecord>();
  let next = 0;
  const worker = async () => {
    while (next < troubled.length) {
      const watch = troubled[next++]!;
      const latest = await latestCapture(deps, watch.id);
      if (latest) found.set(watch.id, latest);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return found;
}

export interface VersionDiff {
  from: VersionRecord;
  to: VersionRecord;
  edits: Edit[];
  summary: string;
}

/** Edits between two versions (default: the latest against the one before it). */
export async function diffVersions(
  deps: { versions: VersionLog; blobs: BlobStore },
  of: Pick<HistoryOf, 'id' | 'url'>,
  range: { from?: number; to?: number },
): Promise<VersionDiff> {
  const versions = await deps.versions.listVersions(of.id);
  const to = selectVersion(versions, range.to === undefined ? {} : { version: range.to }, of.url);
  const fromNumber = range.from ?? to.number - 1;
  if (fromNumber < 1) throw new VersionNotFoundError(`${of.url} has only one version; nothing to diff`);
  const from = selectVersion(versions, { version: fromNumber }, of.url);
  if (from.number === to.number) throw new InvalidInputError('--from and --to name the same version');
  const load = async (v: VersionRecord): Promise<Article | undefined> => {
    const ref = v.artifacts.article;
    if (!ref) return undefined;
    return JSON.parse(Buffer.from(await readVerified(deps.blobs, ref.digest)).toString('utf8')) as Article;
  };
  const [before, after] = await Promise.all([load(from), load(to)]);
  const edits: Edit[] =
    before && after
      ? editsBetween(before, after)
      : from.textHash === to.textHash
        ? []
        : [{ kind: 'document_changed', field: 'document', significance: 'major' }];
  return { from, to, edits, summary: summarizeEdits(edits, Number.POSITIVE_INFINITY) };
}
