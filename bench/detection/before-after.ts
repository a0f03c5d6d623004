/**
 * Detection speed, before and after a change, on the same pages and the same measurement
 * (bench/detection/speed.ts): each checkout is measured in its own fresh process, the runs interleaved
 * (before, after, before, after, …) so that a shared machine's load falls on both alike.
 *
 *   git worktree add /tmp/redline-before <commit> && ln -s "$PWD/node_modules" /tmp/redline-before/
 *   npx tsx bench/detection/before-after.ts --before /tmp/redline-before [--after .] [--runs 3] [--rounds 5]
 *
 * A checkout's layout is found from its files: the pipeline layout (functions/core/capture/capture.ts,
 * functions/core/detect/compare.ts, functions/core/watches/watches.ts) or the one before it
 * (functions/core/capture.ts, functions/core/compare.ts, functions/core/watches.ts). The pages and their
 * noise variants always come from this checkout's corpus, so both sides see the same bytes.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compareRate, pipelineRate, type Rate, type SpeedEngine, speedPairs } from './speed.js';

const here = import.meta.dirname;
const corpusDir = join(here, '..', '..', 'test', 'fixtures', 'corpus');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const LAYOUTS = [
  {
    name: 'pipeline',
    capture: 'functions/core/capture/capture.ts',
    compare: 'functions/core/detect/compare.ts',
    watches: 'functions/core/watches/watches.ts',
  },
  {
    name: 'pre-pipeline',
    capture: 'functions/core/capture.ts',
    compare: 'functions/core/compare.ts',
    watches: 'functions/core/watches.ts',
  },
] as const;

async function loadEngine(root: string): Promise<{ engine: SpeedEngine; layout: string }> {
  const layout = LAYOUTS.find((l) => existsSync(join(root, l.capture)) && existsSync(join(root, l.compare)));
  if (!layout) throw new Error(`${root}: neither layout's files are there`);
  const load = (path: string) => import(pathToFileURL(join(root, path)).href);
  const [capture, compare, watches, memory] = await Promise.all([
    load(layout.capture),
    load(layout.compare),
    load(layout.watches),
    load('test/support/memory.ts'),
  ]);
  const engine = {
    captureWatch: capture.captureWatch,
    compareDocuments: compare.compareDocuments,
    addWatch: watches.addWatch,
    memoryCaptureDeps: memory.memoryCaptureDeps,
  } as SpeedEngine;
  return { engine, layout: layout.name };
}

interface Measurement {
  layout: string;
  pipeline: Rate;
  compare: Rate;
}

/** In the child: measure one checkout, print the result as JSON on the last line. */
async function measure(root: string, rounds: number) {
  const { engine, layout } = await loadEngine(root);
  const { pairs } = speedPairs(corpusDir);
  const pipeline = await pipelineRate(engine, pairs, rounds);
  const compare = await compareRate(engine, pairs, rounds);
  console.log(JSON.stringify({ layout, pipeline, compare } satisfies Measurement));
}

function runChild(root: string, rounds: number): Promise<Measurement> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, import.meta.filename, '--measure', root, '--rounds', String(rounds)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    child.on('error', fail);
    child.on('close', (code) => {
      if (code !== 0) return fail(new Error(`measuring ${root} exited ${code}`));
      const last = out.trim().split('\n').at(-1) ?? '';
      try {
        done(JSON.parse(last) as Measurement);
      } catch (error) {
        fail(new Error(`measuring ${root} printed no result: ${last.slice(0, 200)}`, { cause: error }));
      }
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const rounds = Number(arg('rounds') ?? 5);
  const measureRoot = arg('measure');
  if (measureRoot) return measure(resolve(measureRoot), rounds);
  const before = arg('before');
  if (!before)
    throw new Error(
      'usage: before-after.ts --before <checkout> [--after <checkout>] [--runs 3] [--rounds 5]',
    );
  const sides = { before: resolve(before), after: resolve(arg('after') ?? join(here, '..', '..')) };
  const runs = Math.min(Math.max(Number(arg('runs') ?? 3), 1), 20);
  const { pairs, avgKb } = speedPairs(corpusDir);
  console.log(
    `${pairs.length} pages of 150–320 KB (avg ${avgKb.toFixed(0)} KB) vs their noise variant, ${rounds} rounds a run, ${runs} runs each, interleaved`,
  );
  const results: Record<'before' | 'after', Measurement[]> = { before: [], after: [] };
  for (let run = 1; run <= runs; run++) {
    for (const side of ['before', 'after'] as const) {
      const m = await runChild(sides[side], rounds);
      results[side].push(m);
      console.log(
        `run ${run} ${side.padEnd(6)} (${m.layout}): pipeline ${m.pipeline.perSecond.toFixed(1)}/s wall ${m.pipeline.perCpuSecond.toFixed(1)}/CPU-s; compare ${m.compare.perSecond.toFixed(1)}/s wall ${m.compare.perCpuSecond.toFixed(1)}/CPU-s`,
      );
    }
  }
  console.log('\nMedians (comparisons per second):');
  console.log(
    `${''.padEnd(28)} ${'before wall'.padStart(12)} ${'after wall'.padStart(12)} ${'before CPU'.padStart(12)} ${'after CPU'.padStart(12)}`,
  );
  for (const path of ['pipeline', 'compare'] as const) {
    const cell = (side: 'before' | 'after', key: 'perSecond' | 'perCpuSecond') =>
      median(results[side].map((m) => m[path][key]))
        .toFixed(1)
        .padStart(12);
    const label = path === 'pipeline' ? 'pipeline (2nd capture)' : 'two-file compare';
    console.log(
      `${label.padEnd(28)} ${cell('before', 'perSecond')} ${cell('after', 'perSecond')} ${cell('before', 'perCpuSecond')} ${cell('after', 'perCpuSecond')}`,
    );
  }
}

await main();
