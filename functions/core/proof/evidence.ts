import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type * as pkijs from 'pkijs';
import { ZipFile } from 'yazl';
import { renderDiffPage } from '../detect/diff-html.js';
import { type Digest, digestHex, sha256 } from '../domain/digest.js';
import { InvalidInputError, TimestampConfigError, WaczBuildError } from '../domain/errors.js';
import type { ArtifactKind, ArtifactRef, CaptureRecord, VersionRecord } from '../domain/model.js';
import { DEFAULT_EVIDENCE_OPTIONS, type EvidenceOptions } from '../domain/options.js';
import type { CaptureLog } from '../domain/ports.js';
import { normalizeUrl } from '../domain/url.js';
import { diffVersions } from '../history/history.js';
import { reportPdf } from './evidence-pdf.js';
import {
  type ChainEntry,
  type ListedFile,
  manifestPath,
  pemFingerprints,
  type ReportInput,
  type ReportSide,
  reportBlocks,
  reportHtml,
  type TokenEntry,
  tokenPath,
  verifyScript,
  warcPathInWacz,
} from './evidence-report.js';
import { describeToken } from './evidence-tokens.js';
import {
  allVersionsOf,
  type ExportDeps,
  type ExportSummary,
  exportWacz,
  hashingSink,
  requireVersions,
} from './export.js';
import { parseManifest } from './manifest.js';
import { parsePemCertificates } from './timestamp.js';

/**
 * `redline evidence URL --from N --to M`: one ZIP an analyst hands to someone who does not trust Redline.
 * It holds versions N and M as captured (before/, after/), the diff between them, the manifests of every
 * version from N to M byte for byte (chain/), their RFC 3161 tokens (tokens/) and the TSA roots
 * (tsa-ca.pem), the WACZ of N..M (archive.wacz), a report (HTML and PDF) naming every digest and the
 * exact offline commands, verify.sh running them all, and SHA256SUMS over every other file. With N = M
 * (or a watch of one version) it holds that one version (version/) and no diff. Pure: reads through the ports.
 */

export interface EvidenceDeps extends ExportDeps {
  captures: CaptureLog;
}

export interface EvidenceProgress {
  step: 'versions' | 'chain' | 'tokens' | 'wacz' | 'report' | 'zip';
  done: number;
  total: number;
}

export interface EvidenceBuildOptions {
  from?: number;
  to?: number;
  /** PEM roots timestamp tokens chain to (REDLINE_TSA_CA_FILE's text): copied as tsa-ca.pem and used to check tokens. */
  tsaCaPem?: string;
  /** Limits; defaults from DEFAULT_EVIDENCE_OPTIONS. */
  limits?: Partial<EvidenceOptions>;
  software?: string;
  onProgress?: (progress: EvidenceProgress) => void;
}

export interface EvidenceSummary {
  url: string;
  watchId: string;
  from: number;
  to: number;
  /** Bytes written and their SHA-256 (the ZIP itself). */
  bytes: number;
  sha256: Digest;
  /** Every file in the bundle with its digest, SHA256SUMS last (not listed in itself). */
  files: ListedFile[];
  manifests: number;
  tokens: number;
  wacz: boolean;
  /** Whether the tokens were checked against TSA roots at export (false: no roots given, tsa-ca.pem left out). */
  tokensChecked: boolean;
  /** What the report says is missing or wrong (versions without manifest or token, a token that failed, …). */
  notes: string[];
}

