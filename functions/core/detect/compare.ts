import type { Digest } from '../domain/digest.js';
import type { AnomalyKind, Edit } from '../domain/model.js';
import type { FetchedResponse } from '../domain/ports.js';
import { anomalyOf } from './anomaly.js';
import { type Article, articleHash, extractArticle } from './article.js';
import { type Content, type ReadOptions, readContent } from './content.js';
import { decideVerdict } from './verdict.js';

export interface Comparison {
  changed: boolean;
  verdict: 'unchanged' | 'edited' | 'anomaly';
  anomaly?: AnomalyKind;
  edits: Edit[];
  oldHash: Digest;
  newHash: Digest;
  /** Edited while the publisher's dateModified stayed the same (or was never given). */
  silent?: boolean;
}

export interface CompareOptions {
  httpStatus?: number;
  /** Shapes of blocks known to change on every load of this page (see blockShape). */
  volatile?: ReadonlySet<string>;
}

/** Two contents through the one verdict (a comparison always has a baseline: never `first`). */
function compareContents(before: Content, after: Content, volatile?: ReadonlySet<string>): Comparison {
  const detection = decideVerdict(
    after,
    { textHash: before.textHash, ...(before.article ? { article: before.article } : {}) },
    volatile,
  );
  const verdict = detection.verdict === 'first' ? 'edited' : detection.verdict;
  return {
    changed: verdict === 'edited',
    verdict,
    edits: detection.edits,
    oldHash: before.textHash,
    newHash: after.textHash,
    ...(detection.anomaly ? { anomaly: detection.anomaly } : {}),
    ...(detection.silent !== undefined ? { silent: detection.silent } : {}),
  };
}

/** Compares a new capture's article with the baseline. An anomaly is never an edit. */
export function compareArticles(before: Article, after: Article, options: CompareOptions = {}): Comparison {
  const anomaly = anomalyOf(after, { ...options, baseline: before });
  return compareContents(
    { kind: 'html', article: before, textHash: articleHash(before) },
    { kind: 'html', article: after, textHash: articleHash(after), ...(anomaly ? { anomaly } : {}) },
    options.volatile,
  );
}

export function compareHtml(oldHtml: string, newHtml: string, options: CompareOptions = {}): Comparison {
  return compareArticles(extractArticle(oldHtml), extractArticle(newHtml), options);
}

const asResponse = (body: Uint8Array, url: string): FetchedResponse => ({
  http: { status: 200, finalUrl: url, contentType: '', headers: {} },
  body,
});

/**
 * Compares two saved documents (HTML or PDF, told apart by their bytes) with the same engine the
 * pipeline uses: the newer one's anomalies first, then its hash, then typed edits.
 */
export async function compareDocuments(
  oldBytes: Uint8Array,
  newBytes: Uint8Array,
  url = 'file:///compare',
  options: ReadOptions = {},
): Promise<Comparison> {
  const before = await readContent(asResponse(oldBytes, url), undefined, undefined, options);
  const after = await readContent(asResponse(newBytes, url), undefined, before.article, options);
  return compareContents(before, after);
}
