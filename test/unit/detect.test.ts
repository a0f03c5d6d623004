import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { articlePage, EDITED, ORIGINAL } from '../../demo/news-site.js';
import { anomalyOf } from '../../functions/core/detect/anomaly.js';
import { type Article, articleHash, extractArticle } from '../../functions/core/detect/article.js';
import { compareArticles, compareHtml } from '../../functions/core/detect/compare.js';
import { editsBetween } from '../../functions/core/detect/edits.js';

const paragraphs = ORIGINAL.paragraphs;
const article = (overrides: Partial<Article> = {}): Article => ({
  title: 'Council approves barrier',
  byline: 'By Jordan Reyes',
  lang: 'en',
  blocks: [...paragraphs],
  corrections: [],
  ...overrides,
});

describe('extractArticle', () => {
  it('finds headline, byline and body paragraphs, and leaves out furniture', () => {
    const extracted = extractArticle(articlePage(ORIGINAL, 1));
    expect(extracted.title).toBe(ORIGINAL.headline);
    expect(extracted.blocks).toEqual(ORIGINAL.paragraphs);
    expect(extracted.published).toBe('2026-11-24T18:00:00.000Z');
    expect(extracted.blocks.join(' ')).not.toMatch(/Advertisement|views|cookies/);
  });

  it('extracts the text of a real news page that Readability expects', () => {
    const html = readFileSync(new URL('../fixtures/corpus/news-pages/bbc-1.html', import.meta.url), 'utf8');
    const expected = readFileSync(
      new URL('../fixtures/corpus/readability-expected/bbc-1.html', import.meta.url),
      'utf8',
    );
    const extracted = extractArticle(html);
    expect(extracted.blocks.length).toBeGreaterThan(5);
    // Every extracted block is text Readability's maintainers expect in the article.
    const expectedText = expected.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    for (const block of extracted.blocks.slice(0, 5)) {
      expect(expectedText).toContain(block.slice(0, 40));
    }
  });
});

describe('compareHtml', () => {
  it('calls a change of ads, counters, timestamps and scripts unchanged', () => {
    const result = compareHtml(articlePage(ORIGINAL, 1), articlePage(ORIGINAL, 2));
    expect(result).toMatchObject({ changed: false, verdict: 'unchanged', edits: [] });
    expect(result.oldHash).toBe(result.newHash);
  });

  it('calls an edit of the words edited, with typed edits', () => {
    const result = compareHtml(articlePage(ORIGINAL, 1), articlePage(EDITED, 2));
    expect(result.verdict).toBe('edited');
    expect(result.changed).toBe(true);
    expect(result.edits.map((e) => e.kind)).toEqual([
      'headline_changed',
      'paragraph_changed',
      'paragraph_changed',
      'correction_added',
    ]);
    expect(result.silent).toBe(true);
  });
});

describe('editsBetween', () => {
  it('catches a one-word change, a changed number and an inserted "not"', () => {
    const oneWord = article({
      blocks: paragraphs.map((p, i) => (i === 3 ? p.replace('Supporters', 'Critics') : p)),
    });
    const number = article({ blocks: paragraphs.map((p, i) => (i === 0 ? p.replace('$48', '$84') : p)) });
    const not = article({
      blocks: paragraphs.map((p, i) => (i === 5 ? p.replace('is expected', 'is not expected') : p)),
    });
    for (const edited of [oneWord, number, not]) {
      const edits = editsBetween(article(), edited);
      expect(edits).toHaveLength(1);
      expect(edits[0]!.kind).toBe('paragraph_changed');
      expect(articleHash(edited)).not.toBe(articleHash(article()));
    }
    expect(editsBetween(article(), number)[0]!.significance).toBe('major');
    expect(editsBetween(article(), not)[0]!.significance).toBe('major');
    expect(editsBetween(article(), oneWord)[0]!.significance).toBe('minor');
  });

  it('types headline, byline, added and removed paragraphs with their positions', () => {
    const after = article({
      title: 'Council narrowly approves barrier',
      byline: 'By Jordan Reyes and Sam Lee',
      blocks: [paragraphs[0]!, ...paragraphs.slice(2), 'The mayor declined to comment.'],
      corrections: ['Correction: the vote was 5 to 4.'],
    });
    const edits = editsBetween(article(), after);
    expect(edits).toEqual([
      expect.objectContaining({ kind: 'headline_changed', after: 'Council narrowly approves barrier' }),
      expect.objectContaining({ kind: 'byline_changed', before: 'By Jordan Reyes' }),
      expect.objectContaining({ kind: 'paragraph_removed', index: 1, before: paragraphs[1] }),
      expect.objectContaining({ kind: 'paragraph_added', index: 5, after: 'The mayor declined to comment.' }),
      expect.objectContaining({ kind: 'correction_added', field: 'corrections', significance: 'major' }),
    ]);
  });
});

describe('anomalies', () => {
  it('names an empty shell, a block page and an HTTP error instead of calling them edits', () => {
    expect(anomalyOf(article({ blocks: ['Loading…'] }))).toBe('empty_shell');
    expect(anomalyOf(article({ title: 'Access denied', blocks: ['Access denied. Are you a robot?'] }))).toBe(
      'blocked',
    );
    expect(anomalyOf(article(), { httpStatus: 503 })).toBe('http_status_503');
    expect(anomalyOf(article())).toBeUndefined();
    const result = compareArticles(article(), article({ blocks: [] }));
    expect(result).toMatchObject({ verdict: 'anomaly', changed: false, anomaly: 'empty_shell', edits: [] });
  });
});
