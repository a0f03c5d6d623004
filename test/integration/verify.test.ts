import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePage, EDITED, type NewsSite, ORIGINAL, startNewsSite } from '../../demo/news-site.js';
import { DynamoCatalog } from '../../functions/adapters/dynamo/dynamo-catalog.js';
import { FsBlobStore } from '../../functions/adapters/fs/fs-blob-store.js';
import { HttpTimestampAuthority } from '../../functions/adapters/tsa/http-tsa.js';
import { captureWatch } from '../../functions/core/capture/capture.js';
import { systemClock } from '../../functions/core/domain/clock.js';
import { sha256 } from '../../functions/core/domain/digest.js';
import type { VersionRecord } from '../../functions/core/domain/model.js';
import { silentLogger } from '../../functions/core/domain/ports.js';
import { MANIFEST_CONTENT_TYPE, manifestBytes, manifestOf } from '../../functions/core/proof/manifest.js';
import { parsePemCertificates } from '../../functions/core/proof/timestamp.js';
import { type Problem, verifyArchive } from '../../functions/core/proof/verify.js';
import { addWatch } from '../../functions/core/watches/watches.js';
import { runRedline } from '../support/cli.js';
import { startDynalite } from '../support/emulators.js';
import { EchoRenderer, MemoryNotifier, recordPorts, StaticFetcher } from '../support/memory.js';
import { startTestTsa, type TestTsa } from '../support/test-tsa.js';

/**
 * `verify` on a real store (DynamoCatalog on dynalite, blobs as files) and a real TSA, each tampering
 * done the way someone with write access would: bytes rewritten on disk, records rewritten in the table.
 */
const URL_A = 'https://news.example/2026/11/24/flood-barrier';

let tsa: TestTsa;
let db: Awaited<ReturnType<typeof startDynalite>>;
let root: string;
let tables = 0;

beforeAll(async () => {
  [tsa, db] = await Promise.all([startTestTsa(), startDynalite()]);
  root = await mkdtemp(join(tmpdir(), 'redline-verify-'));
});
afterAll(async () => {
  await Promise.all([tsa.close(), db.stop()]);
  await rm(root, { recursive: true, force: true });
});

const roots = () => parsePemCertificates(tsa.rootPem);

/** A watch with two versions (and a noise capture between them), every manifest stamped. */
async function archive() {
  const name = `verify-${++tables}`;
  const catalog = new DynamoCatalog(db.client, name);
  await catalog.ensureTable();
  const blobs = new FsBlobStore(join(root, name));
  const fetcher = new StaticFetcher();
  const deps = {
    blobs,
    ...recordPorts(catalog),
    notifier: new MemoryNotifier(),
    fetcher,
    renderer: new EchoRenderer(),
    clock: systemClock,
    logger: silentLogger,
    timestamps: [new HttpTimestampAuthority({ url: tsa.url, roots: roots() })],
  };
  const { watch } = await addWatch(deps, { url: URL_A, cadenceSeconds: 900, mode: 'auto', tags: [] });
  for (const body of [articlePage(ORIGINAL, 1), articlePage(ORIGINAL, 2), articlePage(EDITED, 3)]) {
    fetcher.pages.set(URL_A, { body });
    await captureWatch(deps, (await catalog.getWatch(watch.id))!);
  }
  const [v1, v2] = await catalog.listVersions(watch.id);
  expect(v2!.timestamps).toHaveLength(1);
  /** Rewrites a version record in the table, as anyone with write access to it could. */
  const rewrite = async (version: VersionRecord) => {
    await db.client.send(
      new DeleteItemCommand({
        TableName: name,
        Key: marshall({ pk: `WATCH#${watch.id}`, sk: `VERSION#${String(version.number).padStart(8, '0')}` }),
      }),
    );
    await catalog.putVersion(version);
  };
  return { deps, watch, blobs, v1: v1!, v2: v2!, rewrite };
}

const codes = (problems: Problem[]) =>
  problems.map((p) => `${p.code} ${p.record} ${p.what ?? ''}`.trim()).sort();

