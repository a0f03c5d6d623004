import { createHash } from 'node:crypto';
import type { Context } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app.js';
import type { Download, Downloads } from '../../functions/api/downloads.js';
import { fileName } from '../../functions/api/exports.js';
import { watchIdFor } from '../../functions/core/domain/url.js';
import { type ApiArchive, startApiArchive, URL_A, URL_C } from '../support/api-archive.js';
import { validateWacz } from '../support/wacz-validator.js';
import { unzip } from '../support/zip.js';

/**
 * The download routes against the real local server (store process, blob folder, listeners on port 0):
 * `GET /api/watches/{watch}/export?format=wacz` and `GET /api/watches/{watch}/evidence`.
 */
let archive: ApiArchive;
let app: string;

beforeAll(async () => {
  archive = await startApiArchive();
  app = archive.servers.urls.app;
}, 300_000);
afterAll(async () => archive?.close());

const get = (path: string) => fetch(`${app}${path}`, { redirect: 'manual' });
const enc = encodeURIComponent;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function errorOf(path: string): Promise<{ status: number; code: string; message: string }> {
  const response = await get(path);
  const body = (await response.json()) as { error: { status: number; code: string; message: string } };
  expect(body.error.status).toBe(response.status);
  return { status: response.status, code: body.error.code, message: body.error.message };
}

/** The name part a download of `url` carries besides host and versions: the end of its path and its watch id. */
const nameOf = (url: string, path: string, versions: string, extension: string) =>
  `redline-news.example-${path}-${watchIdFor(url).slice(2, 10)}-${versions}.${extension}`;

