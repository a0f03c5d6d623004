import { execFile } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuardProxy } from '../../functions/adapters/net/guard-proxy.js';
import { UndiciFetcher } from '../../functions/adapters/net/undici-fetcher.js';
import { type CaptureDeps, captureWatch } from '../../functions/core/capture/capture.js';
import { DEFAULT_FEED_LIMITS } from '../../functions/core/capture/feed-capture.js';
import { Politeness } from '../../functions/core/capture/politeness.js';
import { silentLogger } from '../../functions/core/domain/ports.js';
import { watchIdFor } from '../../functions/core/domain/url.js';
import { addWatch } from '../../functions/core/watches/watches.js';
import type { ChildCapture, ChildResult } from '../support/capture-in-child.js';
import { drip, type FixtureServer, startFixtureServer } from '../support/fixture-server.js';
import { EchoRenderer, MemoryCatalog, memoryStores } from '../support/memory.js';

/**
 * Hostile servers that try to make a capture last, or cost, without end: a body or a robots.txt that
 * drips one byte every 200 ms, a feed of a million items, a sitemap index that lists itself, a CONNECT
 * to a port that does not exist. Each must end within its budget with a reason that names the limit.
 * Captures run in a child process (capture-in-child.ts) so that the memory measured, the growth of the
 * child's peak resident set during the capture, is the capture's alone; the table of each case's time
 * and memory is printed at the end.
 */
const DRIP_MS = 200;
const TOTAL_BUDGET_MS = 2000;
const ROBOTS_BUDGET_MS = 1500;

let site: FixtureServer; // robots.txt answers 404: everything allowed
let dripRobots: FixtureServer; // robots.txt drips
let deps: CaptureDeps & { watches: MemoryCatalog };
let fetcher: UndiciFetcher;
const sockets: Promise<unknown>[] = [];
const run = promisify(execFile);
const table: { case: string; ms: number; peakRssMb: number; outcome: string }[] = [];

/** Remembers when the request's socket closes. */
const watchSocket = (req: IncomingMessage) =>
  sockets.push(new Promise((resolve) => req.socket.once('close', resolve)));

function millionItemFeed(): Buffer {
  const items: string[] = [];
  for (let i = 0; i < 1_000_000; i++) items.push(`<item><link>/story/${i}</link></item>`);
  return gzipSync(`<?xml version="1.0"?><rss version="2.0"><channel>${items.join('\n')}</channel></rss>`);
}

/** Runs `work`, sampling resident memory; records its time and peak growth under `name`. */
async function measured<T>(name: string, work: () => Promise<T>, outcome: (value: T) => string) {
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  const start = performance.now();
  try {
    const value = await work();
    const ms = Math.round(performance.now() - start);
    peak = Math.max(peak, process.memoryUsage().rss);
    table.push({ case: name, ms, peakRssMb: Math.round((peak - base) / 1e5) / 10, outcome: outcome(value) });
    return { value, ms };
  } finally {
    clearInterval(sampler);
  }
}

beforeAll(async () => {
  const feed = millionItemFeed();
  site = await startFixtureServer({
    '/drip': (req, res) => {
      watchSocket(req);
      drip(res, DRIP_MS);
    },
    '/feed.xml': (_req, res) =>
      res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': 'gzip' }).end(feed),
    '/sitemap_index.xml': (_req: IncomingMessage, res: ServerResponse) =>
      res
        .writeHead(200, { 'content-type': 'application/xml' })
        .end(
          `<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>${site.url}/sitemap_index.xml</loc></sitemap><sitemap><loc>${site.url}/sitemap-1.xml</loc></sitemap></sitemapindex>`,
        ),
    '/sitemap-1.xml': (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'application/xml' })
        .end(
          `<?xml version="1.0"?><sitemapindex><sitemap><loc>${site.url}/sitemap_index.xml</loc></sitemap></sitemapindex>`,
        ),
  });
  dripRobots = await startFixtureServer({
    '/robots.txt': (req, res) => {
      watchSocket(req);
      drip(res, DRIP_MS, 'text/plain');
    },
    '/page': (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<p>never asked for</p>'),
  });
  fetcher = new UndiciFetcher({
    policy: { allowPrivateNetwork: true },
    userAgent: 'Redline-test',
    // Idle timeouts far above the drip's pace: only the total budget can stop a drip.
    headersTimeoutMs: 30_000,
    bodyTimeoutMs: 30_000,
    totalTimeoutMs: TOTAL_BUDGET_MS,
    maxDecodedBytes: 64 * 1024 * 1024,
  });
  const catalog = new MemoryCatalog();
  deps = {
    ...memoryStores(catalog),
    fetcher,
    renderer: new EchoRenderer(),
    politeness: new Politeness(
      fetcher,
      { now: () => new Date() },
      {
        minDelayMs: 0,
        robotsTimeoutMs: ROBOTS_BUDGET_MS,
      },
    ),
    clock: { now: () => new Date() },
    logger: silentLogger,
  };
});
afterAll(async () => {
  await fetcher.close();
  await site.close();
  await dripRobots.close();
  // For the README: how long each hostile case ran and how much memory it took.
  console.table(table);
});

const CHILD = fileURLToPath(new URL('../support/capture-in-child.ts', import.meta.url));

