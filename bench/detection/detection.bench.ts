/**
 * Edit detection on a labeled corpus: Redline against two baselines on the same pairs.
 *
 *   npm run bench:detection              # the labeled corpus, then speed
 *   npm run bench:detection -- --speed   # speed only
 *
 * - raw-HTML hash: "changed" when the page's bytes differ (what simple monitors do);
 * - Readability-text hash: "changed" when Readability's text differs (diffengine's approach).
 * Neither baseline knows anomalies: whatever they call "changed" on an anomaly is a false alarm.
 * Redline is judged twice, side by side: through the capture pipeline (pipeline-harness.ts: two captures
 * of one watch, the confirm step's re-capture included) and through two-file compare (`redline compare`).
 * Then comparisons per second on 150–320 KB pages, by wall time and by CPU time (the machine may be shared).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { captureWatch } from '../../functions/core/capture/capture.js';
import { compareDocuments } from '../../functions/core/detect/compare.js';
import { addWatch } from '../../functions/core/watches/watches.js';
import { memoryCaptureDeps } from '../../test/support/memory.js';
import { pipelineJudgement } from './pipeline-harness.js';
import { compareRate, formatRate, pipelineRate, type SpeedEngine, speedPairs } from './speed.js';
import { buildCorpus, type Pair } from './variants.js';

const root = join(import.meta.dirname, '..', '..');
const corpusDir = join(root, 'test', 'fixtures', 'corpus');

type Verdict = 'unchanged' | 'edited' | 'anomaly';

const sha = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');
const rawHash = (pair: Pair): Verdict => (sha(pair.old) === sha(pair.new) ? 'unchanged' : 'edited');
const readabilityText = (html: string) => {
  const { document } = parseHTML(html);
  const text = new Readability(document as unknown as Document).parse()?.textContent ?? '';
  return text.replace(/\s+/g, ' ').trim();
};
const readabilityHash = (pair: Pair): Verdict | undefined =>
  pair.format === 'pdf'
    ? undefined
    : sha(readabilityText(pair.old as string)) === sha(readabilityText(pair.new as string))
      ? 'unchanged'
      : 'edited';

export async function redlineVerdict(pair: Pair): Promise<Verdict> {
  const toBytes = (x: string | Uint8Array) => (typeof x === 'string' ? Buffer.from(x) : x);
  return (await compareDocuments(toBytes(pair.old), toBytes(pair.new))).verdict;
}

/** The second capture's verdict through the pipeline; `first` would mean no baseline was stored. */
async function pipelineVerdict(pair: Pair): Promise<Verdict> {
  const { verdict, status } = await pipelineJudgement(pair);
  if (verdict === undefined || verdict === 'first')
    throw new Error(`${pair.page} ${pair.kind}: the pipeline ended ${status} with no comparison`);
  return verdict;
}

interface Tally {
  n: number;
  edited: number;
  anomaly: number;
}
const tally = () => ({ n: 0, edited: 0, anomaly: 0 });

