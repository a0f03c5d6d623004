import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { crc32, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePage, ORIGINAL } from '../../demo/news-site.js';
import { ChromiumRenderer } from '../../functions/adapters/chromium/chromium-renderer.js';
import { UndiciFetcher } from '../../functions/adapters/net/undici-fetcher.js';
import { type CaptureDeps, captureWatch } from '../../functions/core/capture/capture.js';
import { BODY_UNAVAILABLE_FIELD } from '../../functions/core/capture/warc.js';
import { silentLogger } from '../../functions/core/domain/ports.js';
import { addWatch } from '../../functions/core/watches/watches.js';
import { type FixtureServer, startFixtureServer } from '../support/fixture-server.js';
import { MemoryCatalog, memoryStores } from '../support/memory.js';
import { type ParsedRecord, readWarc } from '../support/warc.js';

/**
 * Every class of sub-resource a page loads, served chunked (Transfer-Encoding: chunked, no Content-Length,
 * the body in two writes): the capture's WARC must hold each body as the browser received it (decoded from
 * its Content-Encoding, as the recorder stores it). Chromium's renderer drops the bodies it cannot use (an
 * image that fails to decode, a prefetch); read back through CDP they came out empty, and with a
 * Content-Length Playwright fetched the URL a second time instead.
 */
const HOST = 'news.fixture.test';
/** Another site, for a cross-site frame (its own renderer process, if site isolation is on). */
const OTHER_HOST = 'cdn.fixture.test';
const resolver = async (host: string) => (host === HOST || host === OTHER_HOST ? ['127.0.0.1'] : []);

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.byteLength);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** A valid RGB PNG of `width` × `height`. */
function png(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let i = 0; i < rows.byteLength; i++) if (i % (width * 3 + 1) !== 0) rows[i] = (i * 37) & 0xff;
  return Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(rows)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A PNG signature and then noise: Chromium fails to decode it. */
const brokenPng = (bytes: number) =>
  Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(bytes)]);

