import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCorpus } from '../../bench/detection/variants.js';
import { compareDocuments } from '../../functions/core/detect/compare.js';

/**
 * A slice of the labeled detection corpus (bench/detection): five real news pages in three languages,
 * the report page and the demo article, with every edit, noise and anomaly variant, and PDFs. The
 * bench runs the whole corpus and the baselines; this keeps the engine honest on every change.
 */
const PAGES = new Set(['ars-1', 'cnn', 'lemonde-1', 'folha', 'wordpress', 'report-page', 'demo-article']);
const root = join(import.meta.dirname, '..', '..');
const pairs = buildCorpus(join(root, 'test', 'fixtures', 'corpus'), join(root, 'bench', 'fixtures'), (page) =>
  PAGES.has(page),
);
const expected = { edit: 'edited', noise: 'unchanged', anomaly: 'anomaly' } as const;
const bytes = (x: string | Uint8Array) => (typeof x === 'string' ? Buffer.from(x) : x);

describe('edit detection on the labeled corpus slice', () => {
  it('has every kind of pair', () => {
    expect(pairs.length).toBeGreaterThan(150);
    expect(new Set(pairs.map((p) => p.label))).toEqual(new Set(['edit', 'noise', 'anomaly']));
    expect(pairs.some((p) => p.format === 'pdf')).toBe(true);
  });

  it('catches every edit and raises no false alarm on noise or anomalies', async () => {
    const wrong: string[] = [];
    for (const pair of pairs) {
      const result = await compareDocuments(bytes(pair.old), bytes(pair.new));
      if (result.verdict !== expected[pair.label]) wrong.push(`${pair.page} ${pair.kind}: ${result.verdict}`);
    }
    expect(wrong).toEqual([]);
  }, 180_000);
});
