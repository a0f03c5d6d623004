import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePage, EDITED, ORIGINAL } from '../../demo/news-site.js';
import { HttpTimestampAuthority } from '../../functions/adapters/tsa/http-tsa.js';
import { captureWatch } from '../../functions/core/capture/capture.js';
import { digestHex, sha256 } from '../../functions/core/domain/digest.js';
import { parseManifest } from '../../functions/core/proof/manifest.js';
import { parsePemCertificates } from '../../functions/core/proof/timestamp.js';
import { verifyArchive } from '../../functions/core/proof/verify.js';
import { addWatch } from '../../functions/core/watches/watches.js';
import { memoryCaptureDeps } from '../support/memory.js';
import { openssl } from '../support/openssl.js';
import { startTestTsa, type TestTsa } from '../support/test-tsa.js';

/**
 * The manifest chain and trusted timestamps through the real capture pipeline, stamped by a real RFC
 * 3161 authority (`openssl ts -reply` on 127.0.0.1), and checked by `openssl ts -verify` as a reader
 * without Redline would.
 */
const URL_A = 'https://news.example/2026/11/24/flood-barrier';

let tsa: TestTsa;
let dir: string;
beforeAll(async () => {
  tsa = await startTestTsa();
  dir = await mkdtemp(join(tmpdir(), 'redline-chain-'));
});
afterAll(async () => {
  await tsa.close();
  await rm(dir, { recursive: true, force: true });
});

const authority = (url: string, timeoutMs?: number) =>
  new HttpTimestampAuthority({
    url,
    roots: parsePemCertificates(tsa.rootPem),
    ...(timeoutMs ? { timeoutMs } : {}),
  });

async function archive(timestamps: HttpTimestampAuthority[]) {
  const env = memoryCaptureDeps(new Date());
  const deps = { ...env.deps, timestamps };
  const { watch } = await addWatch(deps, { url: URL_A, cadenceSeconds: 900, mode: 'auto', tags: ['city'] });
  const capture = async (body: string) => {
    deps.fetcher.pages.set(URL_A, { body });
    env.advance(15);
    return captureWatch(deps, (await env.catalog.getWatch(watch.id))!);
  };
  return { ...env, deps, watch, capture };
}

