import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  extractHtml,
  type HtmlExtractionStats,
  isolatedHtmlExtractor,
  stopHtmlWorkers,
} from '../../functions/adapters/extract/isolated-html.js';
import { captureUrl } from '../../functions/core/capture/capture.js';
import { extractArticle } from '../../functions/core/detect/article.js';
import { ExtractLimitError } from '../../functions/core/domain/errors.js';
import { memoryCaptureDeps } from '../support/memory.js';

/**
 * Hostile HTML against the isolated extractor (functions/adapters/extract): a page of 20,000 short
 * paragraphs (1 MB, well inside the body caps) holds the thread that parses it for ~10 s (measured
 * in-process on this machine), and one of 100,000 (5 MB) grows the parser's heap past 1 GB. In the
 * worker, the first ends at its time budget while this thread's timers keep firing, the second at its
 * heap budget with this process untouched, either at once when the caller aborts, and the next page is
 * read by a fresh worker. Budgets are far below what the pages need, and far above what a normal page
 * needs, so the assertions are about which budget ended the work, never about a loaded machine's speed.
 */
const corpus = join(import.meta.dirname, '..', 'fixtures', 'corpus', 'news-pages');
const pages = readdirSync(corpus)
  .filter((name) => name.endsWith('.html'))
  .sort();
const normal = readFileSync(join(corpus, 'ars-1.html'), 'utf8');
const paragraphs = (count: number) =>
  `<!doctype html><html><head><title>Many</title></head><body><article>${'<p>word <b>bold</b> <a href="#x">link</a> text.</p>'.repeat(count)}</article></body></html>`;
const slowPage = paragraphs(20_000);
const hugePage = paragraphs(100_000);
const table: { case: string; ms: number; parentHeapGrowthMb: number; outcome: string }[] = [];

afterAll(async () => {
  await stopHtmlWorkers();
  console.table(table);
});

/** Runs an extraction while a 20 ms timer counts its ticks on this thread and samples this heap. */
async function measured(
  name: string,
  work: (onDone: (stats: HtmlExtractionStats) => void) => Promise<unknown>,
) {
  const heapBefore = process.memoryUsage().heapUsed;
  let heapPeak = heapBefore;
  let ticks = 0;
  const ticker = setInterval(() => {
    ticks++;
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  }, 20);
  let stats: HtmlExtractionStats | undefined;
  let error: unknown;
  const started = performance.now();
  try {
    await work((s) => {
      stats = s;
    });
  } catch (caught) {
    error = caught;
  } finally {
    clearInterval(ticker);
  }
  const ms = Math.round(performance.now() - started);
  const growthMb = Math.round((heapPeak - heapBefore) / 2 ** 20);
  const outcome = error instanceof ExtractLimitError ? `${error.name} ${error.limit}` : String(error ?? 'ok');
  table.push({ case: name, ms, parentHeapGrowthMb: growthMb, outcome });
  return { error, stats, ms, ticks, growthMb };
}

/** A normal page after a stopped one, within the same heap budget: read by a fresh worker, the same as in-process. */
async function readsNormalPageAfter(stopped: HtmlExtractionStats | undefined, maxMemoryMb?: number) {
  let next: HtmlExtractionStats | undefined;
  const article = await extractHtml(normal, {
    ...(maxMemoryMb ? { maxMemoryMb } : {}),
    onDone: (s) => {
      next = s;
    },
  });
  expect(article).toEqual(extractArticle(normal));
  expect(next?.started).toBe(true);
  expect(next?.threadId).not.toBe(stopped?.threadId);
}

describe('HTML extraction in a worker thread', () => {
  it('reads every corpus page exactly as in-process, reusing one warm worker', async () => {
    const threads = new Set<number>();
    const starts: boolean[] = [];
    for (const page of pages) {
      const html = readFileSync(join(corpus, page), 'utf8');
      const article = await extractHtml(html, {
        onDone: (s) => {
          threads.add(s.threadId);
          starts.push(s.started);
        },
      });
      expect(article, page).toEqual(extractArticle(html));
    }
    expect(pages.length).toBeGreaterThan(20);
    expect(threads.size).toBe(1);
    expect(starts.filter(Boolean).length).toBeLessThanOrEqual(1);
  }, 300_000);

  it('ends a page that parses for seconds at its time budget, with this thread free meanwhile', async () => {
    const timeoutMs = 1_500;
    const { error, stats, ticks } = await measured('20,000 paragraphs, 1.5 s budget', (onDone) =>
      extractHtml(slowPage, { timeoutMs, onDone }),
    );
    expect(error).toBeInstanceOf(ExtractLimitError);
    expect(error).toMatchObject({ limit: 'time', budget: timeoutMs });
    // Not early: Node may fire a timer up to a millisecond before Date.now() shows its delay (ms rounding).
    expect((error as ExtractLimitError).observed).toBeGreaterThanOrEqual(timeoutMs - 2);
    // A 20 ms timer over 1.5 s: in-process it would not fire once until the parse ended.
    expect(ticks).toBeGreaterThan(10);
    await readsNormalPageAfter(stats);
  }, 120_000);

  it('ends a page whose DOM outgrows the heap budget, this process untouched', async () => {
    const { error, stats, growthMb } = await measured('100,000 paragraphs, 128 MB heap', (onDone) =>
      extractHtml(hugePage, { maxMemoryMb: 128, timeoutMs: 240_000, onDone }),
    );
    expect(error).toBeInstanceOf(ExtractLimitError);
    expect(error).toMatchObject({ limit: 'memory', budget: 128 });
    // In-process this page takes the heap past 1 GB; here only the string copy lives in this heap.
    expect(growthMb).toBeLessThan(200);
    await readsNormalPageAfter(stats, 128);
  }, 300_000);

  it('stops at once when the caller aborts, and before starting when already aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('capture deadline')), 300);
    const { error, stats } = await measured('20,000 paragraphs, aborted at 300 ms', (onDone) =>
      extractHtml(slowPage, { signal: controller.signal, timeoutMs: 240_000, onDone }),
    );
    expect(error).toBeInstanceOf(ExtractLimitError);
    expect(error).toMatchObject({ limit: 'aborted' });
    expect((error as Error).cause).toEqual(new Error('capture deadline'));
    await readsNormalPageAfter(stats);
    await expect(extractHtml(normal, { signal: controller.signal })).rejects.toMatchObject({
      name: 'ExtractLimitError',
      limit: 'aborted',
    });
  }, 120_000);

  it('fails the capture at its extract step with the budget named, and records it', async () => {
    const { deps } = memoryCaptureDeps();
    const url = 'https://hostile.example/many';
    deps.fetcher.pages.set(url, { body: slowPage });
    const result = await captureUrl(
      { ...deps, html: isolatedHtmlExtractor, options: { html: { timeoutMs: 1_500 } } },
      url,
    );
    expect(result.capture.status).toBe('failed');
    expect(result.capture.reason).toMatch(/^extract: .*reading the HTML took over the budget of 1500 ms/);
    expect(result.capture.steps.find((step) => step.name === 'extract')).toMatchObject({ status: 'failed' });
  }, 120_000);
});
