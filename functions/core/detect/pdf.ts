import type * as PdfJs from 'pdfjs-dist/legacy/build/pdf.mjs';
import { PdfError, PdfLimitError } from '../domain/errors.js';
import { DEFAULT_CAPTURE_OPTIONS } from '../domain/options.js';
import type { Article } from './article.js';
import { canonicalText } from './text.js';

/** The budgets of one PDF text extraction. */
export interface PdfExtractOptions {
  /** Stops the extraction (a PdfLimitError with limit 'aborted'). */
  signal?: AbortSignal;
  /** A PDF with more pages than this is not read at all (PdfLimitError 'pages'). Default 2,000. */
  maxPages?: number;
  /** Memory of the extracting process, in MB (isolated extraction only). Default 512. */
  maxMemoryMb?: number;
  /** Time for the whole extraction, in ms (isolated extraction only). Default 60,000. */
  timeoutMs?: number;
}

/**
 * Port: reads a PDF's text as an Article, or throws PdfError (unreadable) or PdfLimitError (a budget ran
 * out). The isolated implementation (functions/adapters/pdf) runs `extractPdfText` in a child process
 * whose memory and time are bounded; `extractPdfText` itself bounds only pages and honours the signal.
 */
export type PdfExtractor = (bytes: Uint8Array, options?: PdfExtractOptions) => Promise<Article>;

export const PDF_DEFAULTS = DEFAULT_CAPTURE_OPTIONS.pdf;

/**
 * pdf.js, loaded once, on first use, in the same way wherever it runs: from `node_modules` (tests, the
 * CLI) or bundled into one file by esbuild (the Lambda bundle, where no pdf.js file sits beside it).
 *
 * - Its worker runs on this thread: importing the worker module hands pdf.js its message handler through
 *   the `pdfjsWorker` global, which pdf.js looks for before trying to `import()` `pdf.worker.mjs` from
 *   disk (a file a bundle does not have). The static specifier lets esbuild bundle the worker too.
 * - Its display layer builds a `DOMMatrix` at import for canvas rendering and tries to borrow
 *   `DOMMatrix`, `ImageData` and `Path2D` from the optional native `@napi-rs/canvas`, which a bundle
 *   does not carry. Text extraction never renders, so inert placeholders stand in while the module
 *   loads and are removed at once: no canvas, here or in Lambda, and no browser globals left behind.
 *   Rendering a page with this pdf.js fails loudly (`DOMMatrix is not defined`), as it should. Its
 *   warning that `@napi-rs/canvas` could not be loaded is held back: that is the intended setup.
 */
let pdfjs: Promise<typeof PdfJs> | undefined;

export function loadPdfJs(): Promise<typeof PdfJs> {
  pdfjs ??= (async () => {
    const { WorkerMessageHandler } = await import('pdfjs-dist/legacy/build/pdf.worker.mjs');
    const scope = globalThis as { pdfjsWorker?: { WorkerMessageHandler: unknown } };
    scope.pdfjsWorker ??= { WorkerMessageHandler };
    const restore = [withRenderingPlaceholders(), withoutCanvasWarning()];
    try {
      return await import('pdfjs-dist/legacy/build/pdf.mjs');
    } finally {
      for (const undo of restore) undo();
    }
  })();
  return pdfjs;
}

const RENDERING_GLOBALS = ['DOMMatrix', 'ImageData', 'Path2D'] as const;

/** Defines the missing rendering globals as empty classes; returns what puts the global scope back. */
function withRenderingPlaceholders(): () => void {
  const scope = globalThis as Record<string, unknown>;
  const added = RENDERING_GLOBALS.filter((name) => !(name in scope));
  for (const name of added) scope[name] = class RenderingUnavailable {};
  return () => {
    for (const name of added) delete scope[name];
  };
}

/** Drops pdf.js's console warning that @napi-rs/canvas is missing (and only that) while pdf.js loads. */
function withoutCanvasWarning(): () => void {
  const warn = console.warn;
  const filtered = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('Warning: Cannot load "@napi-rs/canvas"')) return;
    warn.apply(console, args);
  };
  console.warn = filtered;
  return () => {
    if (console.warn === filtered) console.warn = warn;
  };
}

