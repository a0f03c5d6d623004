import type { Article } from '../detect/article.js';
import { editsBetween, summarizeEdits } from '../detect/edits.js';
import { type Digest, sha256 } from '../domain/digest.js';
import { IntegrityError, InvalidInputError, VersionNotFoundError } from '../domain/errors.js';
import type { ArtifactKind, ArtifactRef, Edit, VersionRecord, Watch } from '../domain/model.js';
import type { BlobStore, VersionLog } from '../domain/ports.js';

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

/** The artifact of a version in a format; a PDF document's raw bytes serve as its `pdf`. */
export function artifactFor(version: VersionRecord, format: SnapshotFormat): ArtifactRef {
  const ref = version.artifacts[FORMAT_KIND[format]];
  if (ref) return ref;
  if (format === 'pdf' && version.artifacts.raw?.contentType.includes('pdf')) return version.artifacts.raw;
  throw new VersionNotFoundError(`version ${version.number} has no ${format} artifact`);
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
  watch: WatchRef,
  selector: VersionSelector,
  format: SnapshotFormat,
): Promise<{ version: VersionRecord; artifact: ArtifactRef; bytes: Uint8Array }> {
  const version = selectVersion(await deps.versions.listVersions(watch.id), selector, watch.url);
  const artifact = artifactFor(version, format);
  return { version, artifact, bytes: await readVerified(deps.blobs, artifact.digest) };
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
  watch: WatchRef,
  range: { from?: number; to?: number },
): Promise<VersionDiff> {
  const versions = await deps.versions.listVersions(watch.id);
  const to = selectVersion(versions, range.to === undefined ? {} : { version: range.to }, watch.url);
  const fromNumber = range.from ?? to.number - 1;
  if (fromNumber < 1) throw new VersionNotFoundError(`${watch.url} has only one version; nothing to diff`);
  const from = selectVersion(versions, { version: fromNumber }, watch.url);
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