/** A second of 8 kHz 16-bit mono PCM as WAV. */
function wav(): Buffer {
  const samples = Buffer.alloc(16_000);
  for (let i = 0; i < 8_000; i++) samples.writeInt16LE(Math.round(8_000 * Math.sin(i / 10)), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + samples.byteLength, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(8_000, 24);
  header.writeUInt32LE(16_000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(samples.byteLength, 40);
  return Buffer.concat([header, samples]);
}

interface Served {
  /** What the page does with it (the test's message). */
  use: string;
  type: string;
  body: Buffer;
  host?: string;
  gzip?: boolean;
  /** Sent with a Content-Length instead of chunked (the control). */
  sized?: boolean;
  /** Answered 206 to a Range request (media). */
  ranged?: boolean;
}

const SERVED: Record<string, Served> = {
  '/style.css': { use: 'stylesheet', type: 'text/css', body: Buffer.from('h1{color:#123}\n'.repeat(40)) },
  '/app.js': {
    use: 'script',
    type: 'text/javascript',
    body: Buffer.from('window.fixture = 1;\n'.repeat(30)),
  },
  '/font.woff2': {
    use: 'font (fails to decode)',
    type: 'font/woff2',
    body: Buffer.concat([Buffer.from('wOF2'), randomBytes(3_000)]),
  },
  '/xhr.json': { use: 'XHR', type: 'application/json', body: Buffer.from('{"via":"xhr"}') },
  '/fetch.json': { use: 'fetch, read', type: 'application/json', body: Buffer.from('{"via":"fetch"}') },
  '/unread.json': { use: 'fetch, never read', type: 'application/json', body: Buffer.from('{"unread":1}') },
  '/hero.png': { use: 'image', type: 'image/png', body: png(40, 30) },
  '/broken.png': { use: 'image that fails to decode', type: 'image/png', body: brokenPng(1_500) },
  '/hidden.png': { use: 'image in a hidden element', type: 'image/png', body: png(8, 8) },
  '/hidden-broken.png': {
    use: 'undecodable image in a hidden element',
    type: 'image/png',
    body: brokenPng(900),
  },
  '/bg.png': { use: 'CSS background image', type: 'image/png', body: png(6, 6) },
  '/icon.svg': {
    use: 'SVG image',
    type: 'image/svg+xml',
    body: Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>',
    ),
  },
  '/zipped.css': {
    use: 'gzip-encoded stylesheet',
    type: 'text/css',
    body: Buffer.from('p{margin:0}\n'.repeat(80)),
    gzip: true,
  },
  '/zipped-broken.png': {
    use: 'gzip-encoded undecodable image',
    type: 'image/png',
    body: brokenPng(700),
    gzip: true,
  },
  '/prefetch.js': {
    use: 'prefetch, never used',
    type: 'text/javascript',
    body: Buffer.from('/*later*/\n'.repeat(25)),
  },
  '/preload.png': { use: 'preload, never used (undecodable)', type: 'image/png', body: brokenPng(600) },
  '/moved-target.png': { use: 'redirect target (undecodable)', type: 'image/png', body: brokenPng(800) },
  '/clip.wav': { use: 'audio, 206 to a Range request', type: 'audio/wav', body: wav(), ranged: true },
  '/frame.html': {
    use: 'cross-site frame',
    type: 'text/html',
    host: OTHER_HOST,
    body: Buffer.from('<!doctype html><p>frame</p><img src="/frame-broken.png" alt="">'),
  },
  '/frame-broken.png': {
    use: 'undecodable image in a cross-site frame',
    type: 'image/png',
    host: OTHER_HOST,
    body: brokenPng(1_100),
  },
  '/sized-broken.png': {
    use: 'undecodable image with a Content-Length (control)',
    type: 'image/png',
    body: brokenPng(1_200),
    sized: true,
  },
};
/** The undecodable images (wherever they are used from) and the unused prefetch: the bodies the renderer drops. */
const DROPPED_BY_RENDERER = [
  '/broken.png',
  '/hidden-broken.png',
  '/zipped-broken.png',
  '/prefetch.js',
  '/preload.png',
  '/moved-target.png',
  '/frame-broken.png',
];

const page = (port: number) =>
  articlePage(ORIGINAL, 1)
    .replace(
      '</head>',
      `<link rel="stylesheet" href="/style.css"><link rel="stylesheet" href="/zipped.css">
<script src="/app.js"></script><link rel="prefetch" href="/prefetch.js"><link rel="preload" as="image" href="/preload.png">
<style>@font-face{font-family:Fixture;src:url(/font.woff2) format("woff2")} body{font-family:Fixture,serif}
.bg{background:url(/bg.png);width:6px;height:6px}</style></head>`,
    )
    .replace(
      '</body>',
      `<div class="bg"></div><img src="/hero.png" alt=""><img src="/broken.png" alt=""><img src="/icon.svg" alt="">
<img src="/zipped-broken.png" alt=""><img src="/moved.png" alt=""><img src="/sized-broken.png" alt="">
<div style="display:none"><img src="/hidden.png" alt=""><img src="/hidden-broken.png" alt=""></div>
<iframe src="http://${OTHER_HOST}:${port}/frame.html"></iframe><audio src="/clip.wav" preload="auto"></audio>
<script>
const xhr = new XMLHttpRequest(); xhr.open('GET', '/xhr.json'); xhr.send();
fetch('/fetch.json').then((r) => r.text()).then((t) => { document.body.dataset.fetched = t; });
fetch('/unread.json');
</script></body>`,
    );

/** Headers, half the body, a pause, the rest: chunked, as a streaming server sends it. */
function serve(served: Served, req: IncomingMessage, res: ServerResponse): void {
  const wire = served.gzip ? gzipSync(served.body) : served.body;
  const headers: Record<string, string | number> = { 'content-type': served.type };
  if (served.gzip) headers['content-encoding'] = 'gzip';
  let status = 200;
  let part = wire;
  const range = served.ranged ? /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '') : null;
  if (range) {
    const start = Number(range[1]);
    const end = range[2] ? Math.min(Number(range[2]), wire.byteLength - 1) : wire.byteLength - 1;
    status = 206;
    part = wire.subarray(start, end + 1);
    headers['content-range'] = `bytes ${start}-${end}/${wire.byteLength}`;
    headers['accept-ranges'] = 'bytes';
  }
  if (served.sized) headers['content-length'] = part.byteLength;
  res.writeHead(status, headers);
  const half = part.byteLength >> 1;
  res.write(part.subarray(0, half));
  setTimeout(() => res.end(part.subarray(half)), 5).unref();
}

