import { beforeAll, describe, expect, it } from 'vitest';
import { articlePage, EDITED, ORIGINAL } from '../../demo/news-site.js';
import { jsonBytes, SQS_MESSAGE_MAX_BYTES } from '../../functions/contracts/aws-limits.js';
import { captureWatch } from '../../functions/core/capture/capture.js';
import type { Digest } from '../../functions/core/domain/digest.js';
import type { BlobStore } from '../../functions/core/domain/ports.js';
import { verifyArchive, verifyOneWatch } from '../../functions/core/proof/verify.js';
import {
  fitVerifyAlert,
  inSample,
  KEPT_PROBLEMS_MAX_BYTES,
  runVerifySlice,
  sampleGroups,
  startPass,
  VERIFY_ALERT_MAX_BYTES,
  type VerifyAlert,
  type VerifyPass,
  VerifyPassSchema,
  type VerifyRunOptions,
} from '../../functions/core/proof/verify-run.js';
import { addWatch } from '../../functions/core/watches/watches.js';
import { memoryCaptureDeps } from '../support/memory.js';

/**
 * The scheduled verifier's use case on in-memory stores: slices that stop at a deadline and resume from
 * the cursor, sampled passes that cover every watch once per cycle, and the caps that end a pass. The
 * deadline is a budget of simulated milliseconds that every blob read spends, so no test depends on the
 * machine's speed.
 */
const WATCHES = 12;
const DAY = 86_400_000;
const T0 = new Date('2026-11-26T03:00:00.000Z');

type Archive = Awaited<ReturnType<typeof archive>>;

/** WATCHES watches, each captured twice (two versions, the second an edit). */
async function archive() {
  const { deps, catalog, advance } = memoryCaptureDeps();
  for (let i = 0; i < WATCHES; i++) {
    const url = `https://news.example/2026/11/${String(i + 1).padStart(2, '0')}/story`;
    const { watch } = await addWatch(deps, { url, cadenceSeconds: 900, mode: 'auto', tags: [] });
    for (const [state, round] of [
      [ORIGINAL, 1],
      [EDITED, 2],
    ] as const) {
      deps.fetcher.pages.set(url, { body: articlePage(state, round) });
      await captureWatch(deps, (await catalog.getWatch(watch.id))!);
      advance(20);
    }
  }
  return { deps, catalog, blobs: deps.blobs };
}

/** A blob store whose every read spends `costMs` of the simulated invocation's remaining time. */
function timedBlobs(inner: BlobStore, clock: { remaining: number }, costMs: number): BlobStore {
  return {
    put: (bytes, type) => inner.put(bytes, type),
    has: (digest) => inner.has(digest),
    async get(digest: Digest) {
      clock.remaining -= costMs;
      return inner.get(digest);
    },
  };
}

interface Harness {
  alerts: VerifyAlert[];
  continued: VerifyPass[];
  /** Runs the pass to its end, one slice per simulated invocation of `budgetMs`; returns each slice. */
  run(
    pass: VerifyPass,
    budgetMs: number,
    options?: Partial<VerifyRunOptions>,
  ): Promise<{
    slices: Awaited<ReturnType<typeof runVerifySlice>>[];
    final: VerifyPass;
  }>;
}

function harness(a: Archive, costMs = 1000): Harness {
  const clock = { remaining: 0 };
  const alerts: VerifyAlert[] = [];
  const continued: VerifyPass[] = [];
  const deps = {
    blobs: timedBlobs(a.blobs, clock, costMs),
    watches: a.catalog,
    captures: a.catalog,
    versions: a.catalog,
    alerts: { publishVerifyAlert: async (alert: VerifyAlert) => void alerts.push(alert) },
    continuation: { continuePass: async (pass: VerifyPass) => void continued.push(pass) },
    clock: { now: () => new Date(T0.getTime() + 3_600_000) },
    logger: { info() {}, warn() {}, error() {} },
  };
  return {
    alerts,
    continued,
    async run(pass, budgetMs, options = {}) {
      const slices = [];
      let current = pass;
      for (let guard = 0; guard < 100; guard++) {
        clock.remaining = budgetMs;
        const slice = await runVerifySlice(deps, current, {
          stage: 'test',
          remainingMs: () => clock.remaining,
          stopMarginMs: 10_000,
          hardMarginMs: 2_000,
          maxInvocations: 50,
          concurrency: 1,
          ...options,
        });
        slices.push(slice);
        if (slice.outcome === 'finished') return { slices, final: slice.pass };
        // What the queue carries between invocations: JSON, checked on the way in.
        current = VerifyPassSchema.parse(JSON.parse(JSON.stringify(continued.at(-1))));
      }
      throw new Error('the pass did not finish in 100 slices');
    },
  };
}

const full = { mode: 'full' as const, groups: 1, intervalMs: DAY };