describe('GET /api/watches/{watch}/evidence', () => {
  it('answers with the evidence bundle as an attachment, by watch id or URL', async () => {
    const id = watchIdFor(URL_A);
    const response = await get(`/api/watches/${id}/evidence?from=1&to=3`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/zip');
    const name = nameOf(URL_A, 'story', 'v1-v3', 'zip');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="${name}"; filename*=UTF-8''${name}`,
    );
    expect(response.headers.get('cache-control')).toBe('no-store');
    const zip = new Uint8Array(await response.arrayBuffer());
    expect(Number(response.headers.get('content-length'))).toBe(zip.byteLength);
    const files = await unzip(zip);
    for (const line of files.get('SHA256SUMS')!.toString('utf8').trim().split('\n'))
      expect(sha256(files.get(line.slice(66))!)).toBe(line.slice(0, 64));
    expect(files.has('report.pdf')).toBe(true);
    expect(files.has('chain/000003.json')).toBe(true);
    expect(await validateWacz(files.get('archive.wacz')!)).toEqual([]);
    expect(files.get('report.html')!.toString('utf8')).toContain(URL_A);

    // Addressed by its URL, with the default range: the latest version against the one before.
    const byUrl = await get(`/api/watches/${enc(URL_A)}/evidence`);
    expect(byUrl.status).toBe(200);
    expect(byUrl.headers.get('content-disposition')).toContain(nameOf(URL_A, 'story', 'v2-v3', 'zip'));
    // A removed watch's history is still bundled; two watches on one host never share a file name.
    const other = await get(`/api/watches/${enc(URL_C)}/evidence?from=1&to=2`);
    expect(other.status).toBe(200);
    expect(other.headers.get('content-disposition')).toContain(nameOf(URL_C, 'c', 'v1-v2', 'zip'));
    expect(fileName('https://news.example/story?id=1', 1, 2, 'zip')).not.toBe(
      fileName('https://news.example/story?id=2', 1, 2, 'zip'),
    );
  });

  it('bundles one version: to=1 alone, or from=to (the original, with no diff)', async () => {
    const id = watchIdFor(URL_A);
    for (const query of ['to=1', 'from=1&to=1']) {
      const response = await get(`/api/watches/${id}/evidence?${query}`);
      expect(response.status, query).toBe(200);
      expect(response.headers.get('content-disposition')).toContain(nameOf(URL_A, 'story', 'v1', 'zip'));
      const files = await unzip(new Uint8Array(await response.arrayBuffer()));
      expect(files.has('diff.html')).toBe(false);
      expect(files.has('before/version-record.json')).toBe(false);
      expect(JSON.parse(files.get('version/version-record.json')!.toString('utf8')).number).toBe(1);
      expect([...files.keys()].filter((f) => f.startsWith('chain/'))).toEqual(['chain/000001.json']);
      expect(files.has('archive.wacz')).toBe(true);
    }
    // to=2 alone: 1 against 2.
    const two = await get(`/api/watches/${id}/evidence?to=2`);
    expect(two.status).toBe(200);
    expect(two.headers.get('content-disposition')).toContain('-v1-v2.zip');
  });

  it('refuses bad ranges (400), and names unknown watches and versions (404)', async () => {
    const id = watchIdFor(URL_A);
    const refused: [string, string][] = [
      ['from=3&to=1', 'query parameter from (3) is after to (1)'],
      ['from=1&to=9', 'query parameter to (9) is beyond the latest version (3)'],
      ['to=9', 'query parameter to (9) is beyond the latest version (3)'],
      ['from=abc&to=2', 'query parameter from must be a version number (digits, 1 to 999999999), not "abc"'],
      ['from=0&to=2', 'query parameter from must be a version number (digits, 1 to 999999999), not "0"'],
      ['from=1e0&to=2', 'query parameter from must be a version number (digits, 1 to 999999999), not "1e0"'],
      ['from=1.0&to=2', 'query parameter from must be a version number (digits, 1 to 999999999), not "1.0"'],
      ['from=%201&to=2', 'query parameter from must be a version number (digits, 1 to 999999999), not " 1"'],
      ['from=01&to=2', 'query parameter from must be a version number (digits, 1 to 999999999), not "01"'],
      ['from=&to=2', 'query parameter from must be a version number (digits, 1 to 999999999), not ""'],
      [
        'from=99999999999999999999',
        'query parameter from must be a version number (digits, 1 to 999999999), not "99999999999999999999"',
      ],
      ['from=1&from=2&to=3', 'query parameter from is given 2 times; give it once'],
      ['from=1&to=2&x=1', 'unknown query parameter "x" (use from, to)'],
    ];
    for (const [query, message] of refused)
      expect(await errorOf(`/api/watches/${id}/evidence?${query}`), query).toEqual({
        status: 400,
        code: 'invalid_input',
        message,
      });
    expect(await errorOf(`/api/watches/${enc('https://news.example/never')}/evidence`)).toMatchObject({
      status: 404,
      code: 'watch_not_found',
    });
  });
});

describe('GET /api/watches/{watch}/export', () => {
  it('answers with the WACZ of a range, valid to an independent reader', async () => {
    const id = watchIdFor(URL_A);
    const all = await get(`/api/watches/${id}/export?format=wacz`);
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toBe('application/wacz');
    expect(all.headers.get('content-disposition')).toContain(
      `filename="${nameOf(URL_A, 'story', 'v1-v3', 'wacz')}"`,
    );
    const wacz = new Uint8Array(await all.arrayBuffer());
    expect(await validateWacz(wacz)).toEqual([]);
    const range = await get(`/api/watches/${id}/export?from=2&to=3`);
    expect(range.status).toBe(200);
    expect(range.headers.get('content-disposition')).toContain('v2-v3.wacz');
    const pages = (await unzip(new Uint8Array(await range.arrayBuffer())))
      .get('pages/pages.jsonl')!
      .toString('utf8')
      .trim()
      .split('\n');
    expect(pages).toHaveLength(3); // the header line and two pages
  });

  it('refuses bad ranges and formats (400), and names unknown watches (404)', async () => {
    const id = watchIdFor(URL_A);
    for (const query of ['format=warc', 'from=3&to=1', 'from=x', 'to=-1', 'format=wacz&y=2', 'to=1e0']) {
      expect(await errorOf(`/api/watches/${id}/export?${query}`), query).toMatchObject({ status: 400 });
    }
    expect((await errorOf(`/api/watches/${id}/export?format=wacz&format=wacz`)).message).toBe(
      'query parameter format is given 2 times; give it once',
    );
    expect(await errorOf(`/api/watches/${id}/export?to=9`)).toMatchObject({ status: 404 });
    expect(await errorOf('/api/watches/w_00000000000000000000/export')).toMatchObject({
      status: 404,
      code: 'watch_not_found',
    });
  });

  it('hands the file to the Downloads port it is given (a link on AWS)', async () => {
    const delivered: Download[] = [];
    const downloads: Downloads = {
      async deliver(c: Context, file: Download) {
        delivered.push(file);
        return c.json({ url: `https://downloads.example/${file.name}` }, 200);
      },
    };
    const local = createApp({ ...archive.rt, downloads }, archive.servers.urls);
    const response = await local.request(`/api/watches/${watchIdFor(URL_A)}/evidence?from=1&to=2`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      url: `https://downloads.example/${nameOf(URL_A, 'story', 'v1-v2', 'zip')}`,
    });
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.contentType).toBe('application/zip');
    expect((await unzip(delivered[0]!.bytes)).has('SHA256SUMS')).toBe(true);
  });
});