let server: FixtureServer;
let origin: string;
const policy = { allowPrivateNetwork: true };
const renderers: ChromiumRenderer[] = [];

/** One capture of `path` (a watch of its own, fresh stores) by a renderer with `options`. */
async function capture(path: string, options: { keepResponseBodies?: boolean } = {}) {
  const renderer = new ChromiumRenderer({ policy, resolver, userAgent: 'Redline-test', ...options });
  renderers.push(renderer);
  const stores = memoryStores(new MemoryCatalog());
  const deps: CaptureDeps = {
    ...stores,
    fetcher: new UndiciFetcher({ policy, resolver, userAgent: 'Redline-test' }),
    renderer,
    clock: { now: () => new Date() },
    logger: silentLogger,
  };
  const { watch } = await addWatch(deps, {
    url: `${origin}${path}`,
    cadenceSeconds: 3600,
    mode: 'auto',
    tags: [],
  });
  const before = [...server.requests];
  const started = performance.now();
  const result = await captureWatch(deps, watch);
  const ms = Math.round(performance.now() - started);
  const { artifacts } = result.capture;
  expect(artifacts.warc, JSON.stringify(result.capture)).toBeDefined();
  const records = await readWarc(stores.blobs.blobs.get(artifacts.warc!.digest)!);
  const provenance = JSON.parse(
    Buffer.from(stores.blobs.blobs.get(artifacts.provenance!.digest)!).toString(),
  );
  const requests = server.requests.slice(before.length);
  return { records, provenance, requests, ms };
}

const urlOf = (path: string) => {
  const host = SERVED[path]?.host ?? HOST;
  return origin.replace(HOST, host) + path;
};
const responseFor = (records: ParsedRecord[], path: string) =>
  records.filter((r) => r.type === 'response' && r.url === urlOf(path));

beforeAll(async () => {
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/story': (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(server.port)),
    '/story-unkept': (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(server.port)),
    '/moved.png': (_req, res) => res.writeHead(302, { location: '/moved-target.png' }).end(),
  };
  for (const [path, served] of Object.entries(SERVED)) routes[path] = (req, res) => serve(served, req, res);
  server = await startFixtureServer(routes);
  origin = `http://${HOST}:${server.port}`;
});
afterAll(async () => {
  for (const renderer of renderers) await renderer.close();
  await server.close();
});

