/**
 * Captures the same local page through Redline's full pipeline and through bare Playwright
 * (goto + content + pdf), and prints the medians side by side with their ratio.
 *
 *   npm run bench:capture          # 15 rounds each
 *   npm run bench:capture -- 40    # more rounds
 *
 * The full pipeline does more than the bare baseline: HTTP fetch, a screenshot, extraction, hashing,
 * six blob writes and three DynamoDB writes. The ratio is the price of all of that.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ORIGINAL, startNewsSite } from '../demo/news-site.js';
import { captureUrl } from '../functions/core/capture/capture.js';
import { localConfig } from '../functions/local/config.js';
import { openLocal } from '../functions/local/runtime.js';
import { barePlaywright } from './lib/bare-playwright.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const rounds = Number(process.argv[2] ?? 15);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;

async function time(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

const site = await startNewsSite();
site.setRound(1, ORIGINAL);
const url = site.articleUrl;

const playwright = await barePlaywright(url);
const bare = () => playwright.capture();

const dataDir = await mkdtemp(join(tmpdir(), 'redline-bench-'));
const runtime = await openLocal(
  localConfig({ REDLINE_ALLOW_PRIVATE_NETWORK: '1', REDLINE_MIN_HOST_DELAY_MS: '0' }, { dataDir }),
);
const full = () => captureUrl(runtime, url);

await bare();
await full(); // warm-up: launches the browser, creates the table
const bareMs: number[] = [];
const fullMs: number[] = [];
for (let i = 0; i < rounds; i++) {
  // Interleave so drift (page cache, CPU frequency) hits both alike.
  bareMs.push(await time(bare));
  fullMs.push(await time(full));
}
await playwright.close();
await runtime.close();
await site.close();
await rm(dataDir, { recursive: true, force: true });

const row = (name: string, xs: number[]) =>
  `${name.padEnd(34)} ${median(xs).toFixed(1).padStart(8)} ${p90(xs).toFixed(1).padStart(8)}`;
console.log(
  `capture of one ${(ORIGINAL.paragraphs.join('').length / 1024).toFixed(1)} KB-text article page, ${rounds} rounds each`,
);
console.log(`${''.padEnd(34)} ${'median'.padStart(8)} ${'p90'.padStart(8)}  (ms)`);
console.log(row('bare Playwright (goto+content+pdf)', bareMs));
console.log(row('Redline full pipeline', fullMs));
console.log(`ratio full / bare (median): ${(median(fullMs) / median(bareMs)).toFixed(2)}x`);