/** Captures in a process of its own (see capture-in-child.ts) and records time and peak memory. */
async function inChild(name: string, spec: Pick<ChildCapture, 'url' | 'feed'>): Promise<ChildResult> {
  const input: ChildCapture = { ...spec, totalTimeoutMs: TOTAL_BUDGET_MS, robotsTimeoutMs: ROBOTS_BUDGET_MS };
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(input)], {
    timeout: 50_000,
  });
  const result = JSON.parse(stdout) as ChildResult;
  table.push({
    case: name,
    ms: result.ms,
    peakRssMb: Math.round((result.peakRssMb - result.baseRssMb) * 10) / 10,
    outcome: `${result.status}: ${result.reason ?? ''}${result.discovered !== undefined ? `; discovered ${result.discovered}` : ''}`,
  });
  return result;
}

const watchOf = async (url: string, feed = false) =>
  (await addWatch(deps, { url, cadenceSeconds: 3600, mode: 'http', tags: [], feed })).watch;

describe('hostile servers, bounded', () => {
  it('a body that drips one byte every 200 ms ends at the total fetch budget, its socket closed', async () => {
    const result = await inChild('drip body (1 B every 200 ms)', { url: `${site.url}/drip`, feed: false });
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(
      new RegExp(`stopped: the total fetch budget of ${TOTAL_BUDGET_MS} ms ran out after \\d+ ms`),
    );
    expect(result.ms).toBeLessThan(TOTAL_BUDGET_MS + 10_000);
    await sockets.at(-1);
  });

  it('a robots.txt that drips ends at its own budget, and the page is not asked for', async () => {
    const result = await inChild('drip robots.txt (1 B every 200 ms)', {
      url: `${dripRobots.url}/page`,
      feed: false,
    });
    expect(result.status).toBe('failed');
    expect(result.reason).toMatch(
      new RegExp(
        `^fetching ${dripRobots.url}/robots\\.txt stopped: the robots\\.txt budget of ${ROBOTS_BUDGET_MS} ms ran out after \\d+ ms; robots\\.txt unreachable, not fetching for now$`,
      ),
    );
    expect(result.ms).toBeLessThan(ROBOTS_BUDGET_MS + 10_000);
    expect(dripRobots.requests).toEqual(['/robots.txt']);
    await sockets.at(-1);
  });

  it('a feed of a million items is read up to its item limit, and the record says so', async () => {
    const result = await inChild('1,000,000-item RSS feed (gzip)', {
      url: `${site.url}/feed.xml`,
      feed: true,
    });
    expect(result).toMatchObject({
      status: 'partial',
      reason: `feed read in part: stopped after ${DEFAULT_FEED_LIMITS.maxItems} items (the item limit)`,
      links: DEFAULT_FEED_LIMITS.maxItems,
      discovered: DEFAULT_FEED_LIMITS.maxDiscovered,
    });
    expect(result.ms).toBeLessThan(30_000);
    // The feed decodes to ~37 MB and is archived whole; reading it must not cost the gigabytes a full parse did.
    expect(result.peakRssMb - result.baseRssMb).toBeLessThan(600);
  });

  it('a sitemap index that lists itself is followed once, as a feed, and does not loop', async () => {
    const index = await watchOf(`${site.url}/sitemap_index.xml`, true);
    const { value } = await measured(
      'self-listing sitemap index (x2, + child; in-process, rough)',
      async () => {
        const first = await captureWatch(deps, index);
        const again = await captureWatch(deps, (await deps.watches.getWatch(index.id))!);
        const child = await deps.watches.getWatch(watchIdFor(`${site.url}/sitemap-1.xml`));
        const fromChild = child ? await captureWatch(deps, child) : undefined;
        return { first, again, child, fromChild };
      },
      (r) =>
        `new watches: ${r.first.capture.discovered}, then ${r.again.capture.discovered}, then ${r.fromChild?.capture.discovered}`,
    );
    expect(value.first.capture).toMatchObject({ status: 'complete', links: 2, discovered: 1 });
    expect(value.child).toMatchObject({ type: 'feed', discoveredFrom: index.id });
    expect(value.again.capture.discovered).toBe(0);
    expect(value.fromChild?.capture.discovered).toBe(0);
  });

  it('a CONNECT to a port that does not exist is refused with 400, and the proxy lives on', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const proxy = new GuardProxy({ allowPrivateNetwork: true });
    const port = Number(new URL(await proxy.start()).port);
    const ask = (authority: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () =>
          socket.write(`CONNECT ${authority} HTTP/1.1\r\n\r\n`),
        );
        let seen = '';
        socket.on('data', (chunk: Buffer) => (seen += chunk.toString('latin1')));
        socket.on('error', reject);
        socket.on('close', () => resolve(seen.split('\r\n')[0] ?? ''));
        setTimeout(() => socket.end(), 500);
      });
    try {
      const { value } = await measured(
        'CONNECT to port 70000 / 0 / abc / none (in-process, rough)',
        async () => ({
          bad: await Promise.all(['127.0.0.1:70000', '127.0.0.1:0', '127.0.0.1:abc', '127.0.0.1'].map(ask)),
          good: await ask(`127.0.0.1:${site.port}`),
        }),
        (r) => `${r.bad[0]}; then a good CONNECT: ${r.good}`,
      );
      expect(value.bad).toEqual(Array(4).fill('HTTP/1.1 400 Bad Request'));
      expect(value.good).toBe('HTTP/1.1 200 Connection Established');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await proxy.close();
    }
  });
});
