import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { WARCParser } from 'warcio';
import { z } from 'zod';
import type { Clock } from '../domain/clock.js';
import {
  InvalidInputError,
  VersionNotFoundError,
  WaczBuildError,
  WatchNotFoundError,
} from '../domain/errors.js';
import { type ArtifactRef, ArtifactRefSchema, type VersionRecord } from '../domain/model.js';
import type { BlobStore, CaptureLog, VersionLog, WatchStore } from '../domain/ports.js';
import { normalizeUrl, watchIdFor } from '../domain/url.js';
import { parsePayloadIndex } from './payloads.js';
import { buildWacz, type WaczExtraFile, type WaczPageInput, type WaczWarcInput } from './wacz.js';
import { indexWarc, warcTimestamp } from './wacz-index.js';
import type { WaczSigningKey } from './wacz-sign.js';

/**
 * `redline export URL --format wacz`: every version of a watch in a range as one WACZ 1.1.1. One WARC per
 * version (the capture's own, read from the blob store, every read verified), one page per version, the
 * version records, manifests and timestamp tokens as extra files under `redline/`.
 */

export interface ExportDeps {
  watches: WatchStore;
  versions: VersionLog;
  blobs: BlobStore;
  /** Timestamp tokens a later capture obtained for a version (retried stamps) are on capture records. */
  captures?: CaptureLog;
  clock: Clock;
}

export interface ExportOptions {
  from?: number;
  to?: number;
  sign?: WaczSigningKey;
  /** `software` in datapackage.json. */
  software?: string;
}

/**
 * A version in the range left without a page (`no_warc`, `no_page_record`: its record is still under
 * `redline/versions/`), or whose page does not replay from this package alone (`revisit_outside_range`).
 */
export interface ExportProblem {
  version: number;
  code: 'no_warc' | 'no_page_record' | 'revisit_outside_range';
  detail: string;
}

export interface ExportSummary {
  url: string;
  watchId: string;
  /** The versions asked for (`from`–`to` as resolved). */
  from: number;
  to: number;
  /** Versions with a WARC and a page in the package. */
  archived: number[];
  /** What is missing or incomplete, by version; empty when every version is a page that replays. */
  problems: ExportProblem[];
  /** Bytes written to `out`, and their SHA-256. */
  bytes: number;
  sha256: string;
  datapackageHash: string;
  signed: boolean;
  /** The signing public key (SPKI DER, base64) when signed. */
  publicKey?: string;
  warcRecords: number;
  extras: string[];
}

/** Versions in one package at most (the WACZ builder's own WARC cap); a longer history is exported in ranges. */
export const MAX_EXPORT_VERSIONS = 10_000;
/** Page text in pages.jsonl at most (characters); the full text stays in the version's `text` artifact. */
export const MAX_PAGE_TEXT_CHARS = 100_000;
/** Records read from the head of a WARC when looking for its page record. */
const MAX_HEAD_RECORDS = 1_000;
/** Timestamp tokens taken per version (its own plus later ones). */
const MAX_TOKENS_PER_VERSION = 50;
/** Chunks handed to the zip writer, so a WARC is not one huge write. */
const CHUNK = 256 * 1024;

/** The proof fields a version record may carry (ADR 0012/0013); read loosely so older records pass. */
const TimestampRefLike = z.object({ tsa: z.string(), genTime: z.string(), token: ArtifactRefSchema });
const VersionProofFields = z.object({
  manifest: ArtifactRefSchema.optional().catch(undefined),
  timestamps: z.array(TimestampRefLike).optional().catch(undefined),
});
const CaptureTokens = z.object({
  timestamps: z
    .array(TimestampRefLike.extend({ version: z.number().int(), manifest: z.string() }))
    .optional()
    .catch(undefined),
});

type TokenRef = z.infer<typeof TimestampRefLike> & { manifest?: string };