describe('the manifest chain, stamped', { timeout: 120_000 }, () => {
  it('gives each version a manifest chained to the previous one, stamped by the TSA, that openssl verifies', async () => {
    tsa.behaviour = 'honest';
    const { deps, watch, catalog, capture } = await archive([authority(tsa.url)]);
    const first = await capture(articlePage(ORIGINAL, 1));
    await capture(articlePage(ORIGINAL, 2)); // noise: no version, nothing stamped
    const second = await capture(articlePage(EDITED, 3));
    expect([first.capture.status, second.capture.status]).toEqual(['complete', 'complete']);

    const [v1, v2] = await catalog.listVersions(watch.id);
    const manifests = [];
    for (const v of [v1!, v2!]) {
      expect(v.manifest?.contentType).toBe('application/vnd.redline.manifest+json');
      const bytes = await deps.blobs.get(v.manifest!.digest);
      expect(sha256(bytes)).toBe(v.manifest!.digest);
      manifests.push(parseManifest(bytes));
    }
    expect(manifests[0]).toMatchObject({ version: 1, previous: null, textHash: v1!.textHash, url: URL_A });
    expect(manifests[1]).toMatchObject({
      version: 2,
      previous: v1!.manifest!.digest,
      textHash: v2!.textHash,
    });
    expect(manifests[1]!.artifacts.diff).toBe(v2!.diff!.digest);
    expect(manifests[1]!.artifacts.rendered).toBe(v2!.artifacts.rendered!.digest);
    // The capture that made a version names its manifest and tokens too (nothing stored goes unnamed).
    expect(second.capture.artifacts.manifest).toEqual(v2!.manifest);
    expect(second.capture.timestamps?.map((t) => t.token.digest)).toEqual(
      v2!.timestamps!.map((t) => t.token.digest),
    );

    for (const v of [v1!, v2!]) {
      expect(v.timestamps).toHaveLength(1);
      const [stamp] = v.timestamps!;
      expect(stamp!.tsa).toBe(tsa.url);
      expect(stamp!.token.contentType).toBe('application/vnd.redline.tst');
      expect(Math.abs(Date.parse(stamp!.genTime) - Date.now())).toBeLessThan(10 * 60_000);
      const path = join(dir, `v${v.number}.tst`);
      await writeFile(path, await deps.blobs.get(stamp!.token.digest));
      const out = await openssl([
        'ts',
        '-verify',
        '-digest',
        digestHex(v.manifest!.digest),
        '-in',
        path,
        '-token_in',
        '-CAfile',
        tsa.rootPemPath,
      ]);
      expect(out).toContain('Verification: OK');
    }
    // The other version's digest is refused: a token stamps one manifest only.
    await expect(
      openssl([
        'ts',
        '-verify',
        '-digest',
        digestHex(v1!.manifest!.digest),
        '-in',
        join(dir, 'v2.tst'),
        '-token_in',
        '-CAfile',
        tsa.rootPemPath,
      ]),
    ).rejects.toThrow();

    const report = await verifyArchive(deps, { roots: parsePemCertificates(tsa.rootPem) });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, watches: 1, versions: 2, captures: 3, tokens: 2 });
  });

  it('records a TSA that is down without holding the capture back, reports it, and stamps the version on a later capture', async () => {
    tsa.behaviour = 'http-500';
    const steady = tsa.urlFor('honest');
    const { deps, watch, catalog, capture } = await archive([authority(tsa.url), authority(steady)]);
    const first = await capture(articlePage(ORIGINAL, 1));
    expect(first.capture.status).toBe('complete');
    expect(first.version!.timestamps!.map((t) => t.tsa)).toEqual([steady]);
    expect(first.capture.stampFailures).toEqual([
      { version: 1, tsa: tsa.url, reason: expect.stringMatching(/^http-status: .*HTTP 500/) },
    ]);
    expect((await catalog.getWatch(watch.id))!.unstamped).toEqual([
      { version: 1, manifest: first.version!.manifest!.digest, tsas: [tsa.url], attempts: 1 },
    ]);
    expect(deps.notifier.failures).toHaveLength(1);
    expect(deps.notifier.failures[0]!.reason).toMatch(
      /^timestamps: version 1: manifest sha256:[0-9a-f]{64} not timestamped by .*\/tsa \(http-status/,
    );

    // Still down: retried, recorded again, not reported again.
    const again = await capture(articlePage(ORIGINAL, 2));
    expect(again.capture.stampFailures).toEqual([expect.objectContaining({ version: 1, tsa: tsa.url })]);
    expect((await catalog.getWatch(watch.id))!.unstamped).toEqual([expect.objectContaining({ attempts: 2 })]);
    expect(deps.notifier.failures).toHaveLength(1);

    // Back: the next capture (nothing changed on the page) stamps version 1's manifest.
    tsa.behaviour = 'honest';
    const later = await capture(articlePage(ORIGINAL, 3));
    expect(later.capture).toMatchObject({ status: 'complete', verdict: 'unchanged' });
    expect(later.capture.timestamps).toEqual([
      expect.objectContaining({ version: 1, manifest: first.version!.manifest!.digest, tsa: tsa.url }),
    ]);
    expect(later.capture.stampFailures).toBeUndefined();
    expect((await catalog.getWatch(watch.id))!.unstamped).toEqual([]);

    const report = await verifyArchive(deps, { roots: parsePemCertificates(tsa.rootPem) });
    expect(report.problems).toEqual([]);
    expect(report.tokens).toBe(2);
  });

  it('gives up on a TSA that never answers at its own timeout, and the capture completes', async () => {
    const { deps, capture } = await archive([authority(tsa.urlFor('hang'), 1000)]);
    const result = await capture(articlePage(ORIGINAL, 1));
    expect(result.capture.status).toBe('complete');
    expect(result.version!.manifest).toBeDefined();
    expect(result.version!.timestamps).toBeUndefined();
    expect(result.capture.stampFailures).toEqual([
      expect.objectContaining({ version: 1, reason: expect.stringMatching(/^timeout: /) }),
    ]);
    expect(result.capture.steps.find((s) => s.name === 'proof')).toMatchObject({ status: 'ok' });
    expect(deps.notifier.failures).toHaveLength(1);
  });

  it('keeps the manifest and leaves the version owed when the proof step runs out of time waiting for a TSA', async () => {
    const { deps, watch, catalog } = await archive([authority(tsa.urlFor('hang'), 60_000)]);
    deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 1) });
    const result = await captureWatch({ ...deps, options: { time: { steps: { proof: 300 } } } }, watch);
    expect(result.capture).toMatchObject({ status: 'partial', version: 1 });
    expect(result.capture.reason).toMatch(/^proof: the proof step budget of 300 ms ran out/);
    const [v1] = await catalog.listVersions(watch.id);
    expect(v1!.manifest).toEqual(result.capture.artifacts.manifest);
    expect(await deps.blobs.has(v1!.manifest!.digest)).toBe(true);
    expect((await catalog.getWatch(watch.id))!.unstamped).toEqual([
      { version: 1, manifest: v1!.manifest!.digest, tsas: [tsa.urlFor('hang')], attempts: 1 },
    ]);
    expect(deps.notifier.failures).toHaveLength(1);
    expect((await verifyArchive(deps, {})).problems).toEqual([]);
  });

  it('refuses a token from a TSA outside the configured roots, and never stores it', async () => {
    const { deps, capture } = await archive([authority(tsa.urlFor('other-ca'))]);
    const result = await capture(articlePage(ORIGINAL, 1));
    expect(result.capture.status).toBe('complete');
    expect(result.version!.timestamps).toBeUndefined();
    expect(result.capture.stampFailures).toEqual([
      expect.objectContaining({ reason: expect.stringMatching(/^chain: /) }),
    ]);
    const stored = [...deps.blobs.blobs.keys()];
    expect(stored).toContain(result.version!.manifest!.digest);
    expect(stored.length).toBe(
      new Set([...Object.values(result.capture.artifacts).map((a) => a.digest)]).size,
    );
  });
});
