import { readContent } from './content.js';
import { type Comparison, editsBetween } from './detect.js';
import type { PdfExtractor } from './pdf.js';
import type { FetchedResponse } from './ports.js';

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
  pdf?: PdfExtractor,
): Promise<Comparison> {
  const before = await readContent(asResponse(oldBytes, url), undefined, undefined, pdf);
  const after = await readContent(asResponse(newBytes, url), undefined, before.article, pdf);
  const base = { oldHash: before.textHash, newHash: after.textHash };
  if (after.anomaly)
    return { changed: false, verdict: 'anomaly', anomaly: after.anomaly, edits: [], ...base };
  if (before.textHash === after.textHash) return { changed: false, verdict: 'unchanged', edits: [], ...base };
  const edits =
    before.article && after.article
      ? editsBetween(before.article, after.article)
      : [{ kind: 'document_changed' as const, field: 'document' as const, significance: 'major' as const }];
  if (edits.length === 0) return { changed: false, verdict: 'unchanged', edits, ...base };
  const silent =
    before.article && after.article ? before.article.modified === after.article.modified : undefined;
  return { changed: true, verdict: 'edited', edits, ...base, ...(silent === undefined ? {} : { silent }) };
}