function clipText(text: string): string {
  if (text.length <= MAX_PAGE_TEXT_CHARS) return text;
  let end = MAX_PAGE_TEXT_CHARS;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--; // do not split a surrogate pair
  return text.slice(0, end);
}

async function* chunksOf(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.byteLength; i += CHUNK) yield bytes.subarray(i, i + CHUNK);
}

/** The first response or revisit record of a WARC: the URL and date a page points at. */
async function pageRecordOf(
  warc: Uint8Array,
): Promise<{ url: string; date: string; type: string; refersToDate?: string } | undefined> {
  const parser = new WARCParser(chunksOf(warc));
  let records = 0;
  for await (const record of parser) {
    if (++records > MAX_HEAD_RECORDS) return undefined;
    const type = record.warcType;
    if (type === 'response' || type === 'revisit') {
      const url = record.warcTargetURI;
      const date = record.warcDate;
      if (!url || !date) return undefined;
      const refersToDate = record.warcRefersToDate ?? undefined;
      return { url, date, type, ...(refersToDate ? { refersToDate } : {}) };
    }
    await record.skipFully();
  }
  return undefined;
}

const json = (value: unknown) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`);

/**
 * Every version of the watch `normalized` (a normalized URL) names, oldest first, with its id and latest
 * number. A removed watch keeps its history: versions are read by the id the URL names. Throws
 * WatchNotFoundError (no watch and no versions) or VersionNotFoundError (a watch with no versions yet).
 */
export async function allVersionsOf(
  deps: Pick<ExportDeps, 'versions' | 'watches'>,
  normalized: string,
): Promise<{ watchId: string; all: VersionRecord[]; latest: number }> {
  const watchId = watchIdFor(normalized);
  const all = await deps.versions.listVersions(watchId);
  if (all.length === 0) {
    if (!(await deps.watches.getWatch(watchId))) throw new WatchNotFoundError(normalized);
    throw new VersionNotFoundError(`no versions of ${normalized} yet`);
  }
  return { watchId, all, latest: all.at(-1)!.number };
}

/** Throws VersionNotFoundError unless every number in `numbers` is a version in `all` (of `normalized`). */
export function requireVersions(normalized: string, all: VersionRecord[], numbers: number[]): void {
  for (const n of numbers)
    if (!all.some((v) => v.number === n))
      throw new VersionNotFoundError(
        `${normalized} has no version ${n} (versions 1–${all.at(-1)?.number ?? 0})`,
      );
}

/** The versions asked for, oldest first; throws the named error a user can act on. */
async function versionsInRange(
  deps: ExportDeps,
  url: string,
  range: { from?: number; to?: number },
): Promise<{ url: string; watchId: string; versions: VersionRecord[]; from: number; to: number }> {
  const normalized = normalizeUrl(url);
  if (range.from !== undefined && range.to !== undefined && range.from > range.to)
    throw new InvalidInputError(`--from ${range.from} is after --to ${range.to}`);
  const { watchId, all, latest } = await allVersionsOf(deps, normalized);
  const from = range.from ?? 1;
  const to = range.to ?? latest;
  requireVersions(normalized, all, [from, to]);
  if (from > to) throw new InvalidInputError(`--from ${from} is after --to ${to}`);
  const versions = all.filter((v) => v.number >= from && v.number <= to);
  if (versions.length > MAX_EXPORT_VERSIONS)
    throw new InvalidInputError(
      `${versions.length} versions is more than one package holds (${MAX_EXPORT_VERSIONS}): export a range with --from and --to`,
    );
  return { url: normalized, watchId, versions, from, to };
}

/** Manifest and timestamp tokens of a version, as extra files. */
async function proofExtras(
  deps: ExportDeps,
  version: VersionRecord,
  lateTokens: TokenRef[],
): Promise<WaczExtraFile[]> {
  const extras: WaczExtraFile[] = [];
  const fields = VersionProofFields.parse(version);
  const manifests: ArtifactRef[] = [];
  if (fields.manifest) manifests.push(fields.manifest);
  // A capture-level `manifest` artifact kind, should a version name one among its artifacts.
  for (const [kind, ref] of Object.entries(version.artifacts as Record<string, ArtifactRef | undefined>)) {
    if (kind === 'manifest' && ref && !manifests.some((m) => m.digest === ref.digest)) manifests.push(ref);
  }
  for (const [i, ref] of manifests.entries()) {
    extras.push({
      path: `redline/manifests/${version.number}${i === 0 ? '' : `-${i + 1}`}.json`,
      bytes: await deps.blobs.get(ref.digest),
    });
  }
  const tokens: TokenRef[] = [];
  for (const token of [...(fields.timestamps ?? []), ...lateTokens]) {
    if (tokens.length >= MAX_TOKENS_PER_VERSION) break;
    if (!tokens.some((t) => t.token.digest === token.token.digest)) tokens.push(token);
  }
  if (tokens.length > 0) {
    const listing = [];
    for (const [i, token] of tokens.entries()) {
      const path = `redline/timestamps/${version.number}-${i + 1}.tsr`;
      extras.push({ path, bytes: await deps.blobs.get(token.token.digest) });
      listing.push({
        file: path,
        tsa: token.tsa,
        genTime: token.genTime,
        token: token.token.digest,
        manifest: token.manifest ?? fields.manifest?.digest,
      });
    }
    extras.push({ path: `redline/timestamps/${version.number}.json`, bytes: json(listing) });
  }
  return extras;
}

/** Tokens later captures obtained, by version number (none when the deps have no capture log). */
async function lateTokensByVersion(deps: ExportDeps, watchId: string): Promise<Map<number, TokenRef[]>> {
  const byVersion = new Map<number, TokenRef[]>();
  if (!deps.captures) return byVersion;
  for (const capture of await deps.captures.listCaptures(watchId)) {
    for (const token of CaptureTokens.parse(capture).timestamps ?? []) {
      const list = byVersion.get(token.version) ?? [];
      if (list.length < MAX_TOKENS_PER_VERSION) list.push(token);
      byVersion.set(token.version, list);
    }
  }
  return byVersion;
}

/** A version's payload index (its WARC's revisits and their originals), read and checked. */
async function payloadIndexOf(deps: ExportDeps, version: VersionRecord) {
  const ref = version.artifacts.payloads!;
  try {
    return parsePayloadIndex(await deps.blobs.get(ref.digest));
  } catch (cause) {
    if (!(cause instanceof InvalidInputError)) throw cause;
    throw new WaczBuildError(`version ${version.number}'s payload index ${ref.digest} is unreadable`, {
      cause,
    });
  }
}

