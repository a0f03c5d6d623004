import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ArticleState,
  articlePage,
  EDITED,
  type NewsSite,
  ORIGINAL,
  startNewsSite,
} from '../../demo/news-site.js';
import { captureUrl } from '../../functions/core/capture/capture.js';
import {
  BlobIntegrityError,
  InvalidInputError,
  VersionNotFoundError,
  WatchNotFoundError,
} from '../../functions/core/domain/errors.js';
import { exportWacz } from '../../functions/core/proof/export.js';
import { waczPublicKeyOf } from '../../functions/core/proof/wacz-sign.js';
import { runRedline } from '../support/cli.js';
import { memoryCaptureDeps } from '../support/memory.js';
import { memorySink } from '../support/sink.js';
import { validateWacz } from '../support/wacz-validator.js';
import { unzip } from '../support/zip.js';

/**
 * `exportWacz` over versions made by the real capture pipeline (in-memory ports), and `redline export`
 * through the compiled CLI against a news site on 127.0.0.1. Every package is checked by the
 * independent validator (test/support/wacz-validator.ts), not by the code that wrote it.
 */

const URL_A = 'https://news.example/2026/11/24/flood-barrier';
const THIRD: ArticleState = {
  headline: 'Riverfront flood barrier approved; mayor to sign next month',
  paragraphs: [...EDITED.paragraphs.slice(0, 5), 'The mayor will sign the measure next month.'],
};
const STATES = [ORIGINAL, EDITED, THIRD];

interface Page {
  id: string;
  url: string;
  ts: string;
  title?: string;
  text?: string;
}

function pagesOf(files: Map<string, Buffer>): Page[] {
  const lines = files.get('pages/pages.jsonl')!.toString('utf8').trim().split('\n');
  expect(JSON.parse(lines[0]!)).toMatchObject({ format: 'json-pages-1.0' });
  return lines.slice(1).map((line) => JSON.parse(line) as Page);
}

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Three versions of URL_A by the real pipeline, 30 minutes apart. */
async function threeVersions() {
  const setup = memoryCaptureDeps();
  for (const [i, state] of STATES.entries()) {
    if (i > 0) setup.advance(30);
    setup.deps.fetcher.pages.set(URL_A, { body: articlePage(state, i + 1) });
    const result = await captureUrl(setup.deps, URL_A);
    expect(result.capture.version).toBe(i + 1);
  }
  const watchId = [...setup.catalog.watches.keys()][0]!;
  return { ...setup, watchId };
}

function signingKey() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

