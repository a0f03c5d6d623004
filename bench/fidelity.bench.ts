/**
 * Capture fidelity costs, on the same local page (the demo article), interleaved rounds, medians:
 *
 *   npm run bench:fidelity            # 40 rounds
 *
 * Ratios are the median of per-round ratios (each round runs both sides back to back, so a slow moment
 * of the machine slows both), with the interquartile range beside them.
 *
 * 1. HTTP: Redline's guarded fetcher (resolve-check-connect on every hop, redirects by hand, size caps,
 *    decoding, exchanges kept for WARC) vs a bare undici request.
 * 2. Browser, same work: Redline's renderer (fresh context, guard proxy, served document, scroll,
 *    network quiet, HTML, PDF) vs bare Playwright (fresh context, goto, content, pdf).
 * 3. The whole capture, for scale: full pipeline with screenshot, extraction, WARC and storage.
 * 4. The 304 path: browser launches and new blobs when the server says "not modified" (must be 0).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { articlePage, ORIGINAL } from '../demo/news-site.js';
import { ChromiumRenderer } from '../functions/adapters/chromium/chromium-renderer.js';
import { UndiciFetcher } from '../functions/adapters/net/undici-fetcher.js';
import { captureUrl } from '../functions/core/capture/capture.js';
import { localConfig } from '../functions/local/config.js';
import { openLocal } from '../functions/local/runtime.js';
import { startFixtureServer } from '../test/support/fixture-server.js';
import { barePlaywright } from './lib/bare-playwright.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const rounds = Number(process.argv[2] ?? 40);
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * q)]!;
const median = (xs: number[]) => quantile(xs, 0.5);
const ratios = (a: number[], b: number[]) => a.map((x, i) => x / b[i]!);
const ratioLine = (rs: number[]) =>
  `  ratio: ${median(rs).toFixed(2)}x (interquartile ${quantile(rs, 0.25).toFixed(2)}–${quantile(rs, 0.75).toFixed(2)}x)\n`;
async function time(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

const html = articlePage(ORIGINAL, 1);
let etagHits = 0;
const server = await startFixtureServer({
  '/story': (req, res) => {
    if (req.headers['if-none-match'] === '"v1"') {
      etagHits++;
      res.writeHead(304, { etag: '"v1"' }).end();
    } else res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', etag: '"v1"' }).end(html);
  },
});
const url = `${server.url}/story`;
const policy = { allowPrivateNetwork: true };

// 1. HTTP
const fetcher = new UndiciFetcher({ policy, userAgent: 'Redline-bench' });
const agent = new Agent({ connections: 2 });
const bareHttp = async () => {
  const response = await request(url, { dispatcher: agent });
  await response.body.arrayBuffer();
};
const redlineHttp = () => fetcher.fetch(url);

// 2. Browser, same work
const playwright = await barePlaywright(url);
const bareBrowser = () => playwright.capture();
const renderer = new ChromiumRenderer({ policy, userAgent: 'Redline-bench', screenshot: false });
const document = await fetcher.fetch(url);
const redlineRender = () => renderer.render(url, document);

const series: Record<string, number[]> = {
  bareHttp: [],
  redlineHttp: [],
  barePlaywright: [],
  redlineRender: [],
};
for (const [name, work] of [
  ['bareHttp', bareHttp],
  ['redlineHttp', redlineHttp],
  ['barePlaywright', bareBrowser],
  ['redlineRender', redlineRender],
] as const) {
  await work(); // warm-up
  void name;
}
for (let i = 0; i < rounds; i++) {
  series.bareHttp!.push(await time(bareHttp));
  series.redlineHttp!.push(await time(redlineHttp));
  series.barePlaywright!.push(await time(bareBrowser));
  series.redlineRender!.push(await time(redlineRender));
}

// 3 and 4: the whole pipeline, then the 304 path.
const dataDir = await mkdtemp(join(tmpdir(), 'redline-fidelity-'));
const runtime = await openLocal(
  localConfig({ REDLINE_ALLOW_PRIVATE_NETWORK: '1', REDLINE_MIN_HOST_DELAY_MS: '0' }, { dataDir }),
);
await captureUrl(runtime, url); // first version (renders, stores, records the ETag)
const blobCount = async () => (await readdir(join(dataDir, 'blobs', 'sha256'), { recursive: true })).length;
let launches = 0;
const originalRender = runtime.renderer.render.bind(runtime.renderer);
runtime.renderer.render = (...args) => {
  launches++;
  return originalRender(...args);
};
const blobsBefore = await blobCount();
const notModified: number[] = [];
for (let i = 0; i < 5; i++) notModified.push(await time(() => captureUrl(runtime, url)));
const newBlobs = (await blobCount()) - blobsBefore;
const hits = etagHits;

await runtime.close();
await rm(dataDir, { recursive: true, force: true });
await renderer.close();
await playwright.close();
await agent.close();
await fetcher.close();
await server.close();

const row = (name: string, ms: number) => `  ${name.padEnd(58)} ${ms.toFixed(2).padStart(8)} ms`;
console.log(`Capture fidelity costs on one local article page, ${rounds} interleaved rounds, medians:\n`);
console.log(row('bare undici request', median(series.bareHttp!)));
console.log(row('Redline HTTP fetch (guard, caps, decoding, WARC exchanges)', median(series.redlineHttp!)));
console.log(ratioLine(ratios(series.redlineHttp!, series.bareHttp!)));
console.log(row('bare Playwright (new context, goto, content, pdf)', median(series.barePlaywright!)));
console.log(
  row('Redline browser step, same work (guard proxy, scroll, quiet)', median(series.redlineRender!)),
);
console.log(ratioLine(ratios(series.redlineRender!, series.barePlaywright!)));
console.log(
  `304 path: ${hits} conditional requests answered 304; browser launches ${launches}, new blobs ${newBlobs}; median ${median(notModified).toFixed(1)} ms per capture`,
);
