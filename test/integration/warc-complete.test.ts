import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePage, ORIGINAL } from '../../demo/news-site.js';
import { ChromiumRenderer, EXCHANGE_LIMITS } from '../../functions/adapters/chromium/chromium-renderer.js';
import { UndiciFetcher } from '../../functions/adapters/net/undici-fetcher.js';
import { type CaptureDeps, captureWatch } from '../../functions/core/capture/capture.js';
import { silentLogger } from '../../functions/core/domain/ports.js';
import { indexWarc } from '../../functions/core/proof/wacz-index.js';
import { addWatch } from '../../functions/core/watches/watches.js';
import { type MemoryBlobStore, MemoryCatalog, memoryStores } from '../support/memory.js';
import { type ParsedRecord, readWarc } from '../support/warc.js';

/**
 * A full capture (real fetcher, real browser) of an article with a stylesheet, a script, an image, a font,
 * an XHR and a 20 MB image: its WARC must hold every exchange the browser made, as served. The server
 * listens on 127.0.0.2, not on the guard proxy's 127.0.0.1: the browser reaches everything through that
 * proxy, so a WARC-IP-Address taken from the browser's own view would name the proxy.
 */
const SERVER_IP = '127.0.0.2';
/** A name, so the address comes from resolution (the fetcher's and the proxy's), not from the URL. */
const HOST = 'news.fixture.test';
const resolver = async (host: string) => (host === HOST ? [SERVER_IP] : []);
const CSS = `@font-face{font-family:Fixture;src:url(/font.woff2) format("woff2")}
body{font-family:Fixture,serif;color:#123} .hero{width:40px;height:40px}`;
const JS = `fetch('/data.json').then((r) => r.text()).then((t) => { document.body.dataset.xhr = t; });`;
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(2_000)]);
const FONT = Buffer.concat([Buffer.from('wOF2'), randomBytes(3_000)]);
const DATA = '{"fixture":true}';
const BIG = Buffer.alloc(20 * 1024 * 1024, 7);

const SUBRESOURCES: Record<string, { type: string; body: Buffer }> = {
  '/style.css': { type: 'text/css', body: Buffer.from(CSS) },
  '/app.js': { type: 'text/javascript', body: Buffer.from(JS) },
  '/hero.png': { type: 'image/png', body: PNG },
  '/font.woff2': { type: 'font/woff2', body: FONT },
  '/data.json': { type: 'application/json', body: Buffer.from(DATA) },
  '/big.png': { type: 'image/png', body: BIG },
};

const page = articlePage(ORIGINAL, 1)
  .replace('</head>', '<link rel="stylesheet" href="/style.css"><script src="/app.js" defer></script></head>')
  .replace(
    '</body>',
    '<img class="hero" src="/hero.png" alt=""><img src="/big.png" width="10" alt=""></body>',
  );

let server: { url: string; http: Server };
let deps: CaptureDeps & { blobs: MemoryBlobStore };