describe('verify names every tampering', { timeout: 120_000 }, () => {
  it('passes an untouched archive: every blob re-hashed, the chain walked, every token verified', async () => {
    const { deps } = await archive();
    const progress: { blobs: number; watch: number }[] = [];
    const report = await verifyArchive(deps, {
      url: URL_A,
      roots: roots(),
      onProgress: (p) => progress.push({ blobs: p.blobs, watch: p.watch }),
    });
    expect(report.problems).toEqual([]);
    expect(progress.at(-1)).toEqual({ blobs: report.blobs, watch: 1 });
    expect(report).toMatchObject({ ok: true, watches: 1, versions: 2, captures: 3, tokens: 2 });
    expect(report.blobs).toBeGreaterThan(10);
  });

  it('a flipped byte in a blob', async () => {
    const { deps, blobs, v1 } = await archive();
    const digest = v1.artifacts.screenshot!.digest;
    const path = blobs.pathOf(digest);
    const bytes = await readFile(path);
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0x01;
    await writeFile(path, bytes);
    const report = await verifyArchive(deps, { url: URL_A, roots: roots() });
    expect(report.ok).toBe(false);
    expect(codes(report.problems)).toEqual([
      `blob_corrupt capture ${v1.captureId} screenshot`,
      'blob_corrupt version 1 screenshot',
    ]);
    for (const problem of report.problems) {
      expect(problem).toMatchObject({
        digest,
        url: URL_A,
        detail: `the stored bytes hash to ${sha256(bytes)}`,
      });
    }
  });

  it('a version record pointed at another blob', async () => {
    const { deps, v1, v2, rewrite } = await archive();
    await rewrite({ ...v2, artifacts: { ...v2.artifacts, rendered: v1.artifacts.rendered! } });
    const report = await verifyArchive(deps, { url: URL_A, roots: roots() });
    expect(codes(report.problems)).toEqual([
      'manifest_mismatch version 2 artifacts.rendered',
      'record_mismatch version 2 rendered',
    ]);
    expect(report.problems.find((p) => p.code === 'manifest_mismatch')!.detail).toBe(
      `the manifest says "${v2.artifacts.rendered!.digest}", the version record "${v1.artifacts.rendered!.digest}"`,
    );
  });

  it('a manifest edited: other bytes under its digest', async () => {
    const { deps, blobs, v1 } = await archive();
    const forged = manifestBytes({ ...manifestOf(v1, null), capturedAt: '2026-01-01T00:00:00.000Z' });
    await writeFile(blobs.pathOf(v1.manifest!.digest), forged);
    const report = await verifyArchive(deps, { url: URL_A, roots: roots() });
    expect(codes(report.problems)).toEqual([
      `blob_corrupt capture ${v1.captureId} manifest`,
      'blob_corrupt version 1 manifest',
    ]);
    expect(report.problems[0]!.digest).toBe(v1.manifest!.digest);
  });

  it('a version pointed at another manifest, consistent with it but not with the chain', async () => {
    const { deps, v2, rewrite } = await archive();
    const forged = manifestOf(v2, null); // as if version 2 were the first
    const ref = await deps.blobs.put(manifestBytes(forged), MANIFEST_CONTENT_TYPE);
    await rewrite({ ...v2, manifest: ref });
    const report = await verifyArchive(deps, { url: URL_A, roots: roots() });
    expect(codes(report.problems)).toEqual([
      'chain_broken version 2 previous',
      'record_mismatch version 2 manifest',
      // The token its capture obtained stamps the manifest the version named before.
      `token_mismatch capture ${v2.captureId} token ${tsa.url} (version 2)`,
      `token_mismatch version 2 token ${tsa.url}`,
    ]);
    expect(report.problems.find((p) => p.code === 'chain_broken')!.detail).toBe(
      `the manifest's previous is null, the previous version's manifest is ${(await deps.versions.listVersions(v2.watchId))[0]!.manifest!.digest}`,
    );
  });

  it('a token swapped for another version’s', async () => {
    const { deps, v1, v2, rewrite } = await archive();
    await rewrite({ ...v2, timestamps: v1.timestamps! });
    const report = await verifyArchive(deps, { url: URL_A, roots: roots() });
    expect(codes(report.problems)).toEqual([`token_mismatch version 2 token ${tsa.url}`]);
    expect(report.problems[0]).toMatchObject({
      digest: v1.timestamps![0]!.token.digest,
      detail: expect.stringMatching(
        new RegExp(`^it does not stamp manifest ${v2.manifest!.digest}: timestamp imprint`),
      ),
    });
  });

  it('a missing blob, and tokens it cannot check without the roots', async () => {
    const { deps, blobs, v2 } = await archive();
    await rm(blobs.pathOf(v2.diff!.digest));
    const report = await verifyArchive(deps, { url: URL_A });
    expect(codes(report.problems)).toEqual(
      [
        `blob_missing capture ${v2.captureId} diff`,
        `token_untrusted version 1 token ${tsa.url}`,
        `token_untrusted version 2 token ${tsa.url}`,
        'blob_missing version 2 diff',
      ].sort(),
    );
  });
});

describe('redline verify, the compiled CLI', { timeout: 300_000 }, () => {
  let site: NewsSite;
  let home: string;
  beforeAll(async () => {
    site = await startNewsSite();
    home = await mkdtemp(join(tmpdir(), 'redline-verify-cli-'));
  });
  afterAll(async () => {
    await site.close();
    await rm(home, { recursive: true, force: true });
  });

  it('exits 0 on an untouched archive and 1 naming a flipped byte, in text and JSON', async () => {
    const env = {
      ...process.env,
      REDLINE_HOME: home,
      REDLINE_ALLOW_PRIVATE_NETWORK: '1',
      REDLINE_TSA_URLS: tsa.url,
      REDLINE_TSA_CA_FILE: tsa.rootPemPath,
    };
    const redline = (args: string[]) => runRedline(args, env);
    const url = site.articleUrl;
    expect((await redline(['capture', url])).code).toBe(0);
    site.setRound(2, EDITED);
    expect((await redline(['capture', url])).code).toBe(0);

    const clean = await redline(['verify', url]);
    expect(clean.stderr).toBe('');
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(
      /^verified: 1 watch, 2 versions, 2 captures, \d+ blobs \([\d.]+ MB\), 2 timestamp tokens; no problems\n$/,
    );

    const versions = JSON.parse((await redline(['versions', url, '--json'])).stdout) as VersionRecord[];
    const digest = versions[0]!.artifacts.rendered!.digest;
    const hex = digest.slice('sha256:'.length);
    const path = join(home, 'blobs', 'sha256', hex.slice(0, 2), hex);
    const bytes = await readFile(path);
    bytes[0] = bytes[0]! ^ 0x20;
    await writeFile(path, bytes);

    const text = await redline(['verify']);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      `blob_corrupt  ${url} · version 1 · rendered\n    ${digest}\n    the stored bytes hash to ${sha256(bytes)}`,
    );
    expect(text.stderr).toBe('redline: the archive did not verify: 2 problems\n');

    const json = await redline(['verify', url, '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.ok).toBe(false);
    expect(report.problems.map((p: Problem) => [p.code, p.record, p.what, p.digest])).toEqual([
      ['blob_corrupt', `capture ${versions[0]!.captureId}`, 'rendered', digest],
      ['blob_corrupt', 'version 1', 'rendered', digest],
    ]);
  });
});