interface WantedOriginal {
  version: number;
  digest: string;
  url: string;
  date: string;
}

const originalKey = (url: string, timestamp: string, digest: string) => `${timestamp} ${digest} ${url}`;

/**
 * Cuts the response records that revisits refer to out of the WARCs holding them (outside `inRange`),
 * verbatim: each is its own gzip member, found by the WARC's index (URL, WARC-Date to the second, payload
 * digest). An original not found is a problem of the version whose revisit needs it.
 */
async function originalRecords(
  deps: ExportDeps,
  referenced: Map<string, WantedOriginal[]>,
  inRange: Set<string>,
): Promise<{ records: Uint8Array[]; dates: Set<string>; problems: ExportProblem[] }> {
  const records: Uint8Array[] = [];
  const dates = new Set<string>();
  const problems: ExportProblem[] = [];
  const taken = new Set<string>();
  for (const [warcDigest, wanted] of referenced) {
    if (inRange.has(warcDigest)) {
      for (const original of wanted) dates.add(new Date(original.date).toISOString());
      continue;
    }
    const warc = await deps.blobs.get(warcDigest);
    const { entries } = await indexWarc(`original WARC ${warcDigest}`, chunksOf(warc));
    const found = new Map<string, (typeof entries)[number]>();
    for (const entry of entries)
      if (entry.warcType === 'response' && entry.digest)
        found.set(originalKey(entry.url, entry.timestamp, entry.digest), entry);
    for (const original of wanted) {
      const key = originalKey(original.url, warcTimestamp(original.date), original.digest);
      const entry = found.get(key);
      if (!entry) {
        problems.push({
          version: original.version,
          code: 'revisit_outside_range',
          detail: `version ${original.version} revisits ${original.url} (${original.digest}) captured ${original.date}, not found in WARC ${warcDigest}`,
        });
        continue;
      }
      dates.add(new Date(original.date).toISOString());
      if (taken.has(key)) continue;
      taken.add(key);
      records.push(warc.subarray(entry.offset, entry.offset + entry.length));
    }
  }
  return { records, dates, problems };
}

