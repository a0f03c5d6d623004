/**
 * The viewer's first load in the same Chromium the tests use: time from navigation to the watch list
 * rendered (its rows in the DOM), and the bytes transferred (CDP Network.loadingFinished encodedDataLength:
 * headers and bodies as sent on the wire), over the real local server and a data dir made by the pipeline.
 * Each run is a fresh browser context (empty cache).
 *
 *   npx tsx bench/viewer.bench.ts        # 5 runs
 *   npx tsx bench/viewer.bench.ts 10     # more
 */
import { startApiArchive } from '../test/support/api-archive.js';
import { launchViewerBrowser } from '../test/support/viewer-browser.js';

const runs = Math.min(Math.max(Number(process.argv[2] ?? 5) || 5, 1), 100);
const archive = await startApiArchive();
const browser = await launchViewerBrowser();
const app = archive.servers.urls.app;
const results: { ms: number; bytes: number; requests: number }[] = [];
try {
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    let bytes = 0;
    let requests = 0;
    cdp.on('Network.loadingFinished', (event) => {
      bytes += event.encodedDataLength;
      requests++;
    });
    const start = performance.now();
    await page.goto(`${app}/`);
    await page.waitForSelector('table.watches tbody tr', { timeout: 60_000 });
    const ms = performance.now() - start;
    // Let the last responses' loadingFinished events arrive before reading the count.
    await page.waitForLoadState('networkidle');
    results.push({ ms, bytes, requests });
    await context.close();
  }
} finally {
  await browser.close();
  await archive.close();
}
const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const median = (values: number[]) => sorted(values)[Math.floor(values.length / 2)]!;
console.table(
  results.map((r, i) => ({ run: i + 1, ms: Math.round(r.ms), bytes: r.bytes, requests: r.requests })),
);
console.log(
  `viewer first load: median ${Math.round(median(results.map((r) => r.ms)))} ms to the watch list rendered, ` +
    `${median(results.map((r) => r.bytes))} bytes transferred in ${median(results.map((r) => r.requests))} requests (${runs} runs)`,
);