beforeAll(async () => {
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/story': (_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page),
  };
  for (const [path, { type, body }] of Object.entries(SUBRESOURCES))
    routes[path] = (_req, res) =>
      res.writeHead(200, { 'content-type': type, 'content-length': body.byteLength }).end(body);
  const http = createServer((req, res) => {
    const route = routes[new URL(req.url ?? '/', 'http://x').pathname];
    if (route) route(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => http.listen(0, SERVER_IP, resolve));
  server = { url: `http://${HOST}:${(http.address() as AddressInfo).port}`, http };
  const catalog = new MemoryCatalog();
  const policy = { allowPrivateNetwork: true };
  deps = {
    ...memoryStores(catalog),
    fetcher: new UndiciFetcher({ policy, resolver, userAgent: 'Redline-test' }),
    renderer: new ChromiumRenderer({ policy, resolver, userAgent: 'Redline-test' }),
    clock: { now: () => new Date() },
    logger: silentLogger,
  };
});
afterAll(async () => {
  await deps.renderer.close();
  server.http.closeAllConnections();
  await new Promise((resolve) => server.http.close(resolve));
});

describe('complete captures', () => {
  let records: ParsedRecord[];
  let warc: Uint8Array;
  let provenanceBlob: Buffer;

  beforeAll(async () => {
    const { watch } = await addWatch(deps, {
      url: `${server.url}/story`,
      cadenceSeconds: 3600,
      mode: 'auto',
      tags: [],
    });
    const result = await captureWatch(deps, watch);
    const { artifacts } = result.capture;
    expect(artifacts.warc, JSON.stringify(result.capture)).toBeDefined();
    expect(artifacts.provenance).toBeDefined();
    warc = deps.blobs.blobs.get(artifacts.warc!.digest)!;
    provenanceBlob = Buffer.from(deps.blobs.blobs.get(artifacts.provenance!.digest)!);
    records = await readWarc(warc);
  });

  it('records request and response for every sub-resource, as served, with the server address', () => {
    for (const [path, { body }] of Object.entries(SUBRESOURCES)) {
      if (path === '/big.png') continue;
      const url = `${server.url}${path}`;
      const request = records.find((r) => r.type === 'request' && r.url === url);
      const response = records.find((r) => r.type === 'response' && r.url === url);
      expect(request, url).toBeDefined();
      expect(response, url).toBeDefined();
      expect(response!.warc.get('WARC-IP-Address'), url).toBe(SERVER_IP);
      expect(response!.warc.get('WARC-Truncated'), url).toBeFalsy();
      expect(response!.payload.equals(body), url).toBe(true);
      expect(request!.warc.get('WARC-Concurrent-To')).toBe(response!.warc.get('WARC-Record-ID'));
      expect(request!.statusline).toBe(`GET ${path} HTTP/1.1`);
      expect(request!.warc.get('WARC-IP-Address'), url).toBe(SERVER_IP);
    }
    // The main document once, from the fetcher (the browser was served those bytes), with its address.
    const main = records.filter((r) => r.type === 'response' && r.url === `${server.url}/story`);
    expect(main).toHaveLength(1);
    expect(main[0]!.payload.toString()).toBe(page);
    expect(main[0]!.warc.get('WARC-IP-Address')).toBe(SERVER_IP);
  });

  it('keeps a body over the cap cut short and says so', () => {
    const big = records.find((r) => r.type === 'response' && r.url === `${server.url}/big.png`);
    expect(big).toBeDefined();
    // Chromium's body buffer is sized, not timed: a 20 MB body is still there to read, and cut at the cap.
    expect(big!.warc.get('WARC-Truncated')).toBe('length');
    expect(big!.payload.equals(BIG.subarray(0, EXCHANGE_LIMITS.maxBodyBytes))).toBe(true);
  });

  it('writes a provenance record, the same JSON as the provenance artifact', () => {
    const record = records.find((r) => r.type === 'resource' && r.url.startsWith('urn:redline:provenance:'));
    expect(record).toBeDefined();
    expect(record!.warc.get('Content-Type')).toBe('application/json');
    expect(record!.payload.equals(provenanceBlob)).toBe(true);
    const provenance = JSON.parse(provenanceBlob.toString());
    expect(provenance).toMatchObject({
      url: `${server.url}/story`,
      serverIp: SERVER_IP,
      userAgent: 'Redline-test',
      egress: process.env.REDLINE_EGRESS?.trim() || 'unspecified',
      tls: [],
    });
    expect(provenance.software.node).toBe(process.version);
    expect(provenance.software.redline).toMatch(/^Redline /);
    expect(provenance.software.chromium).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(provenance.software['playwright-core']).toMatch(/^\d+\.\d+\.\d+/);
    expect(provenance.software['@sparticuz/chromium']).toMatch(/^\d+\.\d+\.\d+/);
    expect(provenance.options.render.navigateTimeoutMs).toBeGreaterThan(0);
    expect(provenance.subresources.recorded).toBeGreaterThanOrEqual(Object.keys(SUBRESOURCES).length);
    expect(provenance.subresources.truncated).toBeGreaterThanOrEqual(1);
  });

  it('indexes to a response for every sub-resource the page loads (what a replay needs, offline)', async () => {
    const index = await indexWarc(
      'capture.warc.gz',
      new Blob([Buffer.from(warc)]).stream() as unknown as AsyncIterable<Uint8Array>,
    );
    const responses = new Set(index.entries.filter((e) => e.warcType === 'response').map((e) => e.url));
    for (const path of ['/story', ...Object.keys(SUBRESOURCES)])
      expect(responses.has(`${server.url}${path}`), path).toBe(true);
  });
});
