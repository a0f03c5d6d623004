import type * as PdfJs from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { Article } from './article.js';
import { canonicalText } from './text.js';

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
 * The text of a PDF as an Article: paragraphs in reading order with their page numbers, so edits
 * can say on which page they are. Throws on a malformed or encrypted PDF.
 */
export async function extractPdf(bytes: Uint8Array): Promise<Article> {
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
    const info = ((await document.getMetadata().catch(() => undefined))?.info ?? {}) as Record<
      string,
      unknown
    >;
    const blocks: string[] = [];
    const pages: number[] = [];
    for (let number = 1; number <= document.numPages; number++) {
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
