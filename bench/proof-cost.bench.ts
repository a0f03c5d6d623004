/**
 * What proof costs a capture: the same article page (a stylesheet, a script, a font and three images)
 * captured through Redline's full pipeline, local mode, in four combinations — sub-resources recorded in
 * the WARC or not (CaptureOptions.warc.subresources), and each new version's manifest timestamped by an
 * RFC 3161 authority or not (the test TSA from test/support on 127.0.0.1, `openssl ts -reply`). Every
 * capture makes a new version (the text changes each round), so every capture of a timestamped
 * combination asks the TSA. Then the WARC bytes of a second capture with and without revisit records.
 *
 *   npm run bench:proof          # 8 rounds of each combination
 *   npm run bench:proof -- 20    # more rounds
 *
 * The confirming re-capture of an edit is off in every combination (it would double each capture alike).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { articlePage, ORIGINAL } from '../demo/news-site.js';
import { HttpTimestampAuthority } from '../functions/adapters/tsa/http-tsa.js';
import { type CaptureDeps, captureUrl } from '../functions/core/capture/capture.js';
import type { CaptureOptionsInput } from '../functions/core/domain/options.js';
import { parsePemCertificates } from '../functions/core/proof/timestamp.js';
import { localConfig } from '../functions/local/config.js';
import { openLocal } from '../functions/local/runtime.js';
import { startFixtureServer } from '../test/support/fixture-server.js';
import { startTestTsa } from '../test/support/test-tsa.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const rounds = Number(process.argv[2] ?? 8);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const ASSETS: Record<string, { type: string; body: Buffer }> = {
  '/site.css': {
    type: 'text/css',
    body: Buffer.from(
      `@font-face{font-family:Fixture;src:url(/font.woff2) format("woff2")}\n${'.c{color:#123;margin:1px}\n'.repeat(800)}`,
    ),
  },
  '/app.js': { type: 'text/javascript', body: Buffer.from(`/* app */\n${'var x=1;\n'.repeat(6000)}`) },
  '/font.woff2': { type: 'font/woff2', body: Buffer.concat([Buffer.from('wOF2'), randomBytes(30_000)]) },
  '/a.png': {
    type: 'image/png',
    body: Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(100_000)]),
  },
  '/b.png': {
    type: 'image/png',
    body: Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(100_000)]),
  },
  '/c.png': {
    type: 'image/png',
    body: Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(100_000)]),
  },
};
const assetBytes = Object.values(ASSETS).reduce((sum, asset) => sum + asset.body.byteLength, 0);

/** Each request for a story gets new text: every capture is a new version. */
let served = 0;
const story = (_req: IncomingMessage, res: ServerResponse) => {
  served++;
  const state = {
    ...ORIGINAL,
    paragraphs: [
      ...ORIGINAL.paragraphs,
      `Update ${served}: the council met again and voted ${served} times.`,
    ],
  };
  const html = articlePage(state, served)
    .replace(
      '</head>',
      '<link rel="stylesheet" href="/site.css"><script src="/app.js" defer></script></head>',
    )
    .replace(
      '</body>',
      '<img src="/a.png" width="40" height="40" alt=""><img src="/b.png" width="40" height="40" alt=""><img src="/c.png" width="40" height="40" alt=""></body>',
    );
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
};

const combinations = [
  { name: 'page only, no timestamps (baseline)', subresources: false, stamp: false },
  { name: 'full WARC, no timestamps', subresources: true, stamp: false },
  { name: 'page only, timestamped', subresources: false, stamp: true },
  { name: 'full WARC, timestamped', subresources: true, stamp: true },
] as const;

const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {};
for (const [path, { type, body }] of Object.entries(ASSETS))
  routes[path] = (_req, res) =>
    res.writeHead(200, { 'content-type': type, 'content-length': body.byteLength }).end(body);
for (const i of [...combinations.keys(), 'revisits', 'no-revisits']) routes[`/story-${i}`] = story;
const site = await startFixtureServer(routes);
const tsa = await startTestTsa();
const dataDir = await mkdtemp(join(tmpdir(), 'redline-bench-proof-'));
const runtime = await openLocal(
  localConfig({ REDLINE_ALLOW_PRIVATE_NETWORK: '1', REDLINE_MIN_HOST_DELAY_MS: '0' }, { dataDir }),
);
const authority = new HttpTimestampAuthority({
  url: tsa.url,
  roots: parsePemCertificates(tsa.rootPem),
  timeoutMs: 15_000,
});

function depsFor(options: CaptureOptionsInput, stamp: boolean): CaptureDeps {
  const { timestamps: _none, ...rest } = runtime;
  return {
    ...rest,
    options: { ...runtime.options, ...options, detect: { confirmEdits: false } },
    ...(stamp ? { timestamps: [authority] } : {}),
  };
}

async function timed(deps: CaptureDeps, url: string) {
  const start = performance.now();
  const result = await captureUrl(deps, url);
  const ms = performance.now() - start;
  if (result.capture.status !== 'complete' || !result.version)
    throw new Error(
      `bench capture of ${url} was ${result.capture.status}: ${result.capture.reason ?? 'no version'}`,
    );
  return { ms, result };
}

const depsOf = combinations.map((c) => depsFor({ warc: { subresources: c.subresources } }, c.stamp));
const times: number[][] = combinations.map(() => []);
const stamped = combinations.map(() => 0);
// Warm-up: launches the browser, creates the table, makes each watch's first version.
for (const [i] of combinations.entries()) await timed(depsOf[i]!, `${site.url}/story-${i}`);
for (let round = 0; round < rounds; round++) {
  // Interleaved, so drift (page cache, CPU frequency, the other processes on the machine) hits all alike.
  for (const [i] of combinations.entries()) {
    const { ms, result } = await timed(depsOf[i]!, `${site.url}/story-${i}`);
    times[i]!.push(ms);
    stamped[i]! += result.version?.timestamps?.length ?? 0;
  }
}

// WARC bytes of a second capture, with and without revisit records (sub-resources recorded in both).
const warcBytes: Record<string, number> = {};
for (const [key, revisits] of [
  ['revisits', true],
  ['no-revisits', false],
] as const) {
  const deps = depsFor({ warc: { subresources: true, revisits } }, false);
  await timed(deps, `${site.url}/story-${key}`);
  const { result } = await timed(deps, `${site.url}/story-${key}`);
  warcBytes[key] = result.capture.artifacts.warc!.size;
}

await runtime.close();
await tsa.close();
await site.close();
await rm(dataDir, { recursive: true, force: true });

const base = median(times[0]!);
console.log(
  `capture of one article page with ${Object.keys(ASSETS).length} sub-resources (${(assetBytes / 1024).toFixed(0)} KB), ` +
    `a new version each time, ${rounds} rounds each, local mode`,
);
console.log(
  `${''.padEnd(38)} ${'median ms'.padStart(10)} ${'vs baseline'.padStart(12)} ${'tokens'.padStart(7)}`,
);
for (const [i, combination] of combinations.entries()) {
  const m = median(times[i]!);
  console.log(
    `${combination.name.padEnd(38)} ${m.toFixed(1).padStart(10)} ${`${(m / base).toFixed(2)}x`.padStart(12)} ${String(stamped[i]).padStart(7)}`,
  );
}
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
console.log(
  `WARC of a second capture: ${kb(warcBytes['no-revisits']!)} without revisits, ${kb(warcBytes.revisits!)} with ` +
    `(${(warcBytes.revisits! / warcBytes['no-revisits']!).toFixed(2)}x)`,
);
