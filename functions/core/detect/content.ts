import { type Digest, sha256 } from '../domain/digest.js';
import type { AnomalyKind } from '../domain/model.js';
import type { FetchedResponse } from '../domain/ports.js';
import { anomalyOf, httpStatusAnomaly } from './anomaly.js';
import { type Article, articleHash, extractArticle } from './article.js';
import { type DocumentKind, decodeBody, documentKind } from './charset.js';
import { extractPdfText, type PdfExtractOptions, type PdfExtractor } from './pdf.js';

/** What a capture says, as compared: an article (HTML, PDF with text), or the bytes of any other document. */
export interface Content {
  kind: DocumentKind;
  article?: Article;
  textHash: Digest;
  anomaly?: AnomalyKind;
  /** Why the text could not be read (a malformed or encrypted PDF). */
  extractError?: string;
}

/** The budgets of one HTML article extraction. */
export interface HtmlExtractOptions {
  /** Stops the extraction (an ExtractLimitError with limit 'aborted'). */
  signal?: AbortSignal;
  /** Time for the extraction, in ms (isolated extraction only). */
  timeoutMs?: number;
  /** Heap of the extracting worker, in MB (isolated extraction only). */
  maxMemoryMb?: number;
}

/**
 * Port: reads an HTML page's article, or throws ExtractLimitError (a budget ran out) or ExtractError. The
 * isolated implementation (functions/adapters/extract) runs `extractArticle` in a worker thread whose heap
 * and time are bounded and which the signal stops; the default runs it here, honouring the signal only
 * before it starts.
 */
export type HtmlExtractor = (html: string, options?: HtmlExtractOptions) => Promise<Article>;

/** `extractArticle` on the calling thread: for unit tests and callers that trust their HTML. */
export const inProcessHtmlExtractor: HtmlExtractor = async (html, options) => {
  options?.signal?.throwIfAborted();
  return extractArticle(html);
};

export interface ReadOptions {
  /** Ends a read that takes too long (a PDF's extraction is stopped). */
  signal?: AbortSignal;
  /** Reads a PDF's text: in a child process with budgets in the CLI and Lambda; in-process by default. */
  pdf?: PdfExtractor;
  /** The PDF reader's budgets (pages, memory, time). */
  pdfLimits?: Omit<PdfExtractOptions, 'signal'>;
  /** Reads an HTML page's article: in a worker thread with budgets in the CLI and Lambda; in-process by default. */
  html?: HtmlExtractor;
  /** The HTML reader's budgets (memory, time). */
  htmlLimits?: Omit<HtmlExtractOptions, 'signal'>;
}

/**
 * Reads a capture's content. HTML: the article from the rendered page when there is one, else from
 * the fetched body. PDF: its text per page (a PDF with no text layer is compared by its bytes; one that
 * cannot be read is an anomaly). Anything else: its bytes.
 */
export async function readContent(
  fetched: FetchedResponse,
  renderedHtml: string | undefined,
  baseline: Article | undefined,
  options: ReadOptions = {},
): Promise<Content> {
  options.signal?.throwIfAborted();
  const kind = documentKind(fetched.body, fetched.http.contentType);
  const status = fetched.http.status;
  if (kind === 'html') {
    const raw = decodeBody(fetched.body, fetched.http.contentType);
    const extract = options.html ?? inProcessHtmlExtractor;
    const article = await extract(renderedHtml ?? raw, {
      ...options.htmlLimits,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    // The browser always closes the document; whether the response was cut off shows in the raw body.
    if (renderedHtml !== undefined && !/<\/html\s*>/i.test(raw.slice(-4096))) {
      article.signals = [...(article.signals ?? []), 'unterminated'];
    }
    const anomaly = anomalyOf(article, { httpStatus: status, ...(baseline ? { baseline } : {}) });
    return { kind, article, textHash: articleHash(article), ...(anomaly ? { anomaly } : {}) };
  }
  const bytesHash = sha256(fetched.body);
  const failed = httpStatusAnomaly(status);
  if (failed) return { kind, textHash: bytesHash, anomaly: failed };
  if (kind === 'pdf') {
    try {
      const extractPdf = options.pdf ?? extractPdfText;
      const article = await extractPdf(fetched.body, {
        ...options.pdfLimits,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (article.blocks.length > 0) return { kind, article, textHash: articleHash(article) };
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return { kind, textHash: bytesHash, anomaly: 'unreadable_pdf', extractError: reason };
    }
  }
  return { kind, textHash: bytesHash };
}
