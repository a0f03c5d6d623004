import type { Digest } from '../domain/digest.js';
import type { AnomalyKind, Edit, Verdict } from '../domain/model.js';
import type { Article } from './article.js';
import type { Content } from './content.js';
import { editsBetween } from './edits.js';

/** What a new capture is compared with: the latest version's text hash and, for articles, its article. */
export interface Baseline {
  textHash: Digest;
  article?: Article;
}

export interface Detection {
  verdict: Verdict;
  edits: Edit[];
  /** Edited while the publisher's `dateModified` stayed the same (articles only). */
  silent?: boolean;
  anomaly?: AnomalyKind;
}

const DOCUMENT_CHANGED: Edit = { kind: 'document_changed', field: 'document', significance: 'major' };

/**
 * The one verdict (ADR 0005): an anomaly is never an edit nor a baseline; with no baseline the capture
 * is the first version; the same text hash is unchanged; otherwise the typed edits between the two
 * articles, ignoring the watch's volatile block shapes (none left: unchanged). Documents without an
 * article (PDFs with no text layer, images) change as a whole. Used by the capture pipeline's detect and
 * confirm steps, `redline compare`, the detection corpus test and the bench.
 */
export function decideVerdict(
  content: Pick<Content, 'article' | 'textHash' | 'anomaly'>,
  baseline: Baseline | undefined,
  volatile?: ReadonlySet<string>,
): Detection {
  if (content.anomaly) return { verdict: 'anomaly', edits: [], anomaly: content.anomaly };
  if (!baseline) return { verdict: 'first', edits: [] };
  if (baseline.textHash === content.textHash) return { verdict: 'unchanged', edits: [] };
  const before = baseline.article;
  const after = content.article;
  if (!before || !after) return { verdict: 'edited', edits: [DOCUMENT_CHANGED] };
  const edits = editsBetween(before, after, volatile);
  if (edits.length === 0) return { verdict: 'unchanged', edits };
  return { verdict: 'edited', edits, silent: before.modified === after.modified };
}