describe('sub-resource bodies served chunked', () => {
  let run: Awaited<ReturnType<typeof capture>>;
  beforeAll(async () => {
    run = await capture('/story');
  });

  it('records every body as the browser received it, whatever the page did with it', () => {
    const wrong: string[] = [];
    for (const [path, served] of Object.entries(SERVED)) {
      const responses = responseFor(run.records, path);
      const response = responses[0];
      if (!response) {
        wrong.push(`${path} (${served.use}): no response record`);
        continue;
      }
      // Media may come in more than one range; each is a slice of the file.
      const expected = served.ranged ? served.body.subarray(0, response.payload.byteLength) : served.body;
      if (!response.payload.equals(expected) || response.payload.byteLength === 0)
        wrong.push(
          `${path} (${served.use}): ${response.payload.byteLength} bytes, served ${served.body.byteLength}`,
        );
      if (response.warc.get('WARC-Truncated') || response.warc.get(BODY_UNAVAILABLE_FIELD))
        wrong.push(`${path} (${served.use}): marked ${response.warc.get('WARC-Truncated')}`);
    }
    expect(wrong).toEqual([]);
  });

  it('stores encoded bodies decoded, without the Content-Encoding that described other bytes', () => {
    for (const path of ['/zipped.css', '/zipped-broken.png']) {
      const [response] = responseFor(run.records, path);
      expect(response?.http?.get('content-encoding'), path).toBeFalsy();
      expect(response?.http?.get('content-length'), path).toBe(String(SERVED[path]!.body.byteLength));
    }
  });

  it('records a 206 with its status, and a redirect as its own exchange ahead of the target', () => {
    const [clip] = responseFor(run.records, '/clip.wav');
    expect(clip?.statusline).toMatch(/^HTTP\/1\.1 206/);
    const moved = run.records.find((r) => r.type === 'response' && r.url === `${origin}/moved.png`);
    expect(moved?.statusline).toMatch(/^HTTP\/1\.1 302/);
    expect(moved?.http?.get('location')).toBe('/moved-target.png');
  });

  it('reads each body from the browser, never by fetching the URL again', () => {
    const counts = new Map<string, number>();
    for (const url of run.requests) counts.set(url, (counts.get(url) ?? 0) + 1);
    for (const [path, served] of Object.entries(SERVED))
      if (!served.ranged) expect(counts.get(path) ?? 0, `${path} (${served.use})`).toBe(1);
    expect(run.provenance.subresources).toMatchObject({ truncated: 0, dropped: 0, unavailable: 0 });
    console.info(`capture with ${Object.keys(SERVED).length} chunked sub-resources: ${run.ms} ms`);
  });
});

describe('a body the browser no longer holds', () => {
  it('is recorded as unavailable, never as an empty payload passed off as the response', async () => {
    // Without the browser-side copy (as in a Chromium that lacks it), the renderer's dropped bodies are gone.
    const run = await capture('/story-unkept', { keepResponseBodies: false });
    for (const path of DROPPED_BY_RENDERER) {
      const [response] = responseFor(run.records, path);
      expect(response, path).toBeDefined();
      const served = SERVED[path]!;
      if (response!.payload.byteLength > 0) {
        // Chromium kept this one after all: then it must be the served body, whole.
        expect(response!.payload.equals(served.body), path).toBe(true);
        continue;
      }
      expect(response!.warc.get('WARC-Truncated'), path).toBe('unspecified');
      expect(response!.warc.get(BODY_UNAVAILABLE_FIELD), path).toMatch(/no longer held/);
    }
    const unavailable = DROPPED_BY_RENDERER.filter(
      (path) => responseFor(run.records, path)[0]?.payload.byteLength === 0,
    );
    // The cause this test exists for: without the copy, Chromium does drop these.
    console.info(`without the browser-side copy, unavailable: ${unavailable.join(', ')}`);
    expect(unavailable.length).toBeGreaterThanOrEqual(3);
    expect(run.provenance.subresources.unavailable).toBe(unavailable.length);
    // Bodies the renderer keeps are still recorded whole.
    expect(responseFor(run.records, '/style.css')[0]?.payload.equals(SERVED['/style.css']!.body)).toBe(true);
  });
});

describe('in the single-process model (Lambda)', () => {
  it('keeps the bodies the renderer drops there too', async () => {
    const renderer = new ChromiumRenderer({
      policy,
      resolver,
      userAgent: 'Redline-test',
      processModel: 'single',
      screenshot: false,
    });
    renderers.push(renderer);
    const rendered = await renderer.render(`${origin}/story`);
    for (const path of DROPPED_BY_RENDERER) {
      const exchange = rendered.exchanges?.find((e) => e.url === urlOf(path));
      expect(exchange, path).toBeDefined();
      expect(exchange!.truncated, path).toBeUndefined();
      expect(Buffer.from(exchange!.wireBody).equals(SERVED[path]!.body), path).toBe(true);
    }
  });
});
