/**
 * Edit detection on a labeled corpus: Redline against two baselines on the same pairs.
 *
 *   npm run bench:detection              # the labeled corpus, then speed
 *   npm run bench:detection -- --speed   # speed only
 *
 * - raw-HTML hash: "changed" when the page's bytes differ (what simple monitors do);
 * - Readability-text hash: "changed" when Readability's text differs (diffengine's approach).
 * Neither baseline knows anomalies: whatever they call "changed" on an anomaly is a false alarm.
 * Then comparisons per second on ~200 KB pages, one core.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { extractArticle } from '../../functions/core/detect/article.js';
import { compareArticles, compareDocuments } from '../../functions/core/detect/compare.js';
import { buildCorpus, corpusSources, htmlPairs, type Pair } from './variants.js';

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

interface Tally {
  n: number;
  edited: number;
  anomaly: number;
}
const tally = () => ({ n: 0, edited: 0, anomaly: 0 });

async function main() {
  const started = performance.now();
  const pairs = buildCorpus(corpusDir, join(root, 'bench', 'fixtures'));
  const methods = ['redline', 'raw-html-hash', 'readability-hash'] as const;
  const byKind = new Map<string, Record<(typeof methods)[number], Tally> & { label: string }>();
  const misses: string[] = [];
  for (const pair of pairs) {
    const row = byKind.get(pair.kind) ?? {
      label: pair.label,
      redline: tally(),
      'raw-html-hash': tally(),
      'readability-hash': tally(),
    };
    byKind.set(pair.kind, row);
    const verdicts = {
      redline: await redlineVerdict(pair),
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
    if (verdicts.redline !== expected)
      misses.push(`${pair.page} ${pair.kind}: expected ${expected}, got ${verdicts.redline}`);
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
        row.label === 'anomaly' && m === 'redline' ? `${main} (rec ${pct(t.anomaly, t.n).trim()})` : main
      ).padStart(17);
    });
    console.log(
      `${kind.padEnd(20)} ${row.label.padEnd(8)} ${String(row.redline.n).padStart(5)}  ${cells.join(' ')}`,
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
    methods.map((m) => (m === 'redline' ? pct(totals.anomaly[m]!.anomaly, totals.anomaly[m]!.n) : '   n/a')),
  );
  if (misses.length) console.log(`\nRedline misclassified ${misses.length}:\n  ${misses.join('\n  ')}`);
  console.log(`\n(corpus built and judged in ${((performance.now() - started) / 1000).toFixed(1)} s)`);

  await speed();
}

/** Comparisons per second on ~200 KB pages: each page against a noise variant of itself (different bytes). */
async function speed() {
  const big = corpusSources(corpusDir).filter((s) => s.html.length >= 150_000 && s.html.length <= 320_000);
  const avgKb = big.reduce((sum, s) => sum + s.html.length, 0) / big.length / 1024;
  const pairs = big.map((s) => htmlPairs(s).find((p) => p.kind === 'markup_churn')!).filter(Boolean);
  const baselines = pairs.map((p) => extractArticle(p.old as string));
  const rounds = 5;
  // Warm up the JIT on every page once.
  for (const [i, p] of pairs.entries()) compareArticles(baselines[i]!, extractArticle(p.new as string));
  let start = performance.now();
  for (let r = 0; r < rounds; r++)
    for (const [i, p] of pairs.entries()) compareArticles(baselines[i]!, extractArticle(p.new as string));
  const pipelinePerSec = (rounds * pairs.length) / ((performance.now() - start) / 1000);
  start = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const p of pairs) await compareDocuments(Buffer.from(p.old as string), Buffer.from(p.new as string));
  }
  const twoFilePerSec = (rounds * pairs.length) / ((performance.now() - start) / 1000);
  console.log(
    `\nSpeed on ${pairs.length} pages of 150–320 KB (avg ${avgKb.toFixed(0)} KB), one core, page vs its noise variant:`,
  );
  console.log(`  pipeline comparison (baseline article stored):  ${pipelinePerSec.toFixed(1)} comparisons/s`);
  console.log(`  two-file comparison (redline compare A B):       ${twoFilePerSec.toFixed(1)} comparisons/s`);
}

if (process.argv.includes('--speed')) await speed();
else await main();
