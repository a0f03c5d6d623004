/**
 * A version's manifest (ADR 0012): the canonical JSON that names everything the version is, and the
 * previous version's manifest digest, so the versions of a watch form a chain nobody can rewrite without
 * every later manifest changing too. Pure: no I/O.
 */
import { z } from 'zod';
import { type Digest, DigestSchema, sha256 } from '../domain/digest.js';
import { InvalidInputError } from '../domain/errors.js';
import { type ArtifactKind, ArtifactKindSchema, type VersionRecord } from '../domain/model.js';

export const MANIFEST_CONTENT_TYPE = 'application/vnd.redline.manifest+json';
export const TOKEN_CONTENT_TYPE = 'application/vnd.redline.tst';
export const MANIFEST_FORMAT = 'redline.manifest/1';

/** A manifest is small (a dozen digests); anything bigger is not one. */
export const MAX_MANIFEST_BYTES = 16 * 1024;

const IsoTime = z.iso.datetime({ offset: true });

export const ManifestSchema = z.strictObject({
  format: z.literal(MANIFEST_FORMAT),
  url: z.string(),
  watchId: z.string(),
  version: z.number().int().min(1),
  captureId: z.string(),
  capturedAt: IsoTime,
  /** Every artifact of the version by kind, the diff page included (`diff`). */
  artifacts: z.partialRecord(ArtifactKindSchema, DigestSchema),
  textHash: DigestSchema,
  /** The capture's provenance record, when the capture made one; null otherwise. */
  provenance: DigestSchema.nullable(),
  /** The previous version's manifest digest; null for the first version (or a previous one without a manifest). */
  previous: DigestSchema.nullable(),
});
export type Manifest = z.infer<typeof ManifestSchema>;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * RFC 8785 (JCS) for the values a manifest holds: object keys sorted by UTF-16 code units, no
 * whitespace, strings escaped as ECMAScript's JSON.stringify does, numbers only as safe integers.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new InvalidInputError(`canonical JSON holds integers only, got ${value}`);
    }
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new InvalidInputError(`canonical JSON cannot hold a ${typeof value}`);
}

/** The artifact digests a version stands for, by kind: its artifacts and its diff page. */
export function versionArtifactDigests(version: VersionRecord): Partial<Record<ArtifactKind, Digest>> {
  const out: Partial<Record<ArtifactKind, Digest>> = {};
  for (const [kind, ref] of Object.entries(version.artifacts)) out[kind as ArtifactKind] = ref.digest;
  if (version.diff) out.diff = version.diff.digest;
  return out;
}

/** The manifest of `version`, chained to `previous` (the previous version's manifest digest, or null). */
export function manifestOf(
  version: VersionRecord,
  previous: Digest | null,
  provenance: Digest | null = version.artifacts.provenance?.digest ?? null,
): Manifest {
  return {
    format: MANIFEST_FORMAT,
    url: version.url,
    watchId: version.watchId,
    version: version.number,
    captureId: version.captureId,
    capturedAt: version.capturedAt,
    artifacts: versionArtifactDigests(version),
    textHash: version.textHash,
    provenance,
    previous,
  };
}

/** The manifest's bytes: its canonical JSON in UTF-8, nothing after it. Its digest is sha256 of these. */
export function manifestBytes(manifest: Manifest): Uint8Array {
  return new Uint8Array(Buffer.from(canonicalJson(manifest as Json), 'utf8'));
}

export function manifestDigest(manifest: Manifest): Digest {
  return sha256(manifestBytes(manifest));
}

/**
 * Reads stored manifest bytes: valid UTF-8 JSON of the manifest's shape, in canonical form exactly
 * (the same bytes re-serialize to themselves). Throws InvalidInputError saying what is wrong.
 */
export function parseManifest(bytes: Uint8Array): Manifest {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) {
    throw new InvalidInputError(`${bytes.byteLength} bytes, more than a manifest's ${MAX_MANIFEST_BYTES}`);
  }
  let text: string;
  let value: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError('not UTF-8 JSON', { cause: error });
  }
  const parsed = ManifestSchema.safeParse(value);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'manifest'}: ${i.message}`);
    throw new InvalidInputError(`not a manifest: ${detail.join('; ')}`, { cause: parsed.error });
  }
  if (canonicalJson(parsed.data) !== text) throw new InvalidInputError('not in canonical form (ADR 0012)');
  return parsed.data;
}