/** A limit of the bundle was reached: the range spans too many versions, or its files too many bytes. */
export class EvidenceLimitError extends InvalidInputError {
  constructor(
    readonly limit: 'versions' | 'bytes',
    readonly value: number,
    readonly max: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The range asked for is not one the watch has (`from` after `to`, or past the latest version). The message
 * names versions only; the API and the CLI word it in their own terms (query parameters, flags) from the fields.
 */
export class EvidenceRangeError extends InvalidInputError {
  constructor(
    readonly problem: 'reversed' | 'beyond',
    readonly from: number,
    readonly to: number,
    readonly latest: number,
    message: string,
  ) {
    super(message);
  }
}

/** Artifacts written under before/ and after/, in this order, with the usual ones the report says are absent. */
const SIDE_KINDS: ArtifactKind[] = [
  'raw',
  'rendered',
  'pdf',
  'screenshot',
  'text',
  'article',
  'provenance',
  'edits',
  'payloads',
  'diff',
];
const USUAL_KINDS: ArtifactKind[] = ['raw', 'rendered', 'pdf', 'screenshot', 'text'];

const EXTENSIONS: Record<string, string> = {
  'text/html': 'html',
  'application/xhtml+xml': 'xhtml',
  'application/pdf': 'pdf',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'application/json': 'json',
  'text/plain': 'txt',
  'application/xml': 'xml',
  'text/xml': 'xml',
  'application/rss+xml': 'xml',
  'application/atom+xml': 'xml',
};

const extensionOf = (contentType: string, fallback: string) =>
  EXTENSIONS[contentType.split(';')[0]!.trim().toLowerCase()] ?? fallback;

function fileNameFor(kind: ArtifactKind, ref: ArtifactRef, version: VersionRecord): string {
  switch (kind) {
    case 'raw':
      return `response-body.${extensionOf(ref.contentType, 'bin')}`;
    case 'rendered':
      return 'rendered.html';
    case 'pdf':
      return 'rendered.pdf';
    case 'screenshot':
      return `screenshot.${extensionOf(ref.contentType, 'png')}`;
    case 'text':
      return 'text.txt';
    case 'article':
      return 'article.json';
    case 'provenance':
      return 'provenance.json';
    case 'edits':
      return 'edits.json';
    case 'payloads':
      return 'payloads.json';
    case 'diff':
      return `diff-from-version-${version.number - 1}.html`;
    default:
      return `${kind}.${extensionOf(ref.contentType, 'bin')}`;
  }
}

/** Content that is compressed already gains nothing from deflate. */
const STORED = /\.(png|jpg|webp|gif|pdf|wacz|gz)$/;

interface BundleFile {
  path: string;
  bytes: Uint8Array;
  contentType?: string;
}

const json = (value: unknown) => new Uint8Array(Buffer.from(`${JSON.stringify(value, null, 2)}\n`));

/** A token reference as ADR 0013 records it (read loosely: records come from storage). */
const isTokenRef = (value: unknown): value is { tsa: string; genTime: string; token: ArtifactRef } => {
  const v = value as { tsa?: unknown; genTime?: unknown; token?: { digest?: unknown } } | undefined;
  return typeof v?.tsa === 'string' && typeof v.genTime === 'string' && typeof v.token?.digest === 'string';
};

interface Range {
  url: string;
  watchId: string;
  all: VersionRecord[];
  versions: VersionRecord[];
  from: number;
  to: number;
}

async function resolveRange(
  deps: EvidenceDeps,
  url: string,
  options: EvidenceBuildOptions,
  limits: EvidenceOptions,
): Promise<Range> {
  const normalized = normalizeUrl(url);
  const { watchId, all, latest } = await allVersionsOf(deps, normalized);
  const to = options.to ?? latest;
  const from = options.from ?? (to > 1 && all.some((v) => v.number === to - 1) ? to - 1 : to);
  if (from > to)
    throw new EvidenceRangeError('reversed', from, to, latest, `version ${from} is after version ${to}`);
  if (to > latest)
    throw new EvidenceRangeError(
      'beyond',
      from,
      to,
      latest,
      `${normalized} has no version ${to} (the latest is ${latest})`,
    );
  requireVersions(normalized, all, [from, to]);
  const versions = all.filter((v) => v.number >= from && v.number <= to);
  if (versions.length > limits.maxVersions)
    throw new EvidenceLimitError(
      'versions',
      versions.length,
      limits.maxVersions,
      `versions ${from}–${to} are ${versions.length} versions, more than one evidence bundle spans (${limits.maxVersions}): choose a narrower range`,
    );
  return { url: normalized, watchId, all, versions, from, to };
}

/** Tokens per version: its record's own, then those later captures obtained (retried stamps), deduplicated. */
function tokensByVersion(versions: VersionRecord[], captures: CaptureRecord[], max: number) {
  const byVersion = new Map<
    number,
    { tsa: string; genTime: string; token: ArtifactRef; manifest?: string }[]
  >();
  const add = (n: number, t: { tsa: string; genTime: string; token: ArtifactRef; manifest?: string }) => {
    const list = byVersion.get(n) ?? [];
    if (list.length < max && !list.some((x) => x.token.digest === t.token.digest)) list.push(t);
    byVersion.set(n, list);
  };
  const numbers = new Set(versions.map((v) => v.number));
  for (const v of versions) for (const t of (v.timestamps ?? []).filter(isTokenRef)) add(v.number, t);
  for (const capture of captures)
    for (const t of capture.timestamps ?? []) if (numbers.has(t.version) && isTokenRef(t)) add(t.version, t);
  return byVersion;
}

/**
 * A Writable into memory that fails with EvidenceLimitError (`bytes`, saying `message`) once more than `max`
 * bytes come; `bytes()` gives what it holds.
 */
export function boundedSink(max: number, message: string) {
  const chunks: Buffer[] = [];
  let size = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      size += chunk.byteLength;
      if (size > max) {
        done(new EvidenceLimitError('bytes', size, max, message));
        return;
      }
      chunks.push(chunk);
      done();
    },
  });
  return { sink, bytes: () => Buffer.concat(chunks) };
}

