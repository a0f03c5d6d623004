import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePage, ORIGINAL } from '../../demo/news-site.js';
import { ChromiumRenderer } from '../../functions/adapters/chromium/chromium-renderer.js';
import { UndiciFetcher } from '../../functions/adapters/net/undici-fetcher.js';
import { type CaptureDeps, captureWatch } from '../../functions/core/capture/capture.js';
import { silentLogger } from '../../functions/core/domain/ports.js';
import { addWatch } from '../../functions/core/watches/watches.js';
import { type FixtureServer, startFixtureServer } from '../support/fixture-server.js';
import { type MemoryBlobStore, MemoryCatalog, memoryStores } from '../support/memory.js';
import { simplePdf } from '../support/simple-pdf.js';

/**
 * Hostile servers on 127.0.0.1, captured through the real fetcher and the real browser with tight
 * budgets. Each capture must end within its budget as failed or partial with a clear reason (or, for
 * a lie the pipeline sees through, as what the bytes really are), the process must survive, and
 * nothing already stored may change.
 */
let server: FixtureServer;
let deps: CaptureDeps & { blobs: MemoryBlobStore };
let catalog: MemoryCatalog;
const open: ServerResponse[] = [];

const endless = (res: ServerResponse) => {
  open.push(res);
  res.writeHead(200, { 'content-type': 'text/html' });
  const timer = setInterval(() => {
    if (res.destroyed) clearInterval(timer);
    else res.write(Buffer.alloc(64 * 1024, 'a'));
  }, 5);
  res.on('close', () => clearInterval(timer));
};

