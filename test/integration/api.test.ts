import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, createArchiveApp } from '../../functions/api/app.js';
import { sha256 } from '../../functions/core/domain/digest.js';
import { watchIdFor } from '../../functions/core/domain/url.js';
import { type ApiArchive, startApiArchive, URL_A, URL_B, URL_C } from '../support/api-archive.js';

/** The HTTP API against the real local server (store process, blob folder, both listeners on port 0). */
let archive: ApiArchive;
let app: string;

beforeAll(async () => {
  archive = await startApiArchive();
  app = archive.servers.urls.app;
}, 300_000);
afterAll(async () => archive?.close());

const get = (path: string, init?: RequestInit) => fetch(`${app}${path}`, { redirect: 'manual', ...init });
interface ArtifactJson {
  digest: string;
  size: number;
  contentType: string;
  href: string;
}
/** The API's JSON, as loosely as the assertions read it. */
interface Body {
  [key: string]: unknown;
  id: string;
  url: string;
  number: number;
  captureId: string;
  cadenceSeconds: number;
  mode: string;
  nextDueAt: string;
  lastAnomaly?: string;
  lastEdit?: unknown;
  watches: Body[];
  versions: Body[];
  captures: Body[];
  edits: { kind: string }[];
  artifacts: Record<string, ArtifactJson>;
  links: Record<string, string>;
  from: Body;
  to: Body;
  error: { status: number; code: string };
  status?: string;
  verdict?: string;
  anomaly?: string;
  capturedAt: string;
}
const json = async (path: string, init?: RequestInit) => {
  const response = await get(path, init);
  return { status: response.status, body: (await response.json()) as Body, response };
};
const send = (method: string, path: string, body: unknown) =>
  json(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const enc = encodeURIComponent;

/** Every archived response: sandboxed, not sniffed, immutable, named by its digest. */
function expectArchivedHeaders(response: Response) {
  expect(response.headers.get('content-security-policy')).toBe('sandbox');
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('cache-control')).toContain('immutable');
}