/** Bytes the bundle will hold at least, from the sizes the records give: checked before any blob is read. */
function estimate(
  range: Range,
  sides: VersionRecord[],
  tokens: Map<number, { token: ArtifactRef }[]>,
): number {
  let total = 0;
  for (const v of sides)
    for (const kind of SIDE_KINDS) {
      const ref = kind === 'diff' ? v.diff : v.artifacts[kind];
      total += ref?.size ?? 0;
    }
  for (const v of range.versions) {
    total += (v.manifest?.size ?? 0) + (v.artifacts.warc?.size ?? 0);
    for (const t of tokens.get(v.number) ?? []) total += t.token.size;
  }
  return total;
}

/** Writes the files as a ZIP to `out`, hashing what goes out. */
async function writeZip(
  files: BundleFile[],
  mtime: Date,
  out: Writable,
): Promise<{ bytes: number; sha256: Digest }> {
  const zip = new ZipFile();
  for (const file of files)
    zip.addBuffer(Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength), file.path, {
      mtime,
      mode: 0o100644,
      compress: !STORED.test(file.path),
    });
  zip.end();
  const { sink, result } = hashingSink(out);
  await pipeline(zip.outputStream, sink);
  return result();
}

/** The article's modified date as article.json holds it: null when the page shows none, undefined when unreadable. */
function modifiedOf(bytes: Uint8Array): string | null | undefined {
  try {
    const article = JSON.parse(Buffer.from(bytes).toString('utf8')) as { modified?: unknown };
    return typeof article.modified === 'string' ? article.modified : null;
  } catch {
    return undefined;
  }
}

function rootsOf(pem: string | undefined): pkijs.Certificate[] | undefined {
  if (pem === undefined) return undefined;
  try {
    return parsePemCertificates(pem);
  } catch (cause) {
    throw new TimestampConfigError('the TSA roots given for the evidence bundle hold no usable certificate', {
      cause,
    });
  }
}

/**
 * Writes the evidence bundle of `url`'s versions `from`–`to` (default: the latest and the one before, or the
 * latest alone when it is the first) to `out`. Throws WatchNotFoundError, VersionNotFoundError (a version
 * inside the range is missing), EvidenceRangeError (`from` after `to`, `to` past the latest),
 * EvidenceLimitError (more than `maxVersions` versions, or `maxBytes` bytes), BlobIntegrityError /
 * BlobNotFoundError (a stored blob is not what its record names: nothing is bundled silently).
 * Versions without a manifest or a token, and a capture without a WARC, are said so in the report.
 */
