import { createHash, generateKeyPairSync } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ZipFile } from 'yazl';
import { buildWarc } from '../../functions/core/capture/warc.js';
import { sha256 } from '../../functions/core/domain/digest.js';
import { WaczBuildError } from '../../functions/core/domain/errors.js';
import { buildWacz, buildWaczBytes, type WaczInput } from '../../functions/core/proof/wacz.js';
import { indexWarc } from '../../functions/core/proof/wacz-index.js';
import { verifyWaczSignature, waczPublicKeyOf } from '../../functions/core/proof/wacz-sign.js';
import { validateWacz, type WaczProblem } from '../support/wacz-validator.js';
import { unzip } from '../support/zip.js';

const URL_A = 'https://news.example.org/2026/11/story?id=7';
const BODY_1 = Buffer.from(
  '<html><head><title>Story</title></head><body><p>The minister said yes.</p></body></html>',
);
const BODY_3 = Buffer.from(
  '<html><head><title>Story</title></head><body><p>The minister said no.</p></body></html>',
);
const DATES = ['2026-11-20T10:00:00.000Z', '2026-11-21T10:00:00.000Z', '2026-11-22T10:00:00.000Z'];

async function* chunks(bytes: Uint8Array) {
  // Small chunks, so gzip members straddle chunk boundaries.
  for (let i = 0; i < bytes.byteLength; i += 1000) yield bytes.subarray(i, i + 1000);
}

function exchange(body: Uint8Array) {
  return {
    url: URL_A,
    requestHeaders: { 'user-agent': 'Redline-test' },
    status: 200,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    wireBody: body,
  };
}

/** Three versions: v1 with a redirect hop, v2 identical to v1 (a revisit record), v3 changed. */
async function threeVersionWarcs(): Promise<Uint8Array[]> {
  const redirect = {
    url: 'http://news.example.org/2026/11/story?id=7',
    requestHeaders: {},
    status: 301,
    headers: { location: URL_A },
    wireBody: new Uint8Array(),
  };
  const meta = { captureId: 'c' };
  const v1 = await buildWarc({
    date: DATES[0] as string,
    exchanges: [redirect, exchange(BODY_1)],
    metadata: meta,
    software: 'redline-test',
    screenshot: Buffer.from('PNGDATA'),
  });
  const v2 = await buildWarc({
    date: DATES[1] as string,
    exchanges: [exchange(BODY_1)],
    previousPayload: { digest: sha256(BODY_1), url: URL_A, date: DATES[0] as string },
    metadata: meta,
    software: 'redline-test',
  });
  const v3 = await buildWarc({
    date: DATES[2] as string,
    exchanges: [exchange(BODY_3)],
    metadata: meta,
    software: 'redline-test',
  });
  return [v1, v2, v3];
}

function waczInput(warcs: Uint8Array[], extra: Partial<WaczInput> = {}): WaczInput {
  return {
    title: 'Story versions',
    created: '2026-11-26T12:00:00.000Z',
    software: 'redline 0.1.0',
    warcs: warcs.map((bytes, i) => ({ name: `v${i + 1}.warc.gz`, open: () => chunks(bytes) })),
    pages: DATES.map((ts, i) => ({
      url: URL_A,
      ts,
      title: `Story v${i + 1}`,
      text: i === 2 ? 'The minister said no.' : 'The minister said yes.',
    })),
    extras: [{ path: 'redline/manifests/v1.json', bytes: Buffer.from('{"version":1}\n') }],
    ...extra,
  };
}

/** Rewrites a WACZ with one file edited; `rehash` updates datapackage.json and its digest so only the edit itself is wrong. */
async function tamper(
  bytes: Uint8Array,
  path: string,
  edit: (content: Buffer) => Buffer,
  rehash: boolean,
): Promise<Uint8Array> {
  const files = await unzip(bytes);
  files.set(path, edit(files.get(path) as Buffer));
  if (rehash) {
    const dp = JSON.parse((files.get('datapackage.json') as Buffer).toString()) as {
      resources: { path: string; hash: string; bytes: number }[];
    };
    for (const resource of dp.resources) {
      const content = files.get(resource.path) as Buffer;
      resource.hash = sha256(content);
      resource.bytes = content.byteLength;
    }
    const dpBytes = Buffer.from(JSON.stringify(dp, null, 2));
    files.set('datapackage.json', dpBytes);
    const digest = JSON.parse((files.get('datapackage-digest.json') as Buffer).toString()) as Record<
      string,
      unknown
    >;
    digest.hash = sha256(dpBytes);
    files.set('datapackage-digest.json', Buffer.from(JSON.stringify(digest)));
  }
  const zip = new ZipFile();
  for (const [name, content] of files)
    zip.addBuffer(content, name, { compress: false, mtime: new Date('2026-11-26T12:00:00Z') });
  zip.end();
  const out: Buffer[] = [];
  for await (const chunk of zip.outputStream) out.push(chunk as Buffer);
  return Buffer.concat(out);
}

