import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChromiumRenderer } from '../../functions/adapters/chromium/chromium-renderer.js';
import { UndiciFetcher } from '../../functions/adapters/net/undici-fetcher.js';
import { type FixtureServer, startFixtureServer } from '../support/fixture-server.js';

let server: FixtureServer;
let renderer: ChromiumRenderer;
let guarded: ChromiumRenderer;
const hanging: ServerResponse[] = [];

const article = (extra = '') => `<!doctype html><html><head><title>Fixture story</title></head><body>
<h1>Fixture story</h1><p id="static">Static paragraph.</p><div id="late"></div>
<script>document.getElementById('late').textContent = 'Paragraph added by JavaScript.';</script>
${extra}</body></html>`;

beforeAll(async () => {
  server = await startFixtureServer({
    '/story': (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(article()),
    '/pixel.png': (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(10)),
    '/data.json': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
    '/never-loads': (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end(article('<img src="/hang.png">')),
    '/hang.png': (_req, res) => void hanging.push(res),
  });
  renderer = new ChromiumRenderer({ policy: { allowPrivateNetwork: true }, userAgent: 'Redline-test' });
  // A closed policy with a fake resolver: every name resolves to loopback, which the policy denies.
  guarded = new ChromiumRenderer({
    policy: { allowPrivateNetwork: false },
    userAgent: 'Redline-test',
    resolver: async () => ['127.0.0.1'],
  });
});
afterAll(async () => {
  for (const res of hanging) res.destroy();
  await renderer.close();
  await guarded.close();
  await server.close();
});

describe('ChromiumRenderer (real @sparticuz/chromium)', () => {
  it('renders capture after capture in the single-process model, a browser for each', async () => {
    const single = new ChromiumRenderer({
      policy: { allowPrivateNetwork: true },
      userAgent: 'Redline-test',
      processModel: 'single',
      screenshot: false,
    });
    try {
      for (let i = 0; i < 2; i++) {
        const rendered = await single.render(`${server.url}/story`);
        expect(rendered.html).toContain('Paragraph added by JavaScript.');
        expect(Buffer.from(rendered.pdf!).subarray(0, 5).toString()).toBe('%PDF-');
      }
    } finally {
      await single.close();
    }
  });

  it('renders HTML after JavaScript, a PDF and a PNG screenshot', async () => {
    const rendered = await renderer.render(`${server.url}/story`);
    expect(rendered.html).toContain('Paragraph added by JavaScript.');
    expect(Buffer.from(rendered.pdf!).subarray(0, 5).toString()).toBe('%PDF-');
    expect(Buffer.from(rendered.screenshot!).subarray(1, 4).toString()).toBe('PNG');
    expect(rendered.steps.map((s) => [s.name, s.status])).toEqual([
      ['navigate', 'ok'],
      ['scroll', 'ok'],
      ['settle', 'ok'],
      ['html', 'ok'],
      ['pdf', 'ok'],
      ['screenshot', 'ok'],
    ]);
  });

  it('still takes the screenshot of a page whose load never ends, within the budgets', async () => {
    const patient = new ChromiumRenderer({
      policy: { allowPrivateNetwork: true },
      userAgent: 'Redline-test',
      navigateTimeoutMs: 2_000,
      settleTimeoutMs: 1_000,
    });
    try {
      const rendered = await patient.render(`${server.url}/never-loads`);
      expect(rendered.steps.find((s) => s.name === 'navigate')?.status).toBe('failed');
      expect(rendered.html).toContain('Paragraph added by JavaScript.');
      // Playwright's screenshot waits for document.fonts.ready, pending while the document loads: without
      // stopping the load first, this step runs out its 20 s budget and fails.
      expect(rendered.steps.find((s) => s.name === 'screenshot')).toMatchObject({ status: 'ok' });
      expect(Buffer.from(rendered.screenshot!).subarray(1, 4).toString()).toBe('PNG');
    } finally {
      await patient.close();
    }
  });

  it('renders the fetched document instead of fetching it again', async () => {
    const fetched = await new UndiciFetcher({ policy: { allowPrivateNetwork: true }, userAgent: 'x' }).fetch(
      `${server.url}/story`,
    );
    const before = server.requests.filter((r) => r === '/story').length;
    const rendered = await renderer.render(`${server.url}/story`, fetched);
    expect(rendered.html).toContain('Static paragraph.');
    expect(server.requests.filter((r) => r === '/story').length).toBe(before);
  });

  it('sends every sub-resource request through the network guard: denied ones open no socket', async () => {
    const page = article(`
      <img src="${server.url}/pixel.png">
      <iframe src="http://intranet.test:${server.port}/pixel.png"></iframe>
      <script>fetch('http://127.0.0.1:${server.port}/data.json').catch(() => {});
        try { new WebSocket('ws://127.0.0.1:${server.port}/socket'); } catch {}</script>`);
    const document = {
      http: { status: 200, finalUrl: 'http://news.example/story', contentType: 'text/html', headers: {} },
      body: Buffer.from(page),
    };
    const before = server.connections;
    const rendered = await guarded.render('http://news.example/story', document);
    expect(rendered.html).toContain('Paragraph added by JavaScript.');
    expect(server.connections).toBe(before);
    const deniedHosts = guarded.denied.map((d) => d.host);
    expect(deniedHosts).toEqual(expect.arrayContaining(['127.0.0.1', 'intranet.test']));
  });
});
