import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  extractPdf,
  isolatedPdfExtractor,
  type PdfExtractionStats,
} from '../../functions/adapters/pdf/isolated-pdf.js';
import { readContent } from '../../functions/core/detect/content.js';
import { extractPdfText } from '../../functions/core/detect/pdf.js';
import { PdfError, PdfLimitError } from '../../functions/core/domain/errors.js';
import { runRedline } from '../support/cli.js';
import { inflateBombPdf, manyPagesPdf, simplePdf } from '../support/simple-pdf.js';

/**
 * Hostile PDFs against the isolated extractor (functions/adapters/pdf): an inflate bomb (1 MB that
 * inflates to 1 GiB), 20,000 pages (3–6 MB that took pdf.js minutes on the capture's own thread), a caller
 * that gives up. Each must end by the budget it names, with the child process gone and this process's
 * memory untouched. Budgets are generous and the assertions are about which budget ended the work, never
 * about how fast a loaded machine is. The table of each case's time and memory is printed at the end.
 */
const GIB = 2 ** 30;
let bomb: Uint8Array;
let longReport: Uint8Array;
const table: { case: string; ms: number; childPeakMb: number; parentPeakMb: number; outcome: string }[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  bomb = await inflateBombPdf(GIB);
  longReport = manyPagesPdf(20_000);
}, 120_000);

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  console.table(table);
});

/** Runs an extraction while sampling this process's RSS; returns the outcome and both processes' peaks. */
async function measured(
  name: string,
  work: (onExit: (stats: PdfExtractionStats) => void) => Promise<unknown>,
) {
  let parentPeak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    parentPeak = Math.max(parentPeak, process.memoryUsage().rss);
  }, 20);
  let stats: PdfExtractionStats | undefined;
  const started = performance.now();
  let error: unknown;
  try {
    await work((s) => {
      stats = s;
    });
  } catch (caught) {
    error = caught;
  } finally {
    clearInterval(sampler);
  }
  const ms = Math.round(performance.now() - started);
  const parentPeakMb = Math.round(parentPeak / 2 ** 20);
  const outcome = error instanceof PdfLimitError ? `limit: ${error.limit}` : error ? String(error) : 'ok';
  table.push({ case: name, ms, childPeakMb: stats?.peakRssMb ?? 0, parentPeakMb, outcome });
  return { error, stats, parentPeakMb };
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