const codes = (problems: WaczProblem[]) => [...new Set(problems.map((p) => p.code))].sort();

function signingKey() {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

describe('WACZ export', () => {
  it('packages three versions (redirect, revisit, change) into a WACZ the independent validator accepts', async () => {
    const warcs = await threeVersionWarcs();
    const wacz = await buildWaczBytes(waczInput(warcs));

    expect(await validateWacz(wacz)).toEqual([]);
    const files = await unzip(wacz);
    expect([...files.keys()]).toEqual([
      'archive/v1.warc.gz',
      'archive/v2.warc.gz',
      'archive/v3.warc.gz',
      'indexes/index.cdx',
      'pages/pages.jsonl',
      'redline/manifests/v1.json',
      'datapackage.json',
      'datapackage-digest.json',
    ]);
    expect(files.get('archive/v2.warc.gz')?.equals(Buffer.from(warcs[1] as Uint8Array))).toBe(true);
    const index = (files.get('indexes/index.cdx') as Buffer).toString().trim().split('\n');
    // v1: redirect + response + screenshot resource; v2: revisit; v3: response.
    expect(index).toHaveLength(5);
    expect(index.filter((line) => line.includes('"mime":"warc/revisit"'))).toHaveLength(1);
    expect(index.filter((line) => line.includes('"status":"301"'))).toHaveLength(1);
    const pages = (files.get('pages/pages.jsonl') as Buffer).toString().trim().split('\n');
    expect(JSON.parse(pages[0] as string)).toEqual({
      format: 'json-pages-1.0',
      id: 'pages',
      title: 'All Pages',
    });
    expect(pages).toHaveLength(4);
    const dp = JSON.parse((files.get('datapackage.json') as Buffer).toString());
    expect(dp).toMatchObject({
      profile: 'data-package',
      wacz_version: '1.1.1',
      mainPageUrl: URL_A,
      mainPageDate: DATES[2],
    });
    expect(dp.resources.map((r: { path: string }) => r.path)).toContain('redline/manifests/v1.json');
  });

  it('streams from WARC files to a WACZ file, the same bytes as in memory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'redline-wacz-'));
    try {
      const warcs = await threeVersionWarcs();
      const input = waczInput(warcs);
      for (const [i, bytes] of warcs.entries()) await writeFile(join(dir, `v${i + 1}.warc.gz`), bytes);
      input.warcs = warcs.map((_, i) => ({
        name: `v${i + 1}.warc.gz`,
        open: () => createReadStream(join(dir, `v${i + 1}.warc.gz`), { highWaterMark: 4096 }),
      }));
      const out = join(dir, 'out.wacz');
      const summary = await buildWacz(input, createWriteStream(out));
      expect(await validateWacz(out)).toEqual([]);
      expect(summary.records).toBe(7 + 4 + 4);
      expect((await readFile(out)).equals(Buffer.from(await buildWaczBytes(waczInput(warcs))))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives byte-identical output for the same input', async () => {
    const warcs = await threeVersionWarcs();
    const a = await buildWaczBytes(waczInput(warcs));
    const b = await buildWaczBytes(waczInput(warcs));
    expect(createHash('sha256').update(a).digest('hex')).toBe(createHash('sha256').update(b).digest('hex'));
  });

  it('finds buildWarc output is one gzip member per record, and refuses a whole-file gzip WARC', async () => {
    const [v1] = await threeVersionWarcs();
    const indexed = await indexWarc('v1.warc.gz', chunks(v1 as Uint8Array));
    // warcinfo, request+response twice, metadata, resource.
    expect(indexed.records).toBe(7);
    expect(indexed.bytes).toBe(v1?.byteLength);
    const wholeFile = gzipSync(gunzipSync(v1 as Uint8Array));
    await expect(indexWarc('whole.warc.gz', chunks(wholeFile))).rejects.toBeInstanceOf(WaczBuildError);
  });

  it('refuses a page that has no record in the WARCs', async () => {
    const warcs = await threeVersionWarcs();
    const input = waczInput(warcs, {
      pages: [{ url: 'https://news.example.org/other', ts: DATES[0] as string }],
    });
    await expect(buildWaczBytes(input)).rejects.toThrow(/no response or revisit record/);
  });

  it('signs datapackage.json anonymously (ECDSA P-256) so the validator and verifyWaczSignature accept it', async () => {
    const key = signingKey();
    const wacz = await buildWaczBytes(waczInput(await threeVersionWarcs(), { sign: key }));
    const publicKey = waczPublicKeyOf(key);
    expect(await validateWacz(wacz, { requireSignature: true, trustedPublicKeys: [publicKey] })).toEqual([]);
    const files = await unzip(wacz);
    const digest = JSON.parse((files.get('datapackage-digest.json') as Buffer).toString());
    expect(digest.signedData.created).toBe('2026-11-26T12:00:00.000Z');
    expect(
      verifyWaczSignature(digest.signedData, {
        datapackageHash: sha256(files.get('datapackage.json') as Buffer),
        trustedPublicKeys: [publicKey],
      }),
    ).toEqual({ valid: true });
    const other = waczPublicKeyOf(signingKey());
    expect(await validateWacz(wacz, { trustedPublicKeys: [other] })).toMatchObject([{ code: 'signature' }]);
  });

  describe('tampering is found and named', () => {
    it('a flipped byte in a WARC', async () => {
      const wacz = await buildWaczBytes(waczInput(await threeVersionWarcs()));
      const bad = await tamper(
        wacz,
        'archive/v3.warc.gz',
        (b) => {
          const copy = Buffer.from(b);
          const at = Math.floor(copy.length / 2);
          copy[at] = (copy[at] ?? 0) ^ 0x01;
          return copy;
        },
        false,
      );
      const problems = await validateWacz(bad);
      expect(problems).toContainEqual(
        expect.objectContaining({ code: 'resource-hash', path: 'archive/v3.warc.gz' }),
      );
    });

    it('an edited datapackage.json', async () => {
      const wacz = await buildWaczBytes(waczInput(await threeVersionWarcs(), { sign: signingKey() }));
      const bad = await tamper(
        wacz,
        'datapackage.json',
        (b) => Buffer.from(b.toString().replace('Story versions', 'Other story')),
        false,
      );
      expect(codes(await validateWacz(bad))).toEqual(['digest', 'signature']);
    });

    it('a CDXJ offset off by one', async () => {
      const wacz = await buildWaczBytes(waczInput(await threeVersionWarcs()));
      const bad = await tamper(
        wacz,
        'indexes/index.cdx',
        (b) => {
          const lines = b.toString().split('\n');
          lines[0] = (lines[0] as string).replace(
            /"offset":"(\d+)"/,
            (_, n: string) => `"offset":"${Number(n) + 1}"`,
          );
          return Buffer.from(lines.join('\n'));
        },
        true,
      );
      const problems = await validateWacz(bad);
      expect(codes(problems)).toEqual(['cdxj-record']);
      expect(problems[0]?.message).toMatch(/line 1/);
    });

    it('a page missing from the index', async () => {
      const wacz = await buildWaczBytes(waczInput(await threeVersionWarcs()));
      const bad = await tamper(
        wacz,
        'pages/pages.jsonl',
        (b) =>
          Buffer.concat([
            b,
            Buffer.from(`${JSON.stringify({ id: 'x', url: URL_A, ts: '2026-11-23T10:00:00.000Z' })}\n`),
          ]),
        true,
      );
      expect(await validateWacz(bad)).toEqual([
        expect.objectContaining({ code: 'page-not-indexed', path: 'pages/pages.jsonl' }),
      ]);
    });

    it('a bad signature', async () => {
      const wacz = await buildWaczBytes(waczInput(await threeVersionWarcs(), { sign: signingKey() }));
      const bad = await tamper(
        wacz,
        'datapackage-digest.json',
        (b) => {
          const digest = JSON.parse(b.toString());
          const sig = Buffer.from(digest.signedData.signature, 'base64');
          sig[5] = (sig[5] ?? 0) ^ 0xff;
          digest.signedData.signature = sig.toString('base64');
          return Buffer.from(JSON.stringify(digest));
        },
        false,
      );
      expect(await validateWacz(bad)).toEqual([
        expect.objectContaining({ code: 'signature', message: expect.stringMatching(/does not verify/) }),
      ]);
    });

    it('a file nobody listed, and a WARC deflated in the zip', async () => {
      const wacz = await buildWaczBytes(waczInput(await threeVersionWarcs()));
      const files = await unzip(wacz);
      const zip = new ZipFile();
      for (const [name, content] of files)
        zip.addBuffer(content, name, { compress: name === 'archive/v1.warc.gz' });
      zip.addBuffer(Buffer.from('x'), 'redline/extra.txt', { compress: false });
      zip.end();
      const out: Buffer[] = [];
      for await (const chunk of zip.outputStream) out.push(chunk as Buffer);
      expect(codes(await validateWacz(Buffer.concat(out)))).toEqual(['not-stored', 'unlisted-file']);
    });
  });
});