describe('exportWacz', () => {
  it('packages every version: one WARC and one page each, the records as extras, valid to an independent reader', async () => {
    const { deps, catalog, watchId } = await threeVersions();
    const { sink, bytes } = memorySink();
    const summary = await exportWacz(deps, URL_A, {}, sink);
    const wacz = bytes();

    expect(await validateWacz(wacz)).toEqual([]);
    expect(summary).toMatchObject({ from: 1, to: 3, archived: [1, 2, 3], problems: [], signed: false });
    expect(summary.bytes).toBe(wacz.byteLength);
    expect(summary.sha256).toBe(sha256(wacz));

    const files = await unzip(wacz);
    const versions = await catalog.listVersions(watchId);
    const captures = await catalog.listCaptures(watchId);
    const pages = pagesOf(files);
    expect(pages).toHaveLength(3);
    for (const [i, page] of pages.entries()) {
      const version = versions[i]!;
      const capture = captures.find((c) => c.captureId === version.captureId)!;
      expect(page.url).toBe(URL_A);
      // The WARC's date is when the capture started.
      expect(page.ts).toBe(capture.startedAt);
      expect(page.title).toBe(STATES[i]!.headline);
      expect(page.title).toBe(version.title);
      const text = Buffer.from(deps.blobs.blobs.get(version.artifacts.text!.digest)!).toString('utf8');
      expect(page.text).toBe(text);
      expect(JSON.parse(files.get(`redline/versions/${i + 1}.json`)!.toString())).toEqual(version);
      // Each version's WARC is the stored blob, byte for byte.
      expect(sha256(files.get(`archive/version-00000${i + 1}.warc.gz`)!)).toBe(
        version.artifacts.warc!.digest,
      );
    }
    expect(new Set(pages.map((p) => p.ts)).size).toBe(3);
    const datapackage = JSON.parse(files.get('datapackage.json')!.toString());
    expect(datapackage).toMatchObject({
      wacz_version: '1.1.1',
      title: THIRD.headline,
      mainPageUrl: URL_A,
      mainPageDate: pages[2]!.ts,
    });
    expect(datapackage.resources.map((r: { path: string }) => r.path)).toEqual(
      expect.arrayContaining(['redline/versions/1.json', 'redline/versions/3.json', 'pages/pages.jsonl']),
    );
  });

  it('exports a range, and names what cannot be exported', async () => {
    const { deps } = await threeVersions();
    const { sink, bytes } = memorySink();
    const summary = await exportWacz(deps, URL_A, { from: 2, to: 3 }, sink);
    expect(summary.archived).toEqual([2, 3]);
    const files = await unzip(bytes());
    expect(await validateWacz(bytes())).toEqual([]);
    expect(pagesOf(files).map((p) => p.title)).toEqual([EDITED.headline, THIRD.headline]);
    expect([...files.keys()].filter((f) => f.startsWith('archive/'))).toEqual([
      'archive/version-000002.warc.gz',
      'archive/version-000003.warc.gz',
    ]);
    expect(files.has('redline/versions/1.json')).toBe(false);

    const discard = () => memorySink().sink;
    await expect(exportWacz(deps, URL_A, { from: 3, to: 2 }, discard())).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    await expect(exportWacz(deps, URL_A, { to: 9 }, discard())).rejects.toBeInstanceOf(VersionNotFoundError);
    await expect(exportWacz(deps, URL_A, { from: 4 }, discard())).rejects.toBeInstanceOf(
      VersionNotFoundError,
    );
    await expect(
      exportWacz(deps, 'https://news.example/never-watched', {}, discard()),
    ).rejects.toBeInstanceOf(WatchNotFoundError);
  });

  it('exports the history of a removed watch', async () => {
    const { deps, catalog, watchId } = await threeVersions();
    await catalog.removeWatch(watchId);
    const { sink, bytes } = memorySink();
    expect((await exportWacz(deps, URL_A, {}, sink)).archived).toEqual([1, 2, 3]);
    expect(await validateWacz(bytes())).toEqual([]);
  });

  it('signs the package with the given key, and the signature verifies', async () => {
    const { deps } = await threeVersions();
    const key = signingKey();
    const { sink, bytes } = memorySink();
    const summary = await exportWacz(deps, URL_A, { sign: key }, sink);
    expect(summary.signed).toBe(true);
    expect(summary.publicKey).toBe(waczPublicKeyOf(key));
    expect(
      await validateWacz(bytes(), { requireSignature: true, trustedPublicKeys: [waczPublicKeyOf(key)] }),
    ).toEqual([]);
    // Another key's trust list refuses it: the check can fail.
    const other = waczPublicKeyOf(signingKey());
    expect((await validateWacz(bytes(), { trustedPublicKeys: [other] })).map((p) => p.code)).toEqual([
      'signature',
    ]);
  });

  it('fails with a named integrity error when a stored WARC or text is not the bytes its record names', async () => {
    for (const kind of ['warc', 'text'] as const) {
      const { deps, catalog, watchId } = await threeVersions();
      const v2 = (await catalog.listVersions(watchId))[1]!;
      const digest = v2.artifacts[kind]!.digest;
      const stored = deps.blobs.blobs.get(digest)!;
      const flipped = new Uint8Array(stored);
      const middle = Math.floor(flipped.length / 2);
      flipped[middle] = (flipped[middle] ?? 0) ^ 0x01;
      deps.blobs.blobs.set(digest, flipped);
      const { sink, bytes } = memorySink();
      const failure = exportWacz(deps, URL_A, {}, sink);
      await expect(failure).rejects.toBeInstanceOf(BlobIntegrityError);
      await expect(failure).rejects.toMatchObject({ digest });
      expect(bytes().byteLength).toBe(0);
    }
  });

  it('lists a version without a WARC as a problem and packages the others', async () => {
    const { deps, catalog, watchId } = await threeVersions();
    const v2 = catalog.versions.get(`${watchId}#2`)!;
    delete v2.artifacts.warc;
    const { sink, bytes } = memorySink();
    const summary = await exportWacz(deps, URL_A, {}, sink);
    expect(summary.archived).toEqual([1, 3]);
    expect(summary.problems).toEqual([
      { version: 2, code: 'no_warc', detail: expect.stringContaining('no WARC') },
    ]);
    const files = await unzip(bytes());
    expect(await validateWacz(bytes())).toEqual([]);
    expect(pagesOf(files)).toHaveLength(2);
    expect(files.has('redline/versions/2.json')).toBe(true);

    // No version in the range with a WARC: nothing to archive, said so.
    await expect(exportWacz(deps, URL_A, { from: 2, to: 2 }, memorySink().sink)).rejects.toThrow(
      /nothing to archive/,
    );
  });

  it('includes a version’s manifest and its timestamp tokens, the version’s own and later ones', async () => {
    const { deps, catalog, watchId } = await threeVersions();
    const manifest = await deps.blobs.put(Buffer.from('{"url":"…","version":1}'), 'application/json');
    const own = await deps.blobs.put(Buffer.from('DER token one'), 'application/vnd.redline.tst');
    const late = await deps.blobs.put(Buffer.from('DER token two'), 'application/vnd.redline.tst');
    // The proof fields ADR 0012/0013 add to the records; written as a newer writer would.
    Object.assign(catalog.versions.get(`${watchId}#1`)!, {
      manifest,
      timestamps: [{ tsa: 'http://tsa.one/', genTime: '2026-11-26T10:00:01Z', token: own }],
    });
    const later = (await catalog.listCaptures(watchId)).at(-1)!;
    Object.assign(catalog.captures.get(later.captureId)!, {
      timestamps: [
        {
          tsa: 'http://tsa.two/',
          genTime: '2026-11-26T11:00:01Z',
          token: late,
          version: 1,
          manifest: manifest.digest,
        },
      ],
    });
    const { sink, bytes } = memorySink();
    const summary = await exportWacz(deps, URL_A, {}, sink);
    expect(summary.extras).toEqual(
      expect.arrayContaining([
        'redline/manifests/1.json',
        'redline/timestamps/1-1.tsr',
        'redline/timestamps/1-2.tsr',
        'redline/timestamps/1.json',
      ]),
    );
    const files = await unzip(bytes());
    expect(await validateWacz(bytes())).toEqual([]);
    expect(sha256(files.get('redline/manifests/1.json')!)).toBe(manifest.digest);
    expect(sha256(files.get('redline/timestamps/1-1.tsr')!)).toBe(own.digest);
    expect(sha256(files.get('redline/timestamps/1-2.tsr')!)).toBe(late.digest);
    expect(JSON.parse(files.get('redline/timestamps/1.json')!.toString())).toEqual([
      expect.objectContaining({
        file: 'redline/timestamps/1-1.tsr',
        tsa: 'http://tsa.one/',
        manifest: manifest.digest,
      }),
      expect.objectContaining({
        file: 'redline/timestamps/1-2.tsr',
        tsa: 'http://tsa.two/',
        manifest: manifest.digest,
      }),
    ]);
    // Version 2's manifest is the one the pipeline's proof step made (ADR 0012).
    const v2 = await deps.versions.listVersions(watchId).then((vs) => vs.find((v) => v.number === 2)!);
    expect(v2.manifest).toBeDefined();
    expect(sha256(files.get('redline/manifests/2.json')!)).toBe(v2.manifest!.digest);
  });
});