let clean: Archive;
/** What verifying each watch on its own finds, added up (blobs shared between watches counted for each). */
let expected: Omit<Awaited<ReturnType<typeof verifyOneWatch>>, 'problems' | 'ok'>;
beforeAll(async () => {
  clean = await archive();
  const stores = { ...clean.deps, watches: clean.catalog };
  expect(await verifyArchive(stores)).toMatchObject({ ok: true, watches: WATCHES, versions: 2 * WATCHES });
  expected = { watches: 0, captures: 0, versions: 0, blobs: 0, bytes: 0, tokens: 0 };
  for (const watch of await clean.catalog.listWatches()) {
    const report = await verifyOneWatch(stores, watch);
    for (const key of Object.keys(expected) as (keyof typeof expected)[]) expected[key] += report[key];
  }
});

describe('a resumable verify pass', () => {
  it('with time to spare, verifies every watch in one slice and publishes nothing on a clean archive', async () => {
    const h = harness(clean);
    const { slices, final } = await h.run(startPass(full, T0, T0), 10_000_000);
    expect(slices).toHaveLength(1);
    expect(slices[0]!.slice).toMatchObject({ watches: WATCHES, problems: 0 });
    expect(final.totals).toEqual({
      watches: WATCHES,
      captures: expected.captures,
      versions: expected.versions,
      blobs: expected.blobs,
      bytes: expected.bytes,
      tokens: 0,
    });
    expect(h.alerts).toEqual([]);
    expect(h.continued).toEqual([]);
  });

  it('stops at the deadline, continues from the cursor, and covers every watch exactly once', async () => {
    const h = harness(clean);
    const perWatch = expected.blobs / WATCHES;
    // Room for about three watches a slice before the stop margin.
    const { slices, final } = await h.run(startPass(full, T0, T0), 10_000 + 3.5 * perWatch * 1000);
    expect(slices.length).toBeGreaterThanOrEqual(3);
    expect(slices.at(-1)!.outcome).toBe('finished');
    expect(h.continued).toHaveLength(slices.length - 1);
    // Each slice hands on a cursor further than the last, and its watches add up to the whole archive.
    const cursors = h.continued.map((p) => p.after!);
    expect([...cursors].sort()).toEqual(cursors);
    expect(new Set(cursors).size).toBe(cursors.length);
    expect(slices.reduce((n, s) => n + s.slice.watches, 0)).toBe(WATCHES);
    // Watches interrupted mid-way were not counted: the totals are a single pass's, to the byte.
    expect(final.totals).toMatchObject({
      watches: WATCHES,
      blobs: expected.blobs,
      bytes: expected.bytes,
      versions: expected.versions,
      captures: expected.captures,
    });
    expect(final.invocations).toBe(slices.length);
    expect(h.alerts).toEqual([]);
  });

  it('names a corrupted blob found in a later slice in the one summary of the pass', async () => {
    const a = await archive();
    const watches = (await a.catalog.listWatches()).sort((x, y) => (x.id < y.id ? -1 : 1));
    const victim = watches.at(-2)!;
    const [v1] = await a.catalog.listVersions(victim.id);
    // The manifest names the watch's URL: no other watch shares its blob.
    const digest = v1!.manifest!.digest;
    const bytes = a.blobs.blobs.get(digest)!;
    bytes[0] = bytes[0]! ^ 0xff;
    const h = harness(a);
    const { slices, final } = await h.run(
      startPass(full, T0, T0),
      10_000 + 3.5 * (expected.blobs / WATCHES) * 1000,
    );
    expect(slices.length).toBeGreaterThan(1);
    expect(h.alerts).toHaveLength(1);
    const [alert] = h.alerts;
    expect(alert).toMatchObject({
      type: 'redline.verify',
      stage: 'test',
      passId: final.passId,
      mode: 'full',
      complete: true,
      invocations: slices.length,
      problemCount: 2, // the version and the capture name the blob
      omittedProblems: 0,
    });
    expect(alert!.problems.map((p) => `${p.code} ${p.record} ${p.what}`).sort()).toEqual([
      `blob_corrupt capture ${v1!.captureId} manifest`,
      'blob_corrupt version 1 manifest',
    ]);
    for (const problem of alert!.problems) {
      expect(problem).toMatchObject({ watchId: victim.id, url: victim.url, digest });
    }
  });

  it('gives up a watch that does not fit in a whole slice, names it, and still finishes', async () => {
    const h = harness(clean);
    const perWatch = expected.blobs / WATCHES;
    // Every watch gets its slice's whole budget, which is less than its blobs cost: each is given up.
    const { slices, final } = await h.run(startPass(full, T0, T0), 2_000 + (perWatch - 2) * 1000);
    expect(slices).toHaveLength(WATCHES);
    expect(final.problemCount).toBe(WATCHES);
    expect(new Set(final.problems.map((p) => `${p.code} ${p.record}`))).toEqual(
      new Set(['limit_reached watch']),
    );
    expect(h.alerts).toHaveLength(1);
    expect(h.alerts[0]!.complete).toBe(true);
  });

  it('ends a pass at its invocation cap, reporting the watches it did not reach', async () => {
    const h = harness(clean);
    const perWatch = expected.blobs / WATCHES;
    const { slices } = await h.run(startPass(full, T0, T0), 10_000 + 1.5 * perWatch * 1000, {
      maxInvocations: 2,
    });
    expect(slices).toHaveLength(2);
    expect(h.continued).toHaveLength(1);
    const [alert] = h.alerts;
    expect(alert).toMatchObject({ complete: false, invocations: 2 });
    const done = slices.reduce((n, s) => n + s.slice.watches, 0);
    expect(alert!.problems).toEqual([
      expect.objectContaining({
        code: 'limit_reached',
        record: 'pass',
        detail: expect.stringContaining(`cap of 2 invocations: ${WATCHES - done} watches after`),
      }),
    ]);
  });
});