interface TextItem {
  str: string;
  hasEOL: boolean;
  transform: number[];
  height: number;
}

/**
 * The text of a PDF as an Article, read in this process: paragraphs in reading order with their page
 * numbers, so edits can say on which page they are. Throws PdfError on a malformed or encrypted PDF, and
 * PdfLimitError when it has over `maxPages` pages (it is then not read at all: a text of its first pages
 * only would hide every change past them) or the signal aborts. Memory and time are NOT bounded here:
 * untrusted PDFs go through the isolated extractor (functions/adapters/pdf/isolated-pdf.ts).
 */
export async function extractPdfText(
  bytes: Uint8Array,
  options: Pick<PdfExtractOptions, 'signal' | 'maxPages'> = {},
): Promise<Article> {
  const maxPages = options.maxPages ?? PDF_DEFAULTS.maxPages;
  const checkSignal = (pagesRead: number) => {
    const signal = options.signal;
    if (signal?.aborted)
      throw new PdfLimitError('aborted', 0, pagesRead, `PDF extraction aborted after ${pagesRead} pages`, {
        cause: signal.reason,
      });
  };
  checkSignal(0);
  const { getDocument } = await loadPdfJs();
  const task = getDocument({
    data: new Uint8Array(bytes),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: false,
    verbosity: 0,
  });
  try {
    const document = await task.promise;
    if (document.numPages > maxPages)
      throw new PdfLimitError(
        'pages',
        maxPages,
        document.numPages,
        `the PDF has ${document.numPages} pages, over the cap of ${maxPages}`,
      );
    const info = ((await document.getMetadata().catch(() => undefined))?.info ?? {}) as Record<
      string,
      unknown
    >;
    const blocks: string[] = [];
    const pages: number[] = [];
    for (let number = 1; number <= document.numPages; number++) {
      checkSignal(number - 1);
      const page = await document.getPage(number);
      const content = await page.getTextContent();
      for (const paragraph of paragraphsOf(content.items as TextItem[])) {
        blocks.push(paragraph);
        pages.push(number);
      }
      page.cleanup();
    }
    const title = canonicalText(typeof info.Title === 'string' ? info.Title : '') || blocks[0] || '';
    const author = canonicalText(typeof info.Author === 'string' ? info.Author : '');
    return { title, byline: author, lang: '', blocks, corrections: [], pages };
  } catch (error) {
    if (error instanceof PdfLimitError) throw error;
    // pdf.js's own error name (PasswordException, InvalidPDFException, …) is the useful part of the reason.
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new PdfError(`the PDF cannot be read (${reason})`, { cause: error });
  } finally {
    await task.destroy();
  }
}

/** Groups text items into paragraphs: a blank line or a vertical gap of over 1.5 lines starts a new one. */
function paragraphsOf(items: TextItem[]): string[] {
  const paragraphs: string[] = [];
  let current = '';
  let line = '';
  let lastY: number | undefined;
  let lastHeight = 0;
  const flushParagraph = () => {
    const text = canonicalText(current);
    if (text) paragraphs.push(text);
    current = '';
  };
  for (const item of items) {
    if (typeof item.str !== 'string') continue;
    const y = item.transform[5] ?? 0;
    if (item.str.trim() && lastY !== undefined && lastY - y > Math.max(lastHeight, item.height, 1) * 1.5) {
      current += ` ${line}`;
      line = '';
      flushParagraph();
    }
    line += item.str;
    if (item.str.trim()) {
      lastY = y;
      lastHeight = item.height;
    }
    if (item.hasEOL) {
      if (!line.trim()) flushParagraph();
      // A hyphen at the end of a line joins the word across the break.
      current += line.endsWith('-') ? line.slice(0, -1) : `${line} `;
      line = '';
    }
  }
  current += line;
  flushParagraph();
  return paragraphs;
}