describe('redline export (compiled CLI)', { timeout: 300_000 }, () => {
  let site: NewsSite;
  let home: string;
  const redline = (args: string[], env: Record<string, string> = {}) =>
    runRedline(args, { ...process.env, REDLINE_HOME: home, REDLINE_ALLOW_PRIVATE_NETWORK: '1', ...env });

  beforeAll(async () => {
    site = await startNewsSite();
    home = await mkdtemp(join(tmpdir(), 'redline-export-'));
  });
  afterAll(async () => {
    await site.close();
    await rm(home, { recursive: true, force: true });
  });

  it('writes a valid, signed WACZ of three versions atomically; exit 2 for an unknown URL or range', async () => {
    const url = site.articleUrl;
    expect((await redline(['watch', 'add', url, '--every', '15m', '--mode', 'http'])).code).toBe(0);
    for (const [i, state] of STATES.entries()) {
      site.setRound(i + 1, state);
      const captured = await redline(['capture', url, '--json']);
      expect(captured.code, captured.stderr).toBe(0);
      expect(JSON.parse(captured.stdout).capture.version).toBe(i + 1);
    }
    const keyFile = join(home, 'signing-key.pem');
    const key = signingKey();
    await writeFile(keyFile, key.privateKeyPem);
    const outDir = await mkdtemp(join(tmpdir(), 'redline-export-out-'));
    try {
      const file = join(outDir, 'story.wacz');
      const exported = await redline(['export', url, '-o', file, '--sign', '--json'], {
        REDLINE_WACZ_SIGNING_KEY_FILE: keyFile,
      });
      expect(exported.code, exported.stderr).toBe(0);
      const summary = JSON.parse(exported.stdout);
      const wacz = await readFile(file);
      expect(summary).toMatchObject({ archived: [1, 2, 3], problems: [], signed: true, file });
      expect(summary.sha256).toBe(sha256(wacz));
      expect(summary.bytes).toBe(wacz.byteLength);
      expect(
        await validateWacz(file, { requireSignature: true, trustedPublicKeys: [waczPublicKeyOf(key)] }),
      ).toEqual([]);
      const pages = pagesOf(await unzip(wacz));
      expect(pages.map((p) => p.title)).toEqual(STATES.map((s) => s.headline));
      expect(pages.every((p) => p.url === url)).toBe(true);
      const captures = JSON.parse((await redline(['captures', url, '--json'])).stdout) as {
        startedAt: string;
        version?: number;
      }[];
      expect(pages.map((p) => p.ts)).toEqual(captures.map((c) => c.startedAt).sort());

      const line = await redline(['export', url, '--from', '2', '--to', '3', '-o', file]);
      expect(line.code, line.stderr).toBe(0);
      const again = await readFile(file);
      expect(line.stdout.trim()).toBe(
        `${url} v2–v3 → ${file}: 2 versions, ${again.byteLength} bytes, ${sha256(again)}`,
      );
      expect(pagesOf(await unzip(again))).toHaveLength(2);
      expect(await validateWacz(file)).toEqual([]);
      // Only the file itself: no temp file left beside it.
      expect(await readdir(outDir)).toEqual(['story.wacz']);

      const unknown = await redline(['export', `${url}-never-watched`, '-o', join(outDir, 'x.wacz')]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('no watch for');
      const range = await redline(['export', url, '--to', '7', '-o', join(outDir, 'x.wacz')]);
      expect(range.code).toBe(2);
      const reversed = await redline([
        'export',
        url,
        '--from',
        '3',
        '--to',
        '1',
        '-o',
        join(outDir, 'x.wacz'),
      ]);
      expect(reversed.code).toBe(2);
      const noKey = await redline(['export', url, '--sign', '-o', join(outDir, 'x.wacz')]);
      expect(noKey.code).toBe(2);
      expect(noKey.stderr).toContain('REDLINE_WACZ_SIGNING_KEY_FILE');
      expect(await readdir(outDir)).toEqual(['story.wacz']);

      // A flipped byte in a stored WARC: the export fails naming the blob, and the file already there is kept.
      const versions = JSON.parse((await redline(['versions', url, '--json'])).stdout) as {
        artifacts: { warc: { digest: string } };
      }[];
      const hex = versions[2]!.artifacts.warc.digest.slice('sha256:'.length);
      const blobPath = join(home, 'blobs', 'sha256', hex.slice(0, 2), hex);
      const stored = await readFile(blobPath);
      stored[100] = (stored[100] ?? 0) ^ 0x01;
      await writeFile(blobPath, stored);
      const corrupt = await redline(['export', url, '-o', file]);
      expect(corrupt.code).toBe(1);
      expect(corrupt.stderr).toContain(`blob sha256:${hex} is corrupt`);
      expect(sha256(await readFile(file))).toBe(sha256(again));
      expect(await readdir(outDir)).toEqual(['story.wacz']);
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  });
});
