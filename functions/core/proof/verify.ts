/**
 * `redline verify`: checks a watch's archive (every watch's) end to end, trusting nothing but the
 * configured timestamp roots. Every blob a record names is read and re-hashed; every version is checked
 * against its capture record and its manifest; the manifests are walked as a chain; every timestamp
 * token is verified against the manifest digest it claims to stamp. Each failure is a named problem
 * (code, record, digest, what is wrong); nothing is repaired.
 */
import type * as pkijs from 'pkijs';
import { type Digest, digestHex, sha256 } from '../domain/digest.js';
import {
  BlobIntegrityError,
  BlobNotFoundError,
  IntegrityError,
  RedlineError,
  TimestampError,
  WatchNotFoundError,
} from '../domain/errors.js';
import type { ArtifactRef, CaptureRecord, VersionRecord } from '../domain/model.js';
import type { BlobStore, CaptureLog, VersionLog, WatchStore } from '../domain/ports.js';
import { normalizeUrl, watchIdFor } from '../domain/url.js';
import { canonicalJson, type Manifest, manifestOf, parseManifest } from './manifest.js';
import { verifyStoredToken } from './timestamp.js';

export const PROBLEM_CODES = [
  /** A record names a blob the store does not have. */
  'blob_missing',
  /** The stored bytes hash to another digest than the one naming them. */
  'blob_corrupt',
  /** The store failed to read the blob (not a missing one). */
  'blob_unreadable',
  /** A version and the capture that made it disagree about a blob. */
  'record_mismatch',
  /** A version has no manifest. */
  'manifest_missing',
  /** The manifest blob is not a manifest in canonical form. */
  'manifest_invalid',
  /** The manifest says something other than its version record (a field is named). */
  'manifest_mismatch',
  /** The manifest's `previous` is not the previous version's manifest digest. */
  'chain_broken',
  /** A token does not stamp the manifest it is recorded for, or says another authority or time. */
  'token_mismatch',
  /** A token fails verification (signature, certificate, chain to the roots, …). */
  'token_invalid',
  /** No trusted roots are configured (REDLINE_TSA_CA_FILE): the token cannot be checked. */
  'token_untrusted',
  /** More records than verify reads for one run: the rest were not checked. */
  'limit_reached',
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

export interface Problem {
  code: ProblemCode;
  watchId: string;
  url: string;
  /** `version 3`, `capture <id>`, `watch`. */
  record: string;
  /** The artifact kind, `manifest`, `token <tsa>`, or the manifest field that disagrees. */
  what?: string;
  digest?: Digest;
  detail: string;
}

export interface VerifyReport {
  ok: boolean;
  watches: number;
  captures: number;
  versions: number;
  /** Distinct blobs read and re-hashed. */
  blobs: number;
  bytes: number;
  tokens: number;
  problems: Problem[];
}

export interface VerifyProgress {
  watch: number;
  watches: number;
  url: string;
  blobs: number;
  bytes: number;
}

export interface VerifyDeps {
  blobs: BlobStore;
  watches: Pick<WatchStore, 'getWatch' | 'listWatches'>;
  captures: CaptureLog;
  versions: VersionLog;
}

export interface VerifyOptions {
  /** One watch (its whole history, even if it was removed); every watch when absent. */
  url?: string;
  /** The roots timestamp tokens must chain to (REDLINE_TSA_CA_FILE); without them tokens are reported untrusted. */
  roots?: readonly pkijs.Certificate[];
  onProgress?: (progress: VerifyProgress) => void;
  /** Watches checked at most in one run. */
  maxWatches?: number;
  /** Versions and captures checked at most per watch. */
  maxRecordsPerWatch?: number;
  /** Blobs read at once. */
  concurrency?: number;
  /**
   * Asked before each blob read and each version check: once it answers true, the watch being verified
   * is given up (VerifyInterruptedError), so a caller with a deadline can resume from that watch.
   */
  shouldStop?: () => boolean;
}

/** `shouldStop` answered true while a watch was being verified: its partial results are not reported. */
export class VerifyInterruptedError extends RedlineError {
  constructor(readonly watchId: string) {
    super(`verification of watch ${watchId} interrupted`);
  }
}

export const VERIFY_DEFAULTS = { maxWatches: 100_000, maxRecordsPerWatch: 100_000, concurrency: 4 } as const;

type BlobState = { ok: true; size: number } | { ok: false; code: ProblemCode; detail: string };

interface Context {
  deps: VerifyDeps;
  options: VerifyOptions;
  report: VerifyReport;
  /** Each blob is read once per run, whichever records name it. */
  checked: Map<Digest, Promise<BlobState>>;
  progress: VerifyProgress;
}

/** Runs `work` over `items`, at most `concurrency` at once, in order of start. */
async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  // A worker whose `work` throws stops; Promise.all rejects at once and the others stop at their next
  // item when the same condition holds (an interruption), their later rejections handled by Promise.all.
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** Blob results remembered at most (a blob shared beyond them is read again): bounds memory on big archives. */
const MAX_REMEMBERED = 200_000;

function checkBlob(ctx: Context, digest: Digest): Promise<BlobState> {
  let state = ctx.checked.get(digest);
  if (!state) {
    if (ctx.checked.size >= MAX_REMEMBERED) ctx.checked.clear();
    state = (async (): Promise<BlobState> => {
      let bytes: Uint8Array;
      try {
        bytes = await ctx.deps.blobs.get(digest);
      } catch (error) {
        // Every store checks what it reads and reports corruption itself, naming what it found.
        if (error instanceof BlobIntegrityError && error.found.digest)
          return {
            ok: false,
            code: 'blob_corrupt',
            detail: `the stored bytes hash to ${error.found.digest}`,
          };
        if (error instanceof IntegrityError)
          return { ok: false, code: 'blob_corrupt', detail: error.message };
        if (error instanceof BlobNotFoundError)
          return { ok: false, code: 'blob_missing', detail: 'not in the store' };
        return {
          ok: false,
          code: 'blob_unreadable',
          detail: error instanceof Error ? error.message : String(error),
        };
      }
      ctx.report.blobs += 1;
      ctx.report.bytes += bytes.byteLength;
      ctx.progress.blobs = ctx.report.blobs;
      ctx.progress.bytes = ctx.report.bytes;
      ctx.options.onProgress?.({ ...ctx.progress });
      const actual = sha256(bytes);
      if (actual !== digest) {
        return { ok: false, code: 'blob_corrupt', detail: `the stored bytes hash to ${actual}` };
      }
      return { ok: true, size: bytes.byteLength };
    })();
    ctx.checked.set(digest, state);
  }
  return state;
}

/** Bytes of a blob that passed its check (manifests and tokens: small). */
async function readChecked(ctx: Context, digest: Digest): Promise<Uint8Array | undefined> {
  const state = await checkBlob(ctx, digest);
  return state.ok ? ctx.deps.blobs.get(digest) : undefined;
}

interface NamedBlob {
  record: string;
  what: string;
  ref: ArtifactRef;
}

function blobsOfCapture(capture: CaptureRecord): NamedBlob[] {
  const record = `capture ${capture.captureId}`;
  return [
    ...Object.entries(capture.artifacts).map(([what, ref]) => ({ record, what, ref })),
    ...(capture.timestamps ?? []).map((stamp) => ({
      record,
      what: `token ${stamp.tsa} (version ${stamp.version})`,
      ref: stamp.token,
    })),
  ];
}

function blobsOfVersion(version: VersionRecord): NamedBlob[] {
  const record = `version ${version.number}`;
  return [
    ...Object.entries(version.artifacts).map(([what, ref]) => ({ record, what, ref })),
    ...(version.diff ? [{ record, what: 'diff', ref: version.diff }] : []),
    ...(version.manifest ? [{ record, what: 'manifest', ref: version.manifest }] : []),
    ...(version.timestamps ?? []).map((stamp) => ({ record, what: `token ${stamp.tsa}`, ref: stamp.token })),
  ];
}

/** The version's blobs the capture that made it names too: any difference is a rewritten record. */
function compareWithCapture(
  version: VersionRecord,
  capture: CaptureRecord | undefined,
): Omit<Problem, 'watchId' | 'url'>[] {
  const record = `version ${version.number}`;
  if (!capture) {
    return [{ code: 'record_mismatch', record, detail: `its capture ${version.captureId} is not recorded` }];
  }
  const problems: Omit<Problem, 'watchId' | 'url'>[] = [];
  const mine: Record<string, ArtifactRef | undefined> = {
    ...version.artifacts,
    ...(version.diff ? { diff: version.diff } : {}),
    ...(version.manifest ? { manifest: version.manifest } : {}),
  };
  const theirs: Record<string, ArtifactRef | undefined> = capture.artifacts;
  for (const kind of new Set([...Object.keys(mine), ...Object.keys(theirs)])) {
    if (kind === 'manifest' && !theirs.manifest) continue; // captures made before manifests name none
    const a = mine[kind]?.digest;
    const b = theirs[kind]?.digest;
    if (a !== b) {
      problems.push({
        code: 'record_mismatch',
        record,
        what: kind,
        ...(a ? { digest: a } : {}),
        detail: `the version names ${a ?? 'no blob'}, its capture ${capture.captureId} names ${b ?? 'none'}`,
      });
    }
  }
  if (capture.textHash && capture.textHash !== version.textHash) {
    problems.push({
      code: 'record_mismatch',
      record,
      what: 'textHash',
      detail: `the version says ${version.textHash}, its capture ${capture.captureId} says ${capture.textHash}`,
    });
  }
  return problems;
}

/**
 * Where a stored manifest differs from the one its version record implies (`previous` apart: the chain
 * walk checks it): a field name, or `artifacts.<kind>` for one artifact.
 */
function manifestDifferences(
  stored: Manifest,
  expected: Manifest,
): { what: string; stored: string; expected: string }[] {
  const out: { what: string; stored: string; expected: string }[] = [];
  const show = (value: unknown) => (value === undefined ? 'nothing' : canonicalJson(value));
  const keys = new Set([...Object.keys(stored), ...Object.keys(expected)]) as Set<keyof Manifest>;
  for (const key of keys) {
    if (key === 'previous' || key === 'provenance') continue;
    if (key === 'artifacts') {
      const a: Record<string, string | undefined> = stored.artifacts;
      const b: Record<string, string | undefined> = expected.artifacts;
      for (const kind of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (a[kind] !== b[kind])
          out.push({ what: `artifacts.${kind}`, stored: show(a[kind]), expected: show(b[kind]) });
      }
    } else if (show(stored[key]) !== show(expected[key])) {
      out.push({ what: key, stored: show(stored[key]), expected: show(expected[key]) });
    }
  }
  return out;
}

async function verifyToken(
  ctx: Context,
  add: (problem: Omit<Problem, 'watchId' | 'url'>) => void,
  record: string,
  stamp: { tsa: string; genTime: string; token: ArtifactRef },
  manifest: Digest,
): Promise<void> {
  const what = `token ${stamp.tsa}`;
  const bytes = await readChecked(ctx, stamp.token.digest);
  if (!bytes) return; // its blob problem is already reported
  ctx.report.tokens += 1;
  if (!ctx.options.roots?.length) {
    add({
      code: 'token_untrusted',
      record,
      what,
      digest: stamp.token.digest,
      detail: 'no trusted roots configured (REDLINE_TSA_CA_FILE): the token cannot be verified',
    });
    return;
  }
  try {
    const token = await verifyStoredToken(bytes, {
      digestHex: digestHex(manifest),
      roots: ctx.options.roots,
    });
    if (token.genTime.toISOString() !== new Date(stamp.genTime).toISOString()) {
      add({
        code: 'token_mismatch',
        record,
        what,
        digest: stamp.token.digest,
        detail: `the record says genTime ${stamp.genTime}, the token ${token.genTime.toISOString()}`,
      });
    }
  } catch (error) {
    const imprint = error instanceof TimestampError && error.code === 'imprint';
    add({
      code: imprint ? 'token_mismatch' : 'token_invalid',
      record,
      what,
      digest: stamp.token.digest,
      detail: imprint
        ? `it does not stamp manifest ${manifest}: ${error.message}`
        : error instanceof Error
          ? error.message
          : String(error),
    });
  }
}

async function verifyWatch(ctx: Context, watchId: string, url: string): Promise<void> {
  const problems = ctx.report.problems;
  const add = (problem: Omit<Problem, 'watchId' | 'url'>) => problems.push({ watchId, url, ...problem });
  const limit = ctx.options.maxRecordsPerWatch ?? VERIFY_DEFAULTS.maxRecordsPerWatch;
  const [allVersions, allCaptures] = await Promise.all([
    ctx.deps.versions.listVersions(watchId),
    ctx.deps.captures.listCaptures(watchId),
  ]);
  for (const [list, name] of [
    [allVersions, 'versions'],
    [allCaptures, 'captures'],
  ] as const) {
    if (list.length > limit) {
      add({
        code: 'limit_reached',
        record: 'watch',
        detail: `${list.length} ${name}: the first ${limit} checked`,
      });
    }
  }
  const versions = allVersions.slice(0, limit).sort((a, b) => a.number - b.number);
  const captures = allCaptures.slice(0, limit);
  ctx.report.versions += versions.length;
  ctx.report.captures += captures.length;

  // 1. Every blob every record names: present, and its bytes hash to its name.
  const named = [...captures.flatMap(blobsOfCapture), ...versions.flatMap(blobsOfVersion)];
  const concurrency = ctx.options.concurrency ?? VERIFY_DEFAULTS.concurrency;
  const interrupted = () => {
    if (ctx.options.shouldStop?.()) throw new VerifyInterruptedError(watchId);
  };
  await pool([...new Set(named.map((n) => n.ref.digest))], concurrency, async (digest) => {
    interrupted();
    await checkBlob(ctx, digest);
  });
  for (const { record, what, ref } of named) {
    const state = await checkBlob(ctx, ref.digest);
    if (!state.ok) add({ code: state.code, record, what, digest: ref.digest, detail: state.detail });
  }

  // 2. Versions against their captures, their manifests, and the chain.
  const byCapture = new Map(captures.map((c) => [c.captureId, c]));
  let previous: Digest | null = null;
  for (const version of versions) {
    interrupted();
    const record = `version ${version.number}`;
    for (const problem of compareWithCapture(version, byCapture.get(version.captureId))) add(problem);
    const expectedPrevious = previous;
    previous = version.manifest?.digest ?? null;
    if (!version.manifest) {
      add({ code: 'manifest_missing', record, detail: 'the version names no manifest' });
      continue;
    }
    const digest = version.manifest.digest;
    const bytes = await readChecked(ctx, digest);
    if (bytes) {
      let stored: Manifest | undefined;
      try {
        stored = parseManifest(bytes);
      } catch (error) {
        add({
          code: 'manifest_invalid',
          record,
          what: 'manifest',
          digest,
          detail: error instanceof Error ? error.message : String(error),
        });
      }
      if (stored) {
        for (const diff of manifestDifferences(stored, manifestOf(version, expectedPrevious))) {
          add({
            code: 'manifest_mismatch',
            record,
            what: diff.what,
            digest,
            detail: `the manifest says ${diff.stored}, the version record ${diff.expected}`,
          });
        }
        if (stored.previous !== expectedPrevious) {
          add({
            code: 'chain_broken',
            record,
            what: 'previous',
            digest,
            detail: `the manifest's previous is ${stored.previous ?? 'null'}, the previous version's manifest is ${expectedPrevious ?? 'null'}`,
          });
        }
      }
    }
    for (const stamp of version.timestamps ?? []) await verifyToken(ctx, add, record, stamp, digest);
  }

  // 3. Tokens captures obtained (their own version's again, and retried ones): each for its version's manifest.
  const manifestOfVersion = new Map(versions.map((v) => [v.number, v.manifest?.digest]));
  const seen = new Set(
    versions.flatMap((v) => (v.timestamps ?? []).map((t) => `${t.token.digest}|${v.manifest?.digest}`)),
  );
  for (const capture of captures) {
    const record = `capture ${capture.captureId}`;
    for (const stamp of capture.timestamps ?? []) {
      const current = manifestOfVersion.get(stamp.version);
      if (current !== stamp.manifest) {
        add({
          code: 'token_mismatch',
          record,
          what: `token ${stamp.tsa} (version ${stamp.version})`,
          digest: stamp.token.digest,
          detail: `it is recorded for manifest ${stamp.manifest}; version ${stamp.version} names ${current ?? 'none'}`,
        });
      }
      const key = `${stamp.token.digest}|${stamp.manifest}`;
      if (seen.has(key)) continue;
      seen.add(key);
      await verifyToken(ctx, add, record, stamp, stamp.manifest);
    }
  }
}

const emptyReport = (): VerifyReport => ({
  ok: true,
  watches: 0,
  captures: 0,
  versions: 0,
  blobs: 0,
  bytes: 0,
  tokens: 0,
  problems: [],
});

/**
 * Verifies one watch on its own (its blobs read afresh, not shared with other watches' checks), for a
 * caller that walks the watches itself. Throws VerifyInterruptedError when `options.shouldStop` says so.
 */
export async function verifyOneWatch(
  deps: VerifyDeps,
  target: { id: string; url: string },
  options: Omit<VerifyOptions, 'url' | 'maxWatches'> = {},
): Promise<VerifyReport> {
  const report = emptyReport();
  const ctx: Context = {
    deps,
    options,
    report,
    checked: new Map(),
    progress: { watch: 1, watches: 1, url: target.url, blobs: 0, bytes: 0 },
  };
  await verifyWatch(ctx, target.id, target.url);
  report.watches = 1;
  report.ok = report.problems.length === 0;
  return report;
}

/** Verifies one watch's archive (options.url), or every watch's. */
export async function verifyArchive(deps: VerifyDeps, options: VerifyOptions = {}): Promise<VerifyReport> {
  const report = emptyReport();
  let targets: { id: string; url: string }[];
  if (options.url) {
    const url = normalizeUrl(options.url);
    const id = watchIdFor(url);
    const watch = await deps.watches.getWatch(id);
    // A removed watch's history is kept: it is verified all the same.
    if (!watch && (await deps.captures.listCaptures(id)).length === 0) throw new WatchNotFoundError(url);
    targets = [{ id, url: watch?.url ?? url }];
  } else {
    const max = options.maxWatches ?? VERIFY_DEFAULTS.maxWatches;
    const all = await deps.watches.listWatches();
    targets = all.slice(0, max).map((w) => ({ id: w.id, url: w.url }));
    if (all.length > max) {
      report.problems.push({
        code: 'limit_reached',
        watchId: '',
        url: '',
        record: 'watches',
        detail: `${all.length} watches: the first ${max} checked`,
      });
    }
  }
  const ctx: Context = {
    deps,
    options,
    report,
    checked: new Map(),
    progress: { watch: 0, watches: targets.length, url: '', blobs: 0, bytes: 0 },
  };
  for (const [i, target] of targets.entries()) {
    ctx.progress.watch = i + 1;
    ctx.progress.url = target.url;
    options.onProgress?.({ ...ctx.progress });
    await verifyWatch(ctx, target.id, target.url);
    report.watches += 1;
  }
  report.ok = report.problems.length === 0;
  return report;
}
