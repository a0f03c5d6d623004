import { diffArrays } from 'diff';
import { type Article, articleHash, extractArticle } from './article.js';
import { inlineDiff, wordDiff } from './diff.js';
import type { Digest } from './digest.js';
import type { Edit } from './model.js';
import { wordCount } from './text.js';

export interface Comparison {
  changed: boolean;
  verdict: 'unchanged' | 'edited' | 'anomaly';
  anomaly?: string;
  edits: Edit[];
  oldHash: Digest;
  newHash: Digest;
}

/** Below this many words of body text a capture is an empty shell, not an article. */
export const MIN_ARTICLE_WORDS = 40;

const BLOCK_PAGE =
  /\b(access denied|are you a robot|verify you are human|captcha|subscribe to (continue|keep) reading|log in to continue|this content is for subscribers)\b/i;

/** Why a capture cannot stand for the article, or undefined when it can. */
export function anomalyOf(article: Article, httpStatus?: number): string | undefined {
  if (httpStatus !== undefined && httpStatus >= 400) return `http_status_${httpStatus}`;
  const words = article.blocks.reduce((sum, block) => sum + wordCount(block), 0);
  if (words < MIN_ARTICLE_WORDS) {
    const text = `${article.title} ${article.blocks.join(' ')}`;
    return BLOCK_PAGE.test(text) ? 'blocked_or_paywalled' : 'empty_article';
  }
  return undefined;
}

const NEGATION_OR_NUMBER = /\b(not|no|never|n't)\b|\d/i;

/**
 * `major` when the change touches a number or a negation, or rewrites more than a fifth of the paragraph
 * (at least 4 words); `minor` otherwise (a typo, a word swapped for a synonym).
 */
function paragraphSignificance(before: string, after: string): Edit['significance'] {
  const touched = wordDiff(before, after)
    .filter((part) => part.op !== 'eq')
    .map((part) => part.text)
    .join(' ');
  if (NEGATION_OR_NUMBER.test(touched)) return 'major';
  return wordCount(touched) > Math.max(3, wordCount(before) * 0.2) ? 'major' : 'minor';
}

/** Typed edits that turn `before` into `after`. */
export function editsBetween(before: Article, after: Article): Edit[] {
  const edits: Edit[] = [];
  if (before.title !== after.title) {
    edits.push({ kind: 'headline_changed', before: before.title, after: after.title, significance: 'major' });
  }
  if (before.byline !== after.byline) {
    edits.push({ kind: 'byline_changed', before: before.byline, after: after.byline, significance: 'major' });
  }
  let oldIndex = 0;
  let newIndex = 0;
  const parts = diffArrays(before.blocks, after.blocks);
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const next = parts[i + 1];
    if (part.removed && next?.added) {
      // A run of removed blocks followed by added ones: pair them up as changes, the rest as removals/additions.
      const pairs = Math.min(part.value.length, next.value.length);
      for (let k = 0; k < pairs; k++) {
        const b = part.value[k]!;
        const a = next.value[k]!;
        edits.push({
          kind: 'paragraph_changed',
          index: oldIndex + k,
          before: b,
          after: a,
          significance: paragraphSignificance(b, a),
        });
      }
      for (const [k, text] of part.value.slice(pairs).entries()) {
        edits.push({
          kind: 'paragraph_removed',
          index: oldIndex + pairs + k,
          before: text,
          significance: 'major',
        });
      }
      for (const [k, text] of next.value.slice(pairs).entries()) {
        edits.push({
          kind: 'paragraph_added',
          index: newIndex + pairs + k,
          after: text,
          significance: 'major',
        });
      }
      oldIndex += part.value.length;
      newIndex += next.value.length;
      i++;
    } else if (part.removed) {
      for (const [k, text] of part.value.entries()) {
        edits.push({ kind: 'paragraph_removed', index: oldIndex + k, before: text, significance: 'major' });
      }
      oldIndex += part.value.length;
    } else if (part.added) {
      for (const [k, text] of part.value.entries()) {
        edits.push({ kind: 'paragraph_added', index: newIndex + k, after: text, significance: 'major' });
      }
      newIndex += part.value.length;
    } else {
      oldIndex += part.value.length;
      newIndex += part.value.length;
    }
  }
  return edits;
}

/** Compares a new capture's article with the baseline. An anomaly is never an edit. */
export function compareArticles(before: Article, after: Article, httpStatus?: number): Comparison {
  const oldHash = articleHash(before);
  const newHash = articleHash(after);
  const anomaly = anomalyOf(after, httpStatus);
  if (anomaly) return { changed: false, verdict: 'anomaly', anomaly, edits: [], oldHash, newHash };
  if (oldHash === newHash) return { changed: false, verdict: 'unchanged', edits: [], oldHash, newHash };
  const edits = editsBetween(before, after);
  return { changed: true, verdict: 'edited', edits, oldHash, newHash };
}

export function compareHtml(oldHtml: string, newHtml: string): Comparison {
  return compareArticles(extractArticle(oldHtml), extractArticle(newHtml));
}

/** A short, readable summary of edits for notifications: one line per edit. */
export function summarizeEdits(edits: Edit[], maxChars = 1500): string {
  const lines = edits.map((edit) => {
    const label = edit.index === undefined ? edit.kind : `${edit.kind} #${edit.index + 1}`;
    if (edit.before !== undefined && edit.after !== undefined) {
      return `${label}: ${inlineDiff(edit.before, edit.after)}`;
    }
    return edit.after !== undefined ? `${label}: {+${edit.after}+}` : `${label}: [-${edit.before ?? ''}-]`;
  });
  const text = lines.join('\n');
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 1)}…`;
}