export async function buildEvidence(
  deps: EvidenceDeps,
  url: string,
  options: EvidenceBuildOptions,
  out: Writable,
): Promise<EvidenceSummary> {
  const limits: EvidenceOptions = { ...DEFAULT_EVIDENCE_OPTIONS, ...options.limits };
  const progress = options.onProgress ?? (() => {});
  const software = options.software ?? 'Redline 0.1';
  const roots = rootsOf(options.tsaCaPem);
  const range = await resolveRange(deps, url, options, limits);
  const { versions, from, to } = range;
  const before = versions[0]!;
  const after = versions.at(-1)!;
  const captures = await deps.captures.listCaptures(range.watchId);
  const captureById = new Map(captures.map((c) => [c.captureId, c]));
  const tokenRefs = tokensByVersion(versions, captures, limits.maxTokensPerVersion);
  const single = from === to;
  const estimated = estimate(range, single ? [after] : [before, after], tokenRefs);
  if (estimated > limits.maxBytes)
    throw new EvidenceLimitError(
      'bytes',
      estimated,
      limits.maxBytes,
      `versions ${from}–${to} of ${range.url} hold ${estimated} bytes, more than one evidence bundle holds (${limits.maxBytes}): choose a narrower range`,
    );
  const generatedAt = deps.clock.now();
  const files: BundleFile[] = [];
  const notes: string[] = [];

  // before/ and after/: the artifacts as stored (every read checked against its digest), and the records.
  const sides: ReportSide[] = [];
  const roles: [ReportSide['role'], VersionRecord][] = single
    ? [['version', after]]
    : [
        ['before', before],
        ['after', after],
      ];
  for (const [role, version] of roles) {
    progress({ step: 'versions', done: sides.length, total: roles.length });
    const side: ReportSide = { role, version, files: [], artifacts: [], absent: [] };
    const capture = captureById.get(version.captureId);
    if (capture) side.capture = capture;
    for (const kind of SIDE_KINDS) {
      const ref = kind === 'diff' ? version.diff : version.artifacts[kind];
      if (!ref) continue;
      const bytes = await deps.blobs.get(ref.digest);
      const path = `${role}/${fileNameFor(kind, ref, version)}`;
      files.push({ path, bytes, contentType: ref.contentType });
      side.files.push({
        path,
        kind,
        sha256: ref.digest,
        size: bytes.byteLength,
        contentType: ref.contentType,
      });
      if (kind === 'article') side.modified = modifiedOf(bytes);
      if (kind === 'provenance') {
        try {
          side.provenance = { digest: ref.digest, value: JSON.parse(Buffer.from(bytes).toString('utf8')) };
        } catch (error) {
          side.provenance = { digest: ref.digest, unreadable: (error as Error).message };
        }
      }
    }
    for (const [kind, ref] of Object.entries(version.artifacts) as [ArtifactKind, ArtifactRef][]) {
      const file = side.files.find((f) => f.kind === kind);
      side.artifacts.push({
        kind,
        digest: ref.digest,
        size: ref.size,
        ...(file
          ? { where: file.path }
          : kind === 'warc'
            ? { where: `archive.wacz: ${warcPathInWacz(version.number)}` }
            : {}),
      });
    }
    if (version.diff)
      side.artifacts.push({
        kind: 'diff',
        digest: version.diff.digest,
        size: version.diff.size,
        where: side.files.find((f) => f.kind === 'diff')!.path,
      });
    if (version.manifest)
      side.artifacts.push({
        kind: 'manifest',
        digest: version.manifest.digest,
        size: version.manifest.size,
        where: manifestPath(version.number),
      });
    side.absent = USUAL_KINDS.filter((k) => !version.artifacts[k]);
    for (const record of [
      { path: `${role}/version-record.json`, value: version },
      ...(capture ? [{ path: `${role}/capture-record.json`, value: capture }] : []),
    ]) {
      const bytes = json(record.value);
      files.push({ path: record.path, bytes, contentType: 'application/json' });
      side.files.push({
        path: record.path,
        kind: 'record',
        sha256: sha256(bytes),
        size: bytes.byteLength,
        contentType: 'application/json',
      });
    }
    sides.push(side);
  }

  // diff.html: the edits between N and M, computed now from their articles (none for a one-version bundle).
  let diff: ReportInput['diff'];
  if (!single) {
    const computed = await diffVersions(deps, { id: range.watchId, url: range.url }, { from, to });
    const diffHtml = renderDiffPage({
      url: range.url,
      title: after.title,
      from: { number: before.number, capturedAt: before.capturedAt, textHash: before.textHash },
      to: { number: after.number, capturedAt: after.capturedAt, textHash: after.textHash },
      edits: computed.edits,
      ...(after.silent !== undefined ? { silent: after.silent } : {}),
    });
    files.push({ path: 'diff.html', bytes: new Uint8Array(Buffer.from(diffHtml)), contentType: 'text/html' });
    const modified = sides.at(-1)!.modified;
    diff = {
      path: 'diff.html',
      summary: computed.summary,
      edits: computed.edits.length,
      major: computed.edits.filter((e) => e.significance === 'major').length,
      silent: after.silent === true,
      ...(modified !== undefined ? { modified } : {}),
    };
  }

  // chain/: every manifest N..M as stored; the link to the previous one checked.
  const chain: ChainEntry[] = [];
  const manifestByVersion = new Map(range.all.map((v) => [v.number, v.manifest?.digest]));
  for (const [i, version] of versions.entries()) {
    progress({ step: 'chain', done: i, total: versions.length });
    const entry: ChainEntry = {
      version: version.number,
      capturedAt: version.capturedAt,
      captureId: version.captureId,
    };
    if (version.manifest) {
      const bytes = await deps.blobs.get(version.manifest.digest);
      const path = manifestPath(version.number);
      files.push({ path, bytes, contentType: 'application/vnd.redline.manifest+json' });
      const m: NonNullable<ChainEntry['manifest']> = { path, digest: version.manifest.digest };
      try {
        const parsed = parseManifest(bytes);
        m.previous = parsed.previous;
        if (version.number === from) m.recordedPrevious = manifestByVersion.get(version.number - 1) ?? null;
        else {
          const prior = versions[i - 1];
          m.linked = parsed.previous !== null && parsed.previous === prior?.manifest?.digest;
          if (parsed.previous === null && !prior?.manifest) m.linked = undefined;
        }
      } catch (error) {
        m.problem = `not a valid manifest: ${(error as Error).message}`;
        notes.push(`version ${version.number}: manifest ${version.manifest.digest} ${m.problem}`);
      }
      if (m.linked === false)
        notes.push(
          `version ${version.number}: manifest's previous does not match version ${version.number - 1}'s manifest`,
        );
      entry.manifest = m;
    } else {
      notes.push(`version ${version.number}: no manifest`);
    }
    chain.push(entry);
  }

  // tokens/: every RFC 3161 token over those manifests; tsa-ca.pem so `openssl ts -verify` runs offline.
  const tokens: TokenEntry[] = [];
  let tokenCount = 0;
  for (const refs of tokenRefs.values()) tokenCount += refs.length;
  for (const version of versions) {
    const refs = tokenRefs.get(version.number) ?? [];
    if (version.manifest && refs.length === 0) notes.push(`version ${version.number}: no timestamp token`);
    for (const [i, ref] of refs.entries()) {
      progress({ step: 'tokens', done: tokens.length, total: tokenCount });
      const manifestDigest = ref.manifest ?? version.manifest?.digest;
      if (!manifestDigest) {
        notes.push(`version ${version.number}: a token from ${ref.tsa} names no manifest; left out`);
        continue;
      }
      if (version.manifest && manifestDigest !== version.manifest.digest)
        notes.push(
          `version ${version.number}: a token from ${ref.tsa} stamps ${manifestDigest}, not the version's manifest ${version.manifest.digest}`,
        );
      const bytes = await deps.blobs.get(ref.token.digest);
      const path = tokenPath(version.number, i + 1);
      files.push({ path, bytes, contentType: 'application/timestamp-token' });
      const info = await describeToken(bytes, digestHex(manifestDigest as Digest), roots);
      if (info.check === 'failed')
        notes.push(`version ${version.number}: token ${path} failed its check: ${info.checkDetail}`);
      tokens.push({
        version: version.number,
        path,
        manifestPath: manifestPath(version.number),
        manifestDigest,
        tsa: ref.tsa,
        recordedGenTime: ref.genTime,
        info,
      });
    }
  }
  if (options.tsaCaPem !== undefined)
    files.push({
      path: 'tsa-ca.pem',
      bytes: new Uint8Array(Buffer.from(options.tsaCaPem)),
      contentType: 'application/x-pem-file',
    });

  // archive.wacz: the existing WACZ export of N..M, within what is left of the byte budget.
  progress({ step: 'wacz', done: 0, total: 1 });
  const used = files.reduce((sum, f) => sum + f.bytes.byteLength, 0);
  const left = Math.max(0, limits.maxBytes - used);
  const { sink, bytes: waczBytes } = boundedSink(
    left,
    `the WACZ is over the ${left} bytes left for it in the bundle: choose a narrower range`,
  );
  let wacz: ReportInput['wacz'];
  let exported: ExportSummary | undefined;
  try {
    exported = await exportWacz(deps, range.url, { from, to, software }, sink);
  } catch (error) {
    if (!(error instanceof WaczBuildError)) throw error;
    wacz = { missing: error.message };
    notes.push(`no WACZ: ${error.message}`);
  }
  if (exported) {
    const bytes = waczBytes();
    files.push({ path: 'archive.wacz', bytes, contentType: 'application/wacz' });
    const problems = exported.problems.map((p) => `version ${p.version}: ${p.code}: ${p.detail}`);
    notes.push(...problems);
    wacz = {
      path: 'archive.wacz',
      sha256: exported.sha256,
      size: exported.bytes,
      archived: exported.archived,
      problems,
    };
  }

  // report.html and report.pdf: every digest, time, the provenance, and the offline commands.
  progress({ step: 'report', done: 0, total: 1 });
  const input: ReportInput = {
    url: range.url,
    watchId: range.watchId,
    title: after.title,
    from,
    to,
    generatedAt: generatedAt.toISOString(),
    software,
    sides,
    ...(diff ? { diff } : {}),
    chain,
    tokens,
    tsaCa: options.tsaCaPem !== undefined,
    tsaCaFingerprints: options.tsaCaPem !== undefined ? pemFingerprints(options.tsaCaPem) : [],
    wacz: wacz!,
    maxFieldChars: limits.maxFieldChars,
    maxProvenanceEntries: limits.maxProvenanceEntries,
  };
  const blocks = reportBlocks(input);
  const title = single
    ? `Redline evidence: ${range.url} v${from}`
    : `Redline evidence: ${range.url} v${from} to v${to}`;
  files.push({
    path: 'report.html',
    bytes: new Uint8Array(Buffer.from(reportHtml(blocks, title))),
    contentType: 'text/html',
  });
  files.push({
    path: 'report.pdf',
    bytes: await reportPdf(blocks, {
      title,
      generatedAt,
      software,
      footer: single
        ? `Redline evidence bundle, version ${from}`
        : `Redline evidence bundle, versions ${from} to ${to}`,
    }),
    contentType: 'application/pdf',
  });
  // verify.sh: every offline check the report describes, in one script (listed in SHA256SUMS).
  files.push({
    path: 'verify.sh',
    bytes: new Uint8Array(Buffer.from(verifyScript(chain, tokens, sides))),
    contentType: 'text/x-shellscript',
  });

  // SHA256SUMS (GNU format: hex, two spaces, path) over every other file.
  const listed: ListedFile[] = files.map((f) => ({
    path: f.path,
    sha256: sha256(f.bytes),
    size: f.bytes.byteLength,
    ...(f.contentType ? { contentType: f.contentType } : {}),
  }));
  const sums = new Uint8Array(
    Buffer.from(listed.map((f) => `${digestHex(f.sha256 as Digest)}  ${f.path}\n`).join('')),
  );
  files.push({ path: 'SHA256SUMS', bytes: sums });
  listed.push({ path: 'SHA256SUMS', sha256: sha256(sums), size: sums.byteLength, contentType: 'text/plain' });
  const total = files.reduce((sum, f) => sum + f.bytes.byteLength, 0);
  if (total > limits.maxBytes)
    throw new EvidenceLimitError(
      'bytes',
      total,
      limits.maxBytes,
      `the bundle's files are ${total} bytes, more than one bundle holds (${limits.maxBytes}): choose a narrower range`,
    );

  progress({ step: 'zip', done: 0, total: 1 });
  const written = await writeZip(files, generatedAt, out);
  return {
    url: range.url,
    watchId: range.watchId,
    from,
    to,
    bytes: written.bytes,
    sha256: written.sha256,
    files: listed,
    manifests: chain.filter((c) => c.manifest).length,
    tokens: tokens.length,
    wacz: exported !== undefined,
    tokensChecked: roots !== undefined,
    notes,
  };
}
