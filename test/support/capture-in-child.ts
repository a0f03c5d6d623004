/**
 * Captures one URL in a process of its own and prints what happened, with the process's peak memory:
 * how hostile-server tests measure what a capture costs without the test's own allocations (the
 * fixture server, the feed it serves) in the number. Run as `tsx test/support/capture-in-child.ts '<json>'`.
 */
import { UndiciFetcher } from '../../functions/adapters/net/undici-fetcher.js';
import { type CaptureDeps, captureWatch } from '../../functions/core/capture/capture.js';
import { Politeness } from '../../functions/core/capture/politeness.js';
import { silentLogger } from '../../functions/core/domain/ports.js';
import { addWatch } from '../../functions/core/watches/watches.js';
import { EchoRenderer, MemoryCatalog, memoryStores } from './memory.js';

export interface ChildCapture {
  url: string;
  feed: boolean;
  totalTimeoutMs: number;
  robotsTimeoutMs: number;
}

export interface ChildResult {
  status: string;
  reason?: string;
  discovered?: number;
  links?: number;
  ms: number;
  /** Peak resident set of the process before the capture began, and at its end (MB). */
  baseRssMb: number;
  peakRssMb: number;
}

const input = JSON.parse(process.argv[2] ?? '{}') as ChildCapture;
const fetcher = new UndiciFetcher({
  policy: { allowPrivateNetwork: true },
  userAgent: 'Redline-test',
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  totalTimeoutMs: input.totalTimeoutMs,
  maxDecodedBytes: 64 * 1024 * 1024,
});
const catalog = new MemoryCatalog();
const deps: CaptureDeps = {
  ...memoryStores(catalog),
  fetcher,
  renderer: new EchoRenderer(),
  politeness: new Politeness(
    fetcher,
    { now: () => new Date() },
    {
      minDelayMs: 0,
      robotsTimeoutMs: input.robotsTimeoutMs,
    },
  ),
  clock: { now: () => new Date() },
  logger: silentLogger,
};
const { watch } = await addWatch(deps, {
  url: input.url,
  cadenceSeconds: 3600,
  mode: 'http',
  tags: [],
  feed: input.feed,
});
const mb = (kb: number) => Math.round(kb / 102.4) / 10;
const baseRssMb = mb(process.resourceUsage().maxRSS);
const start = performance.now();
const { capture } = await captureWatch(deps, watch);
const result: ChildResult = {
  status: capture.status,
  ...(capture.reason ? { reason: capture.reason } : {}),
  ...(capture.discovered !== undefined ? { discovered: capture.discovered } : {}),
  ...(capture.links !== undefined ? { links: capture.links } : {}),
  ms: Math.round(performance.now() - start),
  baseRssMb,
  peakRssMb: mb(process.resourceUsage().maxRSS),
};
await fetcher.close();
process.stdout.write(JSON.stringify(result));
