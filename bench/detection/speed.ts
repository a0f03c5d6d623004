/**
 * Comparisons per second on the corpus's 150–320 KB pages, each page against a noise variant of itself
 * (different bytes, same text): (a) through the capture pipeline, a watch whose baseline is stored
 * captured again (fetch from memory, one extraction, the verdict, the WARC, the record); (b) two-file
 * compare (two extractions and the verdict). Wall time and CPU time (process.cpuUsage, user + system)
 * are both reported: on a shared machine the CPU figure is the steadier one.
 *
 * The engine comes in as a `SpeedEngine`, so the same measurement runs against another checkout's
 * layout (bench/detection/before-after.ts).
 */
import { corpusSources, htmlPairs, type Pair } from './variants.js';

/** The corpus's 150–320 KB pages, each with its markup-churn noise variant (different bytes, same text). */
export function speedPairs(corpusDir: string): { pairs: Pair[]; avgKb: number } {
  const big = corpusSources(corpusDir).filter((s) => s.html.length >= 150_000 && s.html.length <= 320_000);
  const avgKb = big.reduce((sum, s) => sum + s.html.length, 0) / big.length / 1024;
  const pairs = big.map((s) => htmlPairs(s).find((p) => p.kind === 'markup_churn')!).filter(Boolean);
  return { pairs, avgKb };
}

interface MinimalWatch {
  id: string;
}

/** What the measurement needs from an engine; both the pre- and post-pipeline layouts provide it. */
export interface SpeedEngine {
  memoryCaptureDeps(): {
    deps: {
      fetcher: { pages: Map<string, { body: string | Uint8Array; contentType?: string }> };
      watches: { getWatch(id: string): Promise<MinimalWatch | undefined> };
    };
  };
  addWatch(
    deps: never,
    settings: { url: string; cadenceSeconds: number; mode: 'http'; tags: string[] },
  ): Promise<{ watch: MinimalWatch }>;
  captureWatch(deps: never, watch: never): Promise<{ capture: { verdict?: string; status: string } }>;
  compareDocuments(a: Uint8Array, b: Uint8Array): Promise<{ verdict: string }>;
}

export interface Rate {
  comparisons: number;
  wallMs: number;
  cpuMs: number;
  /** Comparisons per wall second. */
  perSecond: number;
  /** Comparisons per CPU second (all threads of the process: user + system). */
  perCpuSecond: number;
}

async function timed(comparisons: number, work: () => Promise<void>): Promise<Rate> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await work();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  return {
    comparisons,
    wallMs,
    cpuMs,
    perSecond: comparisons / (wallMs / 1000),
    perCpuSecond: comparisons / (cpuMs / 1000),
  };
}

/** The second capture of one watch per page (baseline stored by a first capture), `rounds` times over. */
export async function pipelineRate(engine: SpeedEngine, pairs: Pair[], rounds: number): Promise<Rate> {
  const { deps } = engine.memoryCaptureDeps();
  const watches: MinimalWatch[] = [];
  for (const [i, pair] of pairs.entries()) {
    const url = `https://speed.example/page-${i}`;
    const { watch } = await engine.addWatch(deps as never, {
      url,
      cadenceSeconds: 3600,
      mode: 'http',
      tags: [],
    });
    deps.fetcher.pages.set(url, { body: pair.old });
    const first = await engine.captureWatch(deps as never, watch as never);
    if (first.capture.verdict !== 'first')
      throw new Error(`baseline capture of ${pair.page}: ${first.capture.status}`);
    deps.fetcher.pages.set(url, { body: pair.new });
    watches.push(watch);
  }
  const captureAll = async () => {
    for (const watch of watches) {
      const current = (await deps.watches.getWatch(watch.id))!;
      const { capture } = await engine.captureWatch(deps as never, current as never);
      if (capture.verdict !== 'unchanged')
        throw new Error(`noise capture of ${watch.id}: ${capture.verdict}`);
    }
  };
  await captureAll(); // warm-up: the JIT sees every page once
  return timed(rounds * pairs.length, async () => {
    for (let r = 0; r < rounds; r++) await captureAll();
  });
}

/** Two-file compare of every pair, `rounds` times over. */
export async function compareRate(engine: SpeedEngine, pairs: Pair[], rounds: number): Promise<Rate> {
  const bytes = pairs.map((p) => [Buffer.from(p.old as string), Buffer.from(p.new as string)] as const);
  const compareAll = async () => {
    for (const [a, b] of bytes) {
      const { verdict } = await engine.compareDocuments(a, b);
      if (verdict !== 'unchanged') throw new Error(`compare of a noise pair: ${verdict}`);
    }
  };
  await compareAll();
  return timed(rounds * pairs.length, async () => {
    for (let r = 0; r < rounds; r++) await compareAll();
  });
}

export const formatRate = (rate: Rate) =>
  `${rate.perSecond.toFixed(1).padStart(6)} /s wall  ${rate.perCpuSecond.toFixed(1).padStart(6)} /CPU-s  (${rate.comparisons} in ${(rate.wallMs / 1000).toFixed(1)} s wall, ${(rate.cpuMs / 1000).toFixed(1)} s CPU)`;
