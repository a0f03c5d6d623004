/**
 * Whole-process cost of the `redline` command a user runs: wall time (spawn to exit) and the process's
 * peak RSS, median of 5 runs after one warm-up, for `redline --help` and `redline compare` on two
 * 250 KB news pages (a real article from the test corpus and a copy with one number edited).
 *
 *   npm run bench:cli                                  # the compiled CLI, and tsx on the sources
 *   npm run bench:cli -- --old /path/to/bin/redline.js # also another build, e.g. a checkout before the change
 *
 * Peak RSS is `process.resourceUsage().maxRSS` of the measured node process, written at its exit by a
 * module loaded with --import (no Chromium runs in these commands, so that process is all of it).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = join(import.meta.dirname, '..');
const RUNS = 5;
const dir = await mkdtemp(join(tmpdir(), 'redline-bench-cli-'));
const oldFlag = process.argv.indexOf('--old');
const oldBin = oldFlag >= 0 ? process.argv[oldFlag + 1] : undefined;

await promisify(execFile)(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet']);

// Two ~250 KB pages: the corpus article, and the same with one fact changed in its body.
const original = await readFile(join(root, 'test/fixtures/corpus/news-pages/seattletimes-1.html'), 'utf8');
const edited = original.replace('43 years a fisherman', '41 years a fisherman');
if (edited === original) throw new Error('the edit did not apply: the corpus page changed');
const oldPage = join(dir, 'old.html');
const newPage = join(dir, 'new.html');
await writeFile(oldPage, original);
await writeFile(newPage, edited);

const rssProbe = join(dir, 'rss-probe.mjs');
await writeFile(
  rssProbe,
  `import { writeFileSync } from 'node:fs';
process.on('exit', () => writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)));
`,
);

interface Sample {
  ms: number;
  rssKb: number;
}

async function once(nodeArgs: string[], args: string[], expect: RegExp): Promise<Sample> {
  const rssFile = join(dir, 'rss');
  const start = performance.now();
  const child = spawn(process.execPath, ['--import', rssProbe, ...nodeArgs, ...args], {
    cwd: root,
    env: { ...process.env, BENCH_RSS_FILE: rssFile, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const ms = performance.now() - start;
  if (code !== 0 || !expect.test(stdout))
    throw new Error(`${args.join(' ')} exited ${code}: ${stderr.slice(0, 500) || stdout.slice(0, 500)}`);
  return { ms, rssKb: Number(await readFile(rssFile, 'utf8')) };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

const variants: { name: string; nodeArgs: string[] }[] = [
  { name: 'compiled (dist/cli/redline.js)', nodeArgs: [join(root, 'dist/cli/redline.js')] },
  { name: 'tsx on the sources', nodeArgs: ['--import', 'tsx', join(root, 'functions/cli/bin.ts')] },
  ...(oldBin ? [{ name: `other: ${oldBin}`, nodeArgs: [oldBin] }] : []),
];
const commands: { name: string; args: string[]; expect: RegExp }[] = [
  { name: 'redline --help', args: ['--help'], expect: /^Usage: redline/ },
  { name: 'redline compare (2 × 250 KB)', args: ['compare', oldPage, newPage], expect: /^edited \(1 edit\)/ },
];

const rows: string[][] = [];
try {
  for (const command of commands)
    for (const variant of variants) {
      await once(variant.nodeArgs, command.args, command.expect); // warm-up (tsx's cache, the page cache)
      const samples: Sample[] = [];
      for (let i = 0; i < RUNS; i++) samples.push(await once(variant.nodeArgs, command.args, command.expect));
      const ms = samples.map((s) => s.ms);
      rows.push([
        command.name,
        variant.name,
        `${median(ms).toFixed(0)} ms`,
        `${Math.min(...ms).toFixed(0)}–${Math.max(...ms).toFixed(0)} ms`,
        `${(median(samples.map((s) => s.rssKb)) / 1024).toFixed(0)} MB`,
      ]);
    }
} finally {
  await rm(dir, { recursive: true, force: true });
}

const header = ['command', 'how it runs', `wall (median of ${RUNS})`, 'wall range', 'peak RSS (median)'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
console.log(
  `node ${process.version}, ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(2)} (1 min)`,
);
console.log(line(header));
for (const row of rows) console.log(line(row));