beforeAll(async () => {
  server = await startFixtureServer({
    '/good': (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(articlePage(ORIGINAL, 1)),
    '/gzip-bomb': (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' })
        .end(gzipSync(Buffer.alloc(64 * 1024 * 1024))),
    '/stacked': (_req, res) => {
      let body: Buffer = Buffer.from(articlePage(ORIGINAL, 1));
      for (let i = 0; i < 6; i++) body = gzipSync(body);
      res
        .writeHead(200, {
          'content-type': 'text/html',
          'content-encoding': 'gzip, gzip, gzip, gzip, gzip, gzip',
        })
        .end(body);
    },
    '/endless': (_req, res) => endless(res),
    '/slowloris': (req) => {
      // Accept the request, then drip nothing: the headers never come.
      req.socket.write('HTTP/1.1 200 OK\r\n');
      open.push(req.socket as unknown as ServerResponse);
    },
    '/loop': (_req, res) => res.writeHead(302, { location: '/loop' }).end(),
    '/huge': (_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(100 * 1024 * 1024),
      });
      const chunk = Buffer.alloc(1024 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < 100 && !res.destroyed) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    },
    '/lying': (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(simplePdf([['A report served as HTML.']])),
    '/bad-charset': (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/html; charset=x-no-such-charset' })
        .end(Buffer.concat([Buffer.from(articlePage(ORIGINAL, 1)), Buffer.from([0xff, 0xfe, 0xc3, 0x28])])),
    '/malformed.pdf': (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'application/pdf' })
        .end(Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog')),
    '/encrypted.pdf': (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'application/pdf' })
        .end(simplePdf([['Secret.']], 'R', { encrypted: true })),
    '/never-loads': (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(`${articlePage(ORIGINAL, 1).replace('</body>', '<img src="/hang.png"></body>')}`),
    '/hang.png': (_req, res) => void open.push(res),
    '/to-file': (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(
          articlePage(ORIGINAL, 1).replace(
            '</body>',
            "<script>location.href = 'file:///etc/passwd'</script></body>",
          ),
        ),
    '/to-metadata': (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(
          articlePage(ORIGINAL, 1).replace(
            '</body>',
            "<script>addEventListener('load', () => { location.href = 'http://169.254.169.254/latest/meta-data/' })</script></body>",
          ),
        ),
  });
  catalog = new MemoryCatalog();
  const policy = { allowPrivateNetwork: true }; // the fixture server is on 127.0.0.1; metadata stays refused
  deps = {
    ...memoryStores(catalog),
    fetcher: new UndiciFetcher({
      policy,
      userAgent: 'Redline-test',
      headersTimeoutMs: 1500,
      bodyTimeoutMs: 1500,
      maxBodyBytes: 8 * 1024 * 1024,
      maxDecodedBytes: 16 * 1024 * 1024,
    }),
    renderer: new ChromiumRenderer({
      policy,
      userAgent: 'Redline-test',
      ...RENDER_BUDGETS,
    }),
    clock: { now: () => new Date() },
    logger: silentLogger,
  };
});
afterAll(async () => {
  for (const res of open) res.destroy();
  await deps.renderer.close();
  await server.close();
});

/** Every browser step's budget, so a page that never finishes loading ends on the budgets set here. */
const RENDER_BUDGETS = {
  navigateTimeoutMs: 2000,
  settleTimeoutMs: 1000,
  scrollTimeoutMs: 1000,
  pdfTimeoutMs: 2000,
  screenshotTimeoutMs: 2000,
};
/** The most the budgets allow (fetch + every browser step), tripled: a loaded machine is slow, never this slow. */
const BUDGET_BOUND_MS = 3 * (1500 + 1500 + Object.values(RENDER_BUDGETS).reduce((sum, ms) => sum + ms, 0));

async function capture(path: string) {
  const { watch } = await addWatch(deps, {
    url: `${server.url}${path}`,
    cadenceSeconds: 3600,
    mode: 'auto',
    tags: [],
  });
  const start = performance.now();
  const result = await captureWatch(deps, watch);
  return { ...result, ms: performance.now() - start };
}

describe('hostile servers', () => {
  let stored: Map<string, Uint8Array>;
  beforeAll(async () => {
    await capture('/good');
    stored = new Map([...deps.blobs.blobs].map(([k, v]) => [k, Buffer.from(v)]));
  });

  it.each([
    ['/gzip-bomb', 'failed', /decodes to more than/],
    ['/stacked', 'failed', /6 stacked content encodings/],
    ['/endless', 'failed', /exceeds .* bytes|timeout/i],
    ['/slowloris', 'failed', /headers timeout|timeout/i],
    ['/loop', 'failed', /more than 10 redirects/],
    ['/huge', 'failed', /exceeds 8388608 bytes/],
    ['/malformed.pdf', 'partial', /extract: .*(Invalid|PDF)/],
    ['/encrypted.pdf', 'partial', /extract: PdfError: the PDF cannot be read \(PasswordException: /],
    ['/never-loads', 'partial', /navigate: .*(Timeout|longer than)/i],
    ['/to-file', 'partial', /hold: page tried to navigate to file:\/\/\/etc\/passwd/],
    ['/to-metadata', 'partial', /hold: page tried to navigate to http:\/\/169\.254\.169\.254/],
  ])('%s ends %s with a clear reason, within its budget', async (path, status, reason) => {
    const { capture: record, ms } = await capture(path);
    expect(record.status).toBe(status);
    expect(record.reason).toMatch(reason);
    expect(ms).toBeLessThan(BUDGET_BOUND_MS);
  });

  it('sees through a PDF served as text/html and a broken charset', async () => {
    const lying = await capture('/lying');
    expect(lying.capture.artifacts.raw?.contentType).toMatch(/text\/html/);
    expect(lying.capture.artifacts.rendered).toBeUndefined(); // a PDF is not rendered as a page
    expect(lying.capture.verdict).toBe('first');
    const charset = await capture('/bad-charset');
    expect(charset.capture).toMatchObject({ status: 'complete', verdict: 'first' });
  });

  it('leaves every stored blob untouched and still captures a good page afterwards', async () => {
    for (const [digest, bytes] of stored) expect(Buffer.from(deps.blobs.blobs.get(digest)!)).toEqual(bytes);
    const again = await capture('/good');
    expect(again.capture).toMatchObject({ status: 'complete', verdict: 'unchanged' });
  });
});