describe('API: watches', () => {
  it('lists watches with their state, and filters by tag and by status', async () => {
    const { status, body } = await json('/api/watches');
    expect(status).toBe(200);
    expect(body.watches.map((w: Body) => w.url).sort()).toEqual([URL_B, URL_A].sort());
    const a = body.watches.find((w: Body) => w.url === URL_A);
    expect(a).toMatchObject({
      id: watchIdFor(URL_A),
      type: 'article',
      tags: ['city', 'council'],
      versionCount: 3,
      status: 'failed',
      lastStatus: 'failed',
      lastCapturedAt: '2026-11-20T15:00:00.000Z',
      lastEdit: { version: 3, capturedAt: '2026-11-20T14:00:00.000Z' },
      removed: false,
    });
    expect(a!.lastAnomaly).toBeUndefined();
    const b = body.watches.find((w: Body) => w.url === URL_B);
    expect(b).toMatchObject({ status: 'anomaly', lastAnomaly: 'not_found', versionCount: 1 });
    expect(b!.lastEdit).toBeUndefined();

    expect((await json('/api/watches?tag=county')).body.watches.map((w: Body) => w.url)).toEqual([URL_B]);
    expect((await json('/api/watches?status=anomaly')).body.watches.map((w: Body) => w.url)).toEqual([URL_B]);
    expect((await json('/api/watches?status=failed')).body.watches.map((w: Body) => w.url)).toEqual([URL_A]);
    expect((await json('/api/watches?tag=nothing')).body).toMatchObject({ total: 0, watches: [] });
  });

  it('refuses bad input with 400 and unknown watches with 404, as JSON', async () => {
    const badStatus = await json('/api/watches?status=sleeping');
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.error).toMatchObject({ status: 400, code: 'invalid_input' });
    expect((await json('/api/watches?bogus=1')).status).toBe(400);
    const unknown = await json(`/api/watches/${enc('https://news.example/never')}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('watch_not_found');
    expect((await json('/api/watches/w_00000000000000000000/versions')).status).toBe(404);
    expect((await json(`/api/watches/${enc('ftp://news.example/x')}`)).status).toBe(400);
    expect((await json('/api/nothing-here')).status).toBe(404);
  });

  it('adds a watch (201), and a POST on a watched URL changes only the fields given (200)', async () => {
    const url = 'https://news.example/new-story';
    const created = await send('POST', '/api/watches', { url, every: '2h', tags: ['x', 'y'], mode: 'http' });
    expect(created.status).toBe(201);
    expect(created.response.headers.get('location')).toBe(`${app}/api/watches/${watchIdFor(url)}`);
    expect(created.body).toMatchObject({
      url,
      cadenceSeconds: 7200,
      tags: ['x', 'y'],
      mode: 'http',
      status: 'pending',
    });
    const again = await send('POST', '/api/watches', { url, tags: ['z'] });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ cadenceSeconds: 7200, mode: 'http', tags: ['z'] });
    expect((await send('POST', '/api/watches', { url: 'not a url' })).status).toBe(400);
    expect((await send('POST', '/api/watches', { url, every: 'often' })).status).toBe(400);
    const notJson = await get('/api/watches', {
      method: 'POST',
      body: '{',
      headers: { 'content-type': 'application/json' },
    });
    expect(notJson.status).toBe(400);
  });

  it('PATCH changes only the fields given, by id or by URL', async () => {
    const before = (await json(`/api/watches/${watchIdFor(URL_A)}`)).body;
    const patched = await send('PATCH', `/api/watches/${enc(URL_A)}`, { tags: ['politics'] });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      tags: ['politics'],
      cadenceSeconds: before.cadenceSeconds,
      mode: before.mode,
      nextDueAt: before.nextDueAt,
      versionCount: 3,
    });
    const cadence = await send('PATCH', `/api/watches/${watchIdFor(URL_A)}`, { every: '30m' });
    expect(cadence.body).toMatchObject({ tags: ['politics'], cadenceSeconds: 1800, mode: before.mode });
    // Read back from the store, not from the response.
    expect((await json(`/api/watches/${watchIdFor(URL_A)}`)).body).toMatchObject({
      tags: ['politics'],
      cadenceSeconds: 1800,
    });
    expect((await send('PATCH', `/api/watches/${watchIdFor(URL_A)}`, { every: 'soon' })).status).toBe(400);
    expect((await send('PATCH', `/api/watches/${watchIdFor(URL_A)}`, { colour: 'red' })).status).toBe(400);
    expect((await send('PATCH', `/api/watches/${watchIdFor(URL_A)}`, { linkPattern: 'x' })).status).toBe(400);
    expect(
      (await send('PATCH', `/api/watches/${enc('https://news.example/never')}`, { tags: [] })).status,
    ).toBe(404);
  });
});

describe('API: history', () => {
  it('lists versions with links, and one version; a missing or malformed number is 404 / 400', async () => {
    const { status, body } = await json(`/api/watches/${enc(URL_A)}/versions`);
    expect(status).toBe(200);
    expect(body.versions.map((v: Body) => [v.number, v.capturedAt])).toEqual([
      [1, '2026-11-20T10:00:00.000Z'],
      [2, '2026-11-20T12:00:00.000Z'],
      [3, '2026-11-20T14:00:00.000Z'],
    ]);
    expect(body.versions[1]!.links.diff).toBe(`${app}/api/watches/${watchIdFor(URL_A)}/diff?from=1&to=2`);
    const one = await json(`/api/watches/${watchIdFor(URL_A)}/versions/2`);
    expect(one.body).toMatchObject({ number: 2, url: URL_A });
    expect(one.body.edits.length).toBeGreaterThan(0);
    expect((await json(`/api/watches/${watchIdFor(URL_A)}/versions/9`)).status).toBe(404);
    expect((await json(`/api/watches/${watchIdFor(URL_A)}/versions/abc`)).status).toBe(400);
  });

  it('lists every capture, anomalies and failures included, and serves one capture', async () => {
    const { body } = await json(`/api/watches/${watchIdFor(URL_A)}/captures`);
    expect(body.captures.map((c: Body) => [c.status, c.verdict ?? null, c.anomaly ?? null])).toEqual([
      ['complete', 'first', null],
      ['complete', 'unchanged', null],
      ['complete', 'edited', null],
      ['complete', 'anomaly', 'not_found'],
      ['complete', 'edited', null],
      ['failed', null, null],
    ]);
    const anomaly = body.captures[3];
    expect(Object.keys(anomaly!.artifacts)).toContain('raw');
    const one = await json(`/api/watches/${watchIdFor(URL_A)}/captures/${enc(anomaly!.captureId)}`);
    expect(one.status).toBe(200);
    expect(one.body.captureId).toBe(anomaly!.captureId);
    expect((await json(`/api/watches/${watchIdFor(URL_A)}/captures/nope`)).status).toBe(404);
  });

  it('serves every artifact of every capture: bytes equal to the digest, type from the record, sandboxed', async () => {
    const { body } = await json(`/api/watches/${watchIdFor(URL_A)}/captures`);
    let served = 0;
    for (const capture of body.captures)
      for (const ref of Object.values(capture.artifacts)) {
        const response = await fetch(ref.href);
        expect(response.status).toBe(200);
        const bytes = new Uint8Array(await response.arrayBuffer());
        expect(sha256(bytes)).toBe(ref.digest);
        expect(bytes.byteLength).toBe(ref.size);
        expect(response.headers.get('content-type')).toBe(ref.contentType);
        expect(response.headers.get('etag')).toBe(`"${ref.digest}"`);
        expectArchivedHeaders(response);
        // The same bytes on the app origin's API, sandboxed too.
        const api = await get(`/api/blobs/${ref.digest}?watch=${watchIdFor(URL_A)}`);
        expect(sha256(new Uint8Array(await api.arrayBuffer()))).toBe(ref.digest);
        expectArchivedHeaders(api);
        served++;
      }
    expect(served).toBeGreaterThan(20);
    expect(new URL(body.captures[0]!.artifacts.raw!.href).origin).toBe(archive.servers.urls.archive);
    expect(archive.servers.urls.archive).not.toBe(app);
  });

  it('serves a blob without a watch as application/octet-stream; unknown is 404, malformed 400', async () => {
    const { body } = await json(`/api/watches/${watchIdFor(URL_A)}/versions/1`);
    const plain = await get(`/api/blobs/${body.artifacts.rendered!.digest}`);
    expect(plain.headers.get('content-type')).toBe('application/octet-stream');
    expectArchivedHeaders(plain);
    expect((await json(`/api/blobs/${sha256('never stored')}`)).status).toBe(404);
    expect((await json('/api/blobs/sha256:abc')).status).toBe(400);
    expect((await json('/api/blobs/md5:0123')).status).toBe(400);
  });

  it('diffs any two versions as typed edits (JSON) and as the HTML diff page', async () => {
    const { status, body } = await json(`/api/watches/${watchIdFor(URL_A)}/diff?from=1&to=3`);
    expect(status).toBe(200);
    expect(body.from.number).toBe(1);
    expect(body.to.number).toBe(3);
    const kinds = body.edits.map((e) => e.kind);
    expect(kinds).toContain('headline_changed');
    expect(kinds).toContain('correction_added');
    const page = await fetch(body.links.html!);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await page.text()).toContain('headline_changed');
    const latest = await json(`/api/watches/${watchIdFor(URL_A)}/diff`);
    expect([latest.body.from.number, latest.body.to.number]).toEqual([2, 3]);
    expect((await json(`/api/watches/${watchIdFor(URL_A)}/diff?from=1&to=1`)).status).toBe(400);
    expect((await json(`/api/watches/${watchIdFor(URL_A)}/diff?from=1&to=7`)).status).toBe(404);
    expect((await json(`/api/watches/${watchIdFor(URL_A)}/diff?from=x`)).status).toBe(400);
  });
});

describe('API: a removed watch', () => {
  it('keeps its history readable by URL and by id, and refuses changes', async () => {
    const watch = await json(`/api/watches/${enc(URL_C)}`);
    expect(watch.status).toBe(200);
    expect(watch.body).toMatchObject({ id: watchIdFor(URL_C), url: URL_C, removed: true, versionCount: 2 });
    expect((await json(`/api/watches/${enc(URL_C)}/versions`)).body.versions).toHaveLength(2);
    expect((await json(`/api/watches/${watchIdFor(URL_C)}/captures`)).body.captures).toHaveLength(2);
    const diff = await json(`/api/watches/${enc(URL_C)}/diff?from=1&to=2`);
    expect(diff.status).toBe(200);
    expect(diff.body.edits.length).toBeGreaterThan(0);
    expect((await send('PATCH', `/api/watches/${enc(URL_C)}`, { tags: ['x'] })).status).toBe(404);
    expect((await json(`/api/watches/${enc(URL_C)}`, { method: 'DELETE' })).status).toBe(404);
    expect((await json('/api/watches')).body.watches.map((w: Body) => w.url)).not.toContain(URL_C);
  });

  it('DELETE stops watching a URL and keeps its history', async () => {
    const url = 'https://news.example/short-lived';
    await send('POST', '/api/watches', { url });
    const removed = await json(`/api/watches/${enc(url)}`, { method: 'DELETE' });
    expect(removed.status).toBe(200);
    expect(removed.body).toMatchObject({ url, removed: true });
    // Never captured: nothing is left to read.
    expect((await json(`/api/watches/${enc(url)}`)).status).toBe(404);
  });
});

describe('API: cross-site requests', () => {
  it('refuses a body that is not declared JSON (no preflight, so any page could send it) with 415', async () => {
    const response = await get('/api/watches', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ url: 'https://news.example/csrf' }),
    });
    expect(response.status).toBe(415);
    expect((await json(`/api/watches/${enc('https://news.example/csrf')}`)).status).toBe(404);
  });

  it('answers only requests whose Host is the loopback address it listens on (no DNS rebinding)', async () => {
    const statusFor = (origin: string, host: string) =>
      new Promise<number>((resolve, reject) => {
        const url = new URL(`${origin}/api/watches`);
        httpRequest(
          { hostname: url.hostname, port: url.port, path: url.pathname, headers: { host } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        )
          .on('error', reject)
          .end();
      });
    const { port } = new URL(app);
    expect(await statusFor(app, `rebound.example:${port}`)).toBe(403);
    expect(await statusFor(app, `localhost:${port}`)).toBe(200);
    expect(await statusFor(app, `127.0.0.1:${port}`)).toBe(200);
    const archivePort = new URL(archive.servers.urls.archive).port;
    expect(await statusFor(archive.servers.urls.archive, `rebound.example:${archivePort}`)).toBe(403);
  });
});

describe('OpenAPI document', () => {
  it('describes every route the app and the archive origin serve, and no other', async () => {
    const doc = JSON.parse(await readFile('docs/openapi.json', 'utf8')) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toMatch(/^3\.1\./);
    const toOpenApi = (path: string) =>
      path
        .replace(/:(\w+)/g, '{$1}')
        .replace(/^\/(timemap\/link|timegate)\/\*$/, '/$1/{uri}')
        .replace(/^\/web\/\*$/, '/web/{timestamp}/{uri}');
    const deps = archive.rt;
    const urls = archive.servers.urls;
    const served = new Set(
      [...createApp(deps, urls).routes, ...createArchiveApp(deps, urls).routes]
        .filter((r) => r.method !== 'ALL')
        .map((r) => `${r.method.toLowerCase()} ${toOpenApi(r.path)}`),
    );
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.keys(item)
          .filter((k) => ['get', 'post', 'patch', 'delete', 'put'].includes(k))
          .map((method) => `${method} ${path}`),
      ),
    );
    expect([...served].sort()).toEqual([...documented].sort());
  });
});