describe('isolated PDF extraction', () => {
  it('reads an ordinary PDF exactly as the in-process reader does, and the child is gone afterwards', async () => {
    const pdf = simplePdf(
      [['First paragraph on page one.', 'Second paragraph.'], ['On page two.']],
      'Annual report',
    );
    const { error, stats } = await measured('ordinary 2-page PDF', (onExit) => extractPdf(pdf, { onExit }));
    expect(error).toBeUndefined();
    expect(await extractPdf(pdf)).toEqual(await extractPdfText(pdf));
    expect(stats?.pid).toBeTypeOf('number');
    expect(processExists(stats?.pid ?? 0)).toBe(false);
  });

  it('reports a malformed or encrypted PDF as a PdfError', async () => {
    await expect(extractPdf(new TextEncoder().encode('%PDF-1.4\nnot a pdf at all'))).rejects.toBeInstanceOf(
      PdfError,
    );
    const encrypted = extractPdf(simplePdf([['Secret.']], 'Locked', { encrypted: true }));
    await expect(encrypted).rejects.toBeInstanceOf(PdfError);
    await expect(encrypted).rejects.toThrow(/^the PDF cannot be read \(PasswordException: /);
  });

  it('ends an inflate bomb (1 MB → 1 GiB) at the memory budget; this process’s memory stays where it was', async () => {
    const maxMemoryMb = 384;
    const before = Math.round(process.memoryUsage().rss / 2 ** 20);
    const { error, stats, parentPeakMb } = await measured('inflate bomb, 1 GiB', (onExit) =>
      extractPdf(bomb, { maxMemoryMb, timeoutMs: 300_000, onExit }),
    );
    expect(bomb.byteLength).toBeLessThan(2 * 2 ** 20);
    expect(error).toBeInstanceOf(PdfLimitError);
    expect(error).toMatchObject({ limit: 'memory', budget: maxMemoryMb });
    expect((error as PdfLimitError).observed).toBeGreaterThan(maxMemoryMb);
    expect((error as Error).message).toMatch(/over the budget of 384 MB/);
    // Killed within a sampling interval or two of crossing the line, far below the GiB it asked for.
    expect(stats?.peakRssMb).toBeLessThan(maxMemoryMb * 2);
    expect(parentPeakMb - before).toBeLessThan(150);
    expect(processExists(stats?.pid ?? 0)).toBe(false);
  });

  it('refuses a 20,000-page PDF at the page cap, without reading its pages', async () => {
    const { error, stats } = await measured('20,000 pages, cap 2,000', (onExit) =>
      extractPdf(longReport, { timeoutMs: 300_000, onExit }),
    );
    expect(error).toBeInstanceOf(PdfLimitError);
    expect(error).toMatchObject({ limit: 'pages', budget: 2_000, observed: 20_000 });
    expect((error as Error).message).toBe('the PDF has 20000 pages, over the cap of 2000');
    expect(processExists(stats?.pid ?? 0)).toBe(false);
  });

  it('ends a 20,000-page PDF allowed by the page cap at the time budget, while this event loop keeps running', async () => {
    const timeoutMs = 3_000;
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 50);
    const { error, stats } = await measured('20,000 pages, 3 s budget', (onExit) =>
      extractPdf(longReport, { maxPages: 50_000, timeoutMs, onExit }),
    );
    clearInterval(ticker);
    expect(error).toBeInstanceOf(PdfLimitError);
    expect(error).toMatchObject({ limit: 'time', budget: timeoutMs });
    expect((error as PdfLimitError).observed).toBeGreaterThanOrEqual(timeoutMs);
    // In-process, pdf.js held the thread for minutes and no timer fired; here timers fire throughout.
    expect(ticks).toBeGreaterThan(5);
    expect(processExists(stats?.pid ?? 0)).toBe(false);
  });

  it('stops when the caller’s signal aborts, and the child process is gone', async () => {
    const controller = new AbortController();
    const reason = new Error('capture deadline');
    const running = measured('20,000 pages, aborted', (onExit) =>
      extractPdf(longReport, { maxPages: 50_000, timeoutMs: 300_000, signal: controller.signal, onExit }),
    );
    setTimeout(() => controller.abort(reason), 500);
    const { error, stats } = await running;
    const pid = stats?.pid;
    expect(error).toBeInstanceOf(PdfLimitError);
    expect(error).toMatchObject({ limit: 'aborted', cause: reason });
    expect(pid).toBeTypeOf('number');
    expect(processExists(pid ?? 0)).toBe(false);
    // An already aborted signal starts nothing.
    await expect(extractPdf(longReport, { signal: controller.signal })).rejects.toMatchObject({
      limit: 'aborted',
    });
  });

  it('caps pages in the in-process reader too', async () => {
    await expect(extractPdfText(manyPagesPdf(3), { maxPages: 2 })).rejects.toMatchObject({
      limit: 'pages',
      observed: 3,
    });
  });

  it('makes a bomb captured by the pipeline an unreadable_pdf anomaly that names the budget', async () => {
    const fetched = {
      http: {
        status: 200,
        finalUrl: 'https://example.test/bomb.pdf',
        contentType: 'application/pdf',
        headers: {},
      },
      body: bomb,
    };
    const content = await readContent(fetched, undefined, undefined, {
      pdf: isolatedPdfExtractor,
      pdfLimits: { maxMemoryMb: 384 },
    });
    expect(content).toMatchObject({ kind: 'pdf', anomaly: 'unreadable_pdf' });
    expect(content.extractError).toMatch(
      /^PdfLimitError: reading the PDF took \d+ MB, over the budget of 384 MB$/,
    );
  });

  it('works from the compiled CLI: `redline compare` of a bomb is an unreadable_pdf anomaly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redline-hostile-pdf-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'report.pdf'), simplePdf([['The report.']], 'Report'));
    writeFileSync(join(dir, 'bomb.pdf'), bomb);
    writeFileSync(join(dir, 'long.pdf'), longReport);
    const env = { PATH: process.env.PATH, HOME: dir };
    const bombRun = await runRedline(
      ['compare', join(dir, 'report.pdf'), join(dir, 'bomb.pdf'), '--json'],
      env,
    );
    expect(JSON.parse(bombRun.stdout)).toMatchObject({ verdict: 'anomaly', anomaly: 'unreadable_pdf' });
    const longRun = await runRedline(
      ['compare', join(dir, 'report.pdf'), join(dir, 'long.pdf'), '--json'],
      env,
    );
    expect(JSON.parse(longRun.stdout)).toMatchObject({ verdict: 'anomaly', anomaly: 'unreadable_pdf' });
  });
});
