import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pipelineJudgement } from '../../bench/detection/pipeline-harness.js';
import { buildCorpus } from '../../bench/detection/variants.js';
import { compareDocuments } from '../../functions/core/detect/compare.js';

/**
 * A slice of the labeled detection corpus (bench/detection): five real news pages in three languages,
 * the report page and the demo article, with every edit, noise and anomaly variant, and PDFs. The
 * bench runs the whole corpus and the baselines; this keeps the engine honest on every change, through
 * the capture pipeline (two captures of one watch, the confirm step included) and through
 * `redline compare`.
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

  it('through the capture pipeline: catches every edit (confirmed by a re-capture) and raises no false alarm', async () => {
    const wrong: string[] = [];
    let confirmed = 0;
    for (const pair of pairs) {
      const result = await pipelineJudgement(pair);
      const want = expected[pair.label];
      if (result.verdict !== want)
        wrong.push(`${pair.page} ${pair.kind}: ${result.status} ${result.verdict}`);
      // An edit is a new version with its typed edits; an anomaly names its kind; neither is a failed capture.
      else if (want === 'edited' && result.edits.length === 0)
        wrong.push(`${pair.page} ${pair.kind}: no edits`);
      else if (want === 'anomaly' && !result.anomaly)
        wrong.push(`${pair.page} ${pair.kind}: no anomaly kind`);
      if (result.confirmed) confirmed++;
    }
    expect(wrong).toEqual([]);
    // Every HTML edit went through the confirm step's re-capture (PDFs are not re-captured).
    expect(confirmed).toBe(pairs.filter((p) => p.label === 'edit' && p.format === 'html').length);
  }, 300_000);

  it('through two-file compare (the same verdict function): the same labels on every third pair', async () => {
    const wrong: string[] = [];
    for (const pair of pairs.filter((_, i) => i % 3 === 0)) {
      const result = await compareDocuments(bytes(pair.old), bytes(pair.new));
      if (result.verdict !== expected[pair.label]) wrong.push(`${pair.page} ${pair.kind}: ${result.verdict}`);
    }
    expect(wrong).toEqual([]);
  }, 180_000);
});
