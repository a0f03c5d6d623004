/**
 * `redline run --once` over 20 ordinary and 5 hostile watches, with the compiled CLI and a data dir of
 * its own: does one pass capture every ordinary page, record every hostile one as failed or partial with
 * its reason, and end within the bound the capture budgets imply?
 *
 *   npm run bench:run
 *
 * Ordinary: 10 real news pages from the corpus (http mode), 9 variants of the demo article (auto mode:
 * the browser renders them), one text PDF report. Hostile, each on the fixture server on 127.0.0.1:
 * a body that drips a byte every 200 ms, a robots.txt that drips (its own host), a page whose image
 * never loads, a page whose script never returns (an infinite loop), and a 1 MB PDF that inflates to
 * 1 GiB. Budgets: DEFAULT_CAPTURE_OPTIONS, or REDLINE_CAPTURE_TIMEOUT_MS from the environment when the
 * CLI reads it (functions/local/config.ts).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type ArticleState, articlePage, ORIGINAL } from '../demo/news-site.js';
import type { CaptureRecord } from '../functions/core/domain/model.js';
import { DEFAULT_CAPTURE_OPTIONS } from '../functions/core/domain/options.js';
import { drip, startFixtureServer } from '../test/support/fixture-server.js';
import { inflateBombPdf, simplePdf } from '../test/support/simple-pdf.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'cli', 'redline.js');
const configSource = readFileSync(join(root, 'functions', 'local', 'config.ts'), 'utf8');
/** Whether this checkout's CLI reads a capture deadline from the environment. */
const cliReadsCaptureTimeout = configSource.includes('REDLINE_CAPTURE_TIMEOUT_MS');
const CAPTURE_TIMEOUT_MS = Number(process.env.REDLINE_CAPTURE_TIMEOUT_MS ?? 30_000);

const NEWS_PAGES = [
  'ars-1',
  'bbc-1',
  'cnn',
  'folha',
  'guardian-1',
  'lemonde-1',
  'nytimes-1',
  'theverge',
  'wapo-1',
  'wordpress',
];

/** The demo article, varied: headline, paragraph order and count, one paragraph of its own. */
function demoVariant(i: number): string {
  const paragraphs = [...ORIGINAL.paragraphs];
  for (let k = 0; k < i % paragraphs.length; k++) paragraphs.push(paragraphs.shift()!);
  const state: ArticleState = {
    ...ORIGINAL,
    headline: `${ORIGINAL.headline} (edition ${i + 1})`,
    paragraphs: [
      ...paragraphs.slice(0, 3 + (i % 4)),
      `Reporting for edition ${i + 1} was contributed by the metro desk, which spoke to ${12 + i * 3} residents.`,
    ],
  };
  return articlePage(state, i);
}

interface Hostile {
  path: string;
  mode: 'http' | 'auto';
  what: string;
  /** The budget that should end it (DEFAULT_CAPTURE_OPTIONS), for the report. */
  budget: string;
}