describe('sampled passes', () => {
  it('deal the watches into groups: a cycle of consecutive runs verifies each exactly once, the next anew', async () => {
    const groups = sampleGroups(0.25);
    expect(groups).toBe(4);
    const schedule = { mode: 'sampled' as const, groups, intervalMs: DAY };
    const ids = (await clean.catalog.listWatches()).map((w) => w.id);
    // The first scheduled day of a cycle: slot divisible by the groups.
    const cycleStart = new Date(Math.ceil(T0.getTime() / (DAY * groups)) * DAY * groups + 3 * 3_600_000);
    const byCycle: string[][][] = [];
    for (const cycle of [0, 1]) {
      const seen: string[][] = [];
      for (let run = 0; run < groups; run++) {
        const at = new Date(cycleStart.getTime() + (cycle * groups + run) * DAY);
        const pass = startPass(schedule, at, at);
        expect(pass.sample).toMatchObject({ group: run, groups });
        const h = harness(clean);
        const { final } = await h.run(pass, 10_000_000);
        const members = ids.filter((id) => inSample(id, pass.sample!)).sort();
        expect(final.totals.watches).toBe(members.length);
        seen.push(members);
      }
      expect(seen.flat().sort()).toEqual([...ids].sort()); // every watch, none twice
      byCycle.push(seen);
    }
    expect(byCycle[1]).not.toEqual(byCycle[0]);
    // The same scheduled time always selects the same group (a retried start verifies the same sample).
    expect(startPass(schedule, cycleStart, T0).sample).toEqual(startPass(schedule, cycleStart, T0).sample);
  });

  it('a fraction of 1 (or a full pass) verifies everything', () => {
    expect(sampleGroups(1)).toBe(1);
    expect(sampleGroups(0.1)).toBe(10);
    expect(sampleGroups(0.3)).toBe(4);
    expect(() => sampleGroups(0)).toThrow();
    expect(inSample('anything', { cycle: 5, group: 0, groups: 1 })).toBe(true);
  });
});

describe('bounded messages', () => {
  const problem = (i: number) => ({
    code: 'blob_corrupt' as const,
    watchId: `w${i}`,
    url: `https://news.example/${'x'.repeat(3000)}/${i}`,
    record: `version ${i}`,
    what: 'screenshot',
    digest: `sha256:${'a'.repeat(64)}`,
    detail: `the stored bytes hash to sha256:${'b'.repeat(64)} ${'y'.repeat(5000)}`,
  });

  it('a pass keeps the first problems, clipped, within its limit, and counts the rest', async () => {
    const a = await archive();
    // Every blob of every watch corrupted: far more problems than a message holds once clipped.
    for (const [digest, bytes] of a.blobs.blobs) a.blobs.blobs.set(digest, Uint8Array.of(...bytes, 0));
    const h = harness(a, 0);
    const { final } = await h.run(startPass(full, T0, T0), 10_000_000);
    expect(final.problemCount).toBeGreaterThan(100);
    expect(jsonBytes(final.problems)).toBeLessThanOrEqual(KEPT_PROBLEMS_MAX_BYTES);
    expect(jsonBytes({ kind: 'verify-continue', pass: final })).toBeLessThan(SQS_MESSAGE_MAX_BYTES);
    const [alert] = h.alerts;
    expect(alert!.problems.length + alert!.omittedProblems).toBe(final.problemCount);
    expect(jsonBytes(alert)).toBeLessThanOrEqual(VERIFY_ALERT_MAX_BYTES);
  });

  it('fits a summary under the SNS limit by listing fewer problems, never by dropping the count', () => {
    const problems = Array.from({ length: 400 }, (_, i) => problem(i));
    const alert = {
      type: 'redline.verify' as const,
      stage: 's',
      passId: 'p',
      mode: 'full' as const,
      scheduledAt: T0.toISOString(),
      startedAt: T0.toISOString(),
      finishedAt: T0.toISOString(),
      complete: true,
      invocations: 1,
      totals: { watches: 1, captures: 1, versions: 1, blobs: 1, bytes: 1, tokens: 0 },
      problemCount: 5000,
      problems,
      omittedProblems: 0,
    };
    const fitted = fitVerifyAlert(alert);
    expect(jsonBytes(fitted)).toBeLessThanOrEqual(VERIFY_ALERT_MAX_BYTES);
    expect(fitted.problems.length).toBeGreaterThan(10);
    expect(fitted.problems.length).toBeLessThan(400);
    expect(fitted.problems).toEqual(problems.slice(0, fitted.problems.length));
    expect(fitted.omittedProblems).toBe(5000 - fitted.problems.length);
    expect(fitVerifyAlert(fitted)).toEqual(fitted);
  });
});