/** Passes bytes on to `out` (with its backpressure) while hashing and counting them. */
export function hashingSink(out: Writable) {
  const hasher = createHash('sha256');
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      hasher.update(chunk);
      bytes += chunk.byteLength;
      if (out.write(chunk)) done();
      else out.once('drain', () => done());
    },
    final(done) {
      out.end(() => done());
    },
  });
  out.once('error', (error) => sink.destroy(error));
  return { sink, result: () => ({ bytes, sha256: `sha256:${hasher.digest('hex')}` }) };
}

/**
 * Writes the WACZ of a watch's versions `from`–`to` (default: all) to `out`.
 *
 * A version whose capture made no WARC, or whose WARC has no response or revisit record, cannot be a
 * page (replay has nothing to show): it is left out of `archive/` and `pages/`, its record is still in
 * `redline/versions/`, and it is listed in `problems`; the export fails (WaczBuildError) only when no
 * version in the range has a WARC. The response records that the range's revisit records refer to
 * (their capture's payload index names the WARC holding each, ADR 0006) are copied verbatim into
 * `archive/originals.warc.gz` when that WARC is not in the range. A revisit with no payload index to
 * place its original (a capture made before payload indexes) whose original is before `from`, or an
 * original not found, is archived but listed: a replay tool cannot resolve it from this package alone.
 *
 * Throws WatchNotFoundError (no watch and no versions for the URL), VersionNotFoundError (no versions,
 * or `from`/`to` not a version), InvalidInputError (`from` after `to`), BlobIntegrityError or
 * BlobNotFoundError (a stored blob is not the bytes its record names: nothing is exported silently).
 */