async function cliRun(args: string[], env: NodeJS.ProcessEnv) {
  const { stdout, stderr } = await run(process.execPath, [cli, ...args], {
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { stdout, stderr };
}

async function main() {
  console.log('building the CLI (npm run build) …');
  await run(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet'], { cwd: root });

  const hanging: ServerResponse[] = [];
  const bomb = await inflateBombPdf(2 ** 30);
  const report = simplePdf(
    [
      ['Annual report. The programme reached 12,400 households in its first year.', 'Costs fell by 8%.'],
      ['Method. We surveyed 400 households in six districts.', 'Findings follow on the next page.'],
      ['Findings. Two in three households reported fewer flooded basements.'],
    ],
    'Annual report',
  );
  const news = new Map(
    NEWS_PAGES.map((name) => [
      name,
      readFileSync(join(root, 'test', 'fixtures', 'corpus', 'news-pages', `${name}.html`)),
    ]),
  );
  const html = (body: string | Buffer) => (_req: IncomingMessage, res: ServerResponse) =>
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/report.pdf': (_req, res) => res.writeHead(200, { 'content-type': 'application/pdf' }).end(report),
    '/drip': (_req, res) => drip(res, 200),
    '/never-loads': html(articlePage(ORIGINAL, 1).replace('</body>', '<img src="/hang.png"></body>')),
    '/hang.png': (_req, res) => void hanging.push(res),
    '/js-loop': html(
      articlePage(ORIGINAL, 2).replace('</body>', '<script>for (;;) { Math.random(); }</script></body>'),
    ),
    '/bomb.pdf': (_req, res) => res.writeHead(200, { 'content-type': 'application/pdf' }).end(bomb),
  };
  for (const [name, body] of news) routes[`/news/${name}`] = html(body);
  for (let i = 0; i < 9; i++) routes[`/demo/${i}`] = html(demoVariant(i));
  const site = await startFixtureServer(routes);
  // robots.txt is per host (here: per port), so the dripping robots.txt gets a server of its own.
  const dripRobots = await startFixtureServer({
    '/robots.txt': (_req, res) => drip(res, 200, 'text/plain'),
    '/story': html(articlePage(ORIGINAL, 3)),
  });

  const ordinary: { url: string; mode: 'http' | 'auto' }[] = [
    ...NEWS_PAGES.map((name) => ({ url: `${site.url}/news/${name}`, mode: 'http' as const })),
    ...Array.from({ length: 9 }, (_, i) => ({ url: `${site.url}/demo/${i}`, mode: 'auto' as const })),
    { url: `${site.url}/report.pdf`, mode: 'auto' },
  ];
  const o = DEFAULT_CAPTURE_OPTIONS;
  const hostile: (Hostile & { url: string })[] = [
    {
      path: '/drip',
      mode: 'http',
      what: 'body drips 1 byte / 200 ms',
      budget: `fetch total ${o.fetch.totalTimeoutMs} ms`,
    },
    {
      path: '/story',
      mode: 'auto',
      what: 'robots.txt drips 1 byte / 200 ms',
      budget: `robots ${o.politeness.robotsTimeoutMs} ms`,
    },
    {
      path: '/never-loads',
      mode: 'auto',
      what: 'an image that never loads',
      budget: `navigate ${o.render.navigateTimeoutMs} ms`,
    },
    {
      path: '/js-loop',
      mode: 'auto',
      what: 'a script that never returns',
      budget: `render step ${o.time.steps.render} ms`,
    },
    {
      path: '/bomb.pdf',
      mode: 'auto',
      what: `PDF, ${(bomb.byteLength / 2 ** 20).toFixed(1)} MB inflating to 1 GiB`,
      budget: `pdf ${o.pdf.maxMemoryMb} MB / ${o.pdf.timeoutMs} ms`,
    },
  ].map(
    (h) =>
      ({ ...h, url: `${h.path === '/story' ? dripRobots.url : site.url}${h.path}` }) as Hostile & {
        url: string;
      },
  );

  const home = mkdtempSync(join(tmpdir(), 'redline-run-once-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR ?? tmpdir(),
    REDLINE_HOME: home,
    REDLINE_ALLOW_PRIVATE_NETWORK: '1',
    REDLINE_MIN_HOST_DELAY_MS: '0',
    ...(cliReadsCaptureTimeout ? { REDLINE_CAPTURE_TIMEOUT_MS: String(CAPTURE_TIMEOUT_MS) } : {}),
  };
  try {
    for (const watch of [...ordinary, ...hostile])
      await cliRun(['watch', 'add', watch.url, '--mode', watch.mode, '--every', '1h'], env);

    const concurrency = o.connections.runConcurrency;
    const captureMs = cliReadsCaptureTimeout ? CAPTURE_TIMEOUT_MS : o.time.captureMs;
    console.log(
      `${ordinary.length} ordinary + ${hostile.length} hostile watches; redline run --once (${concurrency} captures at a time, capture deadline ${captureMs} ms${cliReadsCaptureTimeout ? ' from REDLINE_CAPTURE_TIMEOUT_MS' : ': the CLI reads no REDLINE_CAPTURE_TIMEOUT_MS here, defaults apply'})`,
    );
    const started = Date.now();
    const runStart = performance.now();
    const { stdout } = await cliRun(['run', '--once'], env);
    const wallMs = performance.now() - runStart;
    console.log(stdout.trim().split('\n').at(-1));

    const records = new Map<string, CaptureRecord>();
    for (const watch of [...ordinary, ...hostile]) {
      const { stdout: json } = await cliRun(['captures', watch.url, '--json'], env);
      const list = JSON.parse(json) as CaptureRecord[];
      if (list.length !== 1) throw new Error(`${watch.url}: ${list.length} captures after one pass`);
      records.set(watch.url, list[0]!);
    }

    const problems: string[] = [];
    for (const watch of ordinary) {
      const r = records.get(watch.url)!;
      if (r.status !== 'complete' || r.verdict !== 'first')
        problems.push(`ordinary ${watch.url}: ${r.status} ${r.verdict ?? ''} ${r.reason ?? ''}`);
    }
    const seconds = (iso: string) => ((Date.parse(iso) - started) / 1000).toFixed(1).padStart(6);
    console.log(
      `\nordinary: ${ordinary.length - problems.length}/${ordinary.length} complete (verdict first)`,
    );
    console.log('\nhostile (times from the start of `run --once`):');
    console.log(`${'case'.padEnd(36)} ${'start s'.padStart(7)} ${'end s'.padStart(6)}  outcome`);
    for (const h of hostile) {
      const r = records.get(h.url)!;
      const ok = (r.status === 'failed' || r.status === 'partial') && (r.reason ?? '').length > 0;
      if (!ok) problems.push(`hostile ${h.path}: ${r.status} with reason ${JSON.stringify(r.reason)}`);
      const outcome = `${r.status}${r.verdict ? ` ${r.verdict}` : ''}${r.anomaly ? ` (${r.anomaly})` : ''}: ${r.reason ?? '(no reason)'}`;
      console.log(
        `${`${h.path} — ${h.what}`.padEnd(36).slice(0, 36)} ${seconds(r.startedAt)} ${seconds(r.capturedAt)}  ${outcome}`,
      );
      console.log(`${''.padEnd(36)} expected to end on: ${h.budget}`);
    }
    const all = [...ordinary, ...hostile].length;
    const bound = Math.ceil(all / concurrency) * captureMs;
    const hostileBound = Math.ceil(hostile.length / concurrency) * captureMs;
    console.log(`\ntotal wall time of run --once: ${(wallMs / 1000).toFixed(1)} s (process start to exit)`);
    console.log(
      `bound the budgets imply: each capture ends within its deadline (${captureMs} ms, record step included), ${concurrency} at a time:`,
    );
    console.log(
      `  the ${hostile.length} hostile alone ≤ ⌈${hostile.length}/${concurrency}⌉ × ${captureMs} ms = ${(hostileBound / 1000).toFixed(0)} s; all ${all} ≤ ⌈${all}/${concurrency}⌉ × ${captureMs} ms = ${(bound / 1000).toFixed(0)} s (plus the CLI's start and the browser's launch)`,
    );
    if (problems.length) {
      console.log(`\nPROBLEMS (${problems.length}):\n  ${problems.join('\n  ')}`);
      process.exitCode = 1;
    }
  } finally {
    for (const res of hanging) res.destroy();
    await site.close();
    await dripRobots.close();
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