async function main() {
  const started = performance.now();
  const pairs = buildCorpus(corpusDir, join(root, 'bench', 'fixtures'));
  const methods = ['redline-pipeline', 'redline-compare', 'raw-html-hash', 'readability-hash'] as const;
  const redlineMethods = new Set<string>(['redline-pipeline', 'redline-compare']);
  const byKind = new Map<string, Record<(typeof methods)[number], Tally> & { label: string }>();
  const misses: string[] = [];
  for (const pair of pairs) {
    const row = byKind.get(pair.kind) ?? {
      label: pair.label,
      'redline-pipeline': tally(),
      'redline-compare': tally(),
      'raw-html-hash': tally(),
      'readability-hash': tally(),
    };
    byKind.set(pair.kind, row);
    const verdicts = {
      'redline-pipeline': await pipelineVerdict(pair),
      'redline-compare': await redlineVerdict(pair),
      'raw-html-hash': rawHash(pair),
      'readability-hash': readabilityHash(pair),
    };
    for (const method of methods) {
      const verdict = verdicts[method];
      if (verdict === undefined) continue;
      row[method].n++;
      if (verdict === 'edited') row[method].edited++;
      if (verdict === 'anomaly') row[method].anomaly++;
    }
    const expected = pair.label === 'edit' ? 'edited' : pair.label === 'noise' ? 'unchanged' : 'anomaly';
    for (const method of ['redline-pipeline', 'redline-compare'] as const)
      if (verdicts[method] !== expected)
        misses.push(`${method} ${pair.page} ${pair.kind}: expected ${expected}, got ${verdicts[method]}`);
  }

  const pct = (part: number, whole: number) =>
    whole === 0 ? '   n/a' : `${((100 * part) / whole).toFixed(1).padStart(5)}%`;
  const header = `${'variant'.padEnd(20)} ${'label'.padEnd(8)} ${'pairs'.padStart(5)}  ${methods.map((m) => m.padStart(17)).join(' ')}`;
  console.log(
    `Labeled pairs: ${pairs.length} (${[...new Set(pairs.map((p) => p.page))].length} pages and documents)\n`,
  );
  console.log('Per variant: edits → share detected as edits; noise and anomalies → share of false alarms;');
  console.log(
    'anomalies also → share recognised as anomalies (Redline only; the baselines have no such verdict).\n',
  );
  console.log(header);
  const totals = {
    edit: {} as Record<string, Tally>,
    noise: {} as Record<string, Tally>,
    anomaly: {} as Record<string, Tally>,
  };
  for (const [kind, row] of [...byKind].sort(
    (a, b) => a[1].label.localeCompare(b[1].label) || a[0].localeCompare(b[0]),
  )) {
    const cells = methods.map((m) => {
      const t = row[m];
      const group = (totals as Record<string, Record<string, Tally>>)[row.label]!;
      group[m] ??= tally();
      const total = group[m];
      total.n += t.n;
      total.edited += t.edited;
      total.anomaly += t.anomaly;
      const main = pct(t.edited, t.n);
      return (
        row.label === 'anomaly' && redlineMethods.has(m)
          ? `${main} (rec ${pct(t.anomaly, t.n).trim()})`
          : main
      ).padStart(17);
    });
    console.log(
      `${kind.padEnd(20)} ${row.label.padEnd(8)} ${String(row['redline-compare'].n).padStart(5)}  ${cells.join(' ')}`,
    );
  }
  console.log('');
  console.log(`${'overall'.padEnd(34)}  ${methods.map((m) => m.padStart(17)).join(' ')}`);
  const line = (name: string, values: string[]) =>
    console.log(`${name.padEnd(34)}  ${values.map((v) => v.padStart(17)).join(' ')}`);
  line(
    'edits caught (recall)',
    methods.map((m) => pct(totals.edit[m]!.edited, totals.edit[m]!.n)),
  );
  line(
    'false alarms on noise',
    methods.map((m) => pct(totals.noise[m]!.edited, totals.noise[m]!.n)),
  );
  line(
    'false alarms on anomalies',
    methods.map((m) => pct(totals.anomaly[m]!.edited, totals.anomaly[m]!.n)),
  );
  line(
    'anomalies recognised',
    methods.map((m) =>
      redlineMethods.has(m) ? pct(totals.anomaly[m]!.anomaly, totals.anomaly[m]!.n) : '   n/a',
    ),
  );
  if (misses.length) console.log(`\nRedline misclassified ${misses.length}:\n  ${misses.join('\n  ')}`);
  console.log(`\n(corpus built and judged in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

/** Comparisons per second on 150–320 KB pages, one core: the pipeline path and two-file compare. */
async function speed() {
  const { pairs, avgKb } = speedPairs(corpusDir);
  const engine = { memoryCaptureDeps, addWatch, captureWatch, compareDocuments } as unknown as SpeedEngine;
  const rounds = 5;
  const pipeline = await pipelineRate(engine, pairs, rounds);
  const twoFile = await compareRate(engine, pairs, rounds);
  console.log(
    `\nSpeed on ${pairs.length} pages of 150–320 KB (avg ${avgKb.toFixed(0)} KB), one process, page vs its noise variant:`,
  );
  console.log(`  pipeline (2nd capture, baseline stored): ${formatRate(pipeline)}`);
  console.log(`  two-file compare (redline compare A B):  ${formatRate(twoFile)}`);
}

// Speed runs after main() has returned, so that the labeled corpus (~1 GB of strings) can be collected first.
if (!process.argv.includes('--speed')) await main();
await speed();