export async function exportWacz(
  deps: ExportDeps,
  url: string,
  options: ExportOptions,
  out: Writable,
): Promise<ExportSummary> {
  const range = await versionsInRange(deps, url, options);
  const { watchId, versions, from, to } = range;
  const lateTokens = await lateTokensByVersion(deps, watchId);
  const warcs: WaczWarcInput[] = [];
  const pages: WaczPageInput[] = [];
  const extras: WaczExtraFile[] = [];
  const problems: ExportProblem[] = [];
  const archived: number[] = [];
  const pageDates = new Set<string>();
  const revisits: { version: number; url: string; refersToDate: string }[] = [];
  /** The originals that revisits in the range refer to (ADR 0006), by the WARC holding them. */
  const referenced = new Map<string, WantedOriginal[]>();

  for (const version of versions) {
    extras.push({ path: `redline/versions/${version.number}.json`, bytes: json(version) });
    extras.push(...(await proofExtras(deps, version, lateTokens.get(version.number) ?? [])));
    const warcRef = version.artifacts.warc;
    if (!warcRef) {
      problems.push({
        version: version.number,
        code: 'no_warc',
        detail: `version ${version.number}'s capture recorded no WARC`,
      });
      continue;
    }
    const warc = await deps.blobs.get(warcRef.digest);
    const page = await pageRecordOf(warc).catch((cause: unknown) => {
      throw new WaczBuildError(`version ${version.number}'s WARC ${warcRef.digest} is unreadable`, { cause });
    });
    if (!page) {
      problems.push({
        version: version.number,
        code: 'no_page_record',
        detail: `version ${version.number}'s WARC ${warcRef.digest} has no response or revisit record`,
      });
      continue;
    }
    const text = version.artifacts.text
      ? clipText(Buffer.from(await deps.blobs.get(version.artifacts.text.digest)).toString('utf8'))
      : undefined;
    const digest = warcRef.digest;
    warcs.push({
      name: `version-${String(version.number).padStart(6, '0')}.warc.gz`,
      // Each open re-reads (and re-verifies) the blob: the builder reads a WARC twice.
      open: async function* () {
        yield* chunksOf(await deps.blobs.get(digest));
      },
    });
    pages.push({
      id: `version-${version.number}`,
      url: page.url,
      ts: page.date,
      title: version.title,
      ...(text !== undefined ? { text } : {}),
    });
    pageDates.add(new Date(page.date).toISOString());
    if (version.artifacts.payloads) {
      const index = await payloadIndexOf(deps, version);
      for (const revisit of index.revisits) {
        if (revisit.warc === digest) continue;
        const wanted = referenced.get(revisit.warc) ?? [];
        wanted.push({ version: version.number, ...revisit });
        referenced.set(revisit.warc, wanted);
      }
    }
    if (page.type === 'revisit' && page.refersToDate)
      revisits.push({ version: version.number, url: page.url, refersToDate: page.refersToDate });
    archived.push(version.number);
  }
  // The original records the range's revisits refer to, when not in a version's own WARC in the range:
  // copied verbatim into one more WARC without pages, so every revisit resolves within the package.
  const inRange = new Set(versions.flatMap((v) => (v.artifacts.warc ? [v.artifacts.warc.digest] : [])));
  const originals = await originalRecords(deps, referenced, inRange);
  problems.push(...originals.problems);
  if (originals.records.length > 0) {
    const bytes = Buffer.concat(originals.records);
    warcs.push({
      name: 'originals.warc.gz',
      open: async function* () {
        yield* chunksOf(bytes);
      },
    });
  }
  const originalDates = originals.dates;
  for (const revisit of revisits) {
    const when = new Date(revisit.refersToDate);
    const iso = Number.isNaN(when.getTime()) ? '' : when.toISOString();
    if (!iso || !(pageDates.has(iso) || originalDates.has(iso))) {
      problems.push({
        version: revisit.version,
        code: 'revisit_outside_range',
        detail: `version ${revisit.version}'s page is a revisit of ${revisit.url} captured ${revisit.refersToDate}, not in this package`,
      });
    }
  }
  if (warcs.length === 0) {
    throw new WaczBuildError(`nothing to archive: none of versions ${from}–${to} of ${range.url} has a WARC`);
  }

  const latest = pages.at(-1)!;
  const title = versions.at(-1)!.title || range.url;
  const { sink, result } = hashingSink(out);
  const built = await buildWacz(
    {
      title,
      description: `Redline versions ${from}–${to} of ${range.url}`,
      created: deps.clock.now().toISOString(),
      software: options.software ?? 'Redline 0.1',
      warcs,
      pages,
      mainPage: { url: latest.url, ts: latest.ts },
      extras,
      ...(options.sign ? { sign: options.sign } : {}),
    },
    sink,
  );
  const written = result();
  return {
    url: range.url,
    watchId,
    from,
    to,
    archived,
    problems: problems.sort((a, b) => a.version - b.version),
    bytes: written.bytes,
    sha256: written.sha256,
    datapackageHash: built.datapackageHash,
    signed: built.signedData !== undefined,
    ...(built.signedData ? { publicKey: built.signedData.publicKey } : {}),
    warcRecords: built.records,
    extras: extras.map((e) => e.path),
  };
}
