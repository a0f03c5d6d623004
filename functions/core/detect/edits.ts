import { diffArrays } from 'diff';
import type { Edit } from '../domain/model.js';
import type { Article } from './article.js';
import { inlineDiff, wordDiff } from './diff.js';
import { wordCount } from './text.js';

/** A block with its digits folded: the identity of a block that varies only in its numbers. */
export function blockShape(block: string): string {
  return block.replace(/\d[\d,.:]*/g, '#');
}

const NEGATION_OR_NUMBER = /\b(not|no|never|n't|none|nor)\b|n['’]t\b|\d/i;

/**
 * Significance (documented in docs/adr/0005-edit-detection.md): headline, byline, corrections, and
 * paragraphs added or removed are `major`; a changed paragraph is `major` when the change touches a
 * number or a negation, or rewrites more than a fifth of the paragraph (at least 4 words), else
 * `minor`; a dates change is `minor`.
 */
function paragraphSignificance(before: string, after: string): Edit['significance'] {
  const touched = wordDiff(before, after)
    .filter((part) => part.op !== 'eq')
    .map((part) => part.text)
    .join(' ');
  if (NEGATION_OR_NUMBER.test(touched)) return 'major';
  return wordCount(touched) > Math.max(3, wordCount(before) * 0.2) ? 'major' : 'minor';
}

interface Sequence {
  texts: string[];
  pages?: number[] | undefined;
}

function sequenceEdits(before: Sequence, after: Sequence, field: 'body' | 'corrections'): Edit[] {
  const edits: Edit[] = [];
  const added = field === 'corrections' ? 'correction_added' : 'paragraph_added';
  const page = (seq: Sequence, index: number) => (seq.pages?.[index] ? { page: seq.pages[index] } : {});
  let oldIndex = 0;
  let newIndex = 0;
  const parts = diffArrays(before.texts, after.texts);
  const remove = (text: string, index: number) =>
    edits.push({
      kind: 'paragraph_removed',
      field,
      index,
      before: text,
      significance: 'major',
      ...page(before, index),
    });
  const add = (text: string, index: number) =>
    edits.push({ kind: added, field, index, after: text, significance: 'major', ...page(after, index) });
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const next = parts[i + 1];
    if (part.removed && next?.added) {
      // Removed blocks followed by added ones: pair them up as changes, the rest as removals/additions.
      const pairs = Math.min(part.value.length, next.value.length);
      for (let k = 0; k < pairs; k++) {
        const b = part.value[k]!;
        const a = next.value[k]!;
        edits.push({
          kind: 'paragraph_changed',
          field,
          index: oldIndex + k,
          before: b,
          after: a,
          significance: field === 'corrections' ? 'major' : paragraphSignificance(b, a),
          ...page(after, newIndex + k),
        });
      }
      part.value.slice(pairs).forEach((text, k) => {
        remove(text, oldIndex + pairs + k);
      });
      next.value.slice(pairs).forEach((text, k) => {
        add(text, newIndex + pairs + k);
      });
      oldIndex += part.value.length;
      newIndex += next.value.length;
      i++;
    } else if (part.removed) {
      part.value.forEach((text, k) => {
        remove(text, oldIndex + k);
      });
      oldIndex += part.value.length;
    } else if (part.added) {
      part.value.forEach((text, k) => {
        add(text, newIndex + k);
      });
      newIndex += part.value.length;
    } else {
      oldIndex += part.value.length;
      newIndex += part.value.length;
    }
  }
  return edits;
}

function withoutVolatile(article: Article, volatile: ReadonlySet<string> | undefined): Sequence {
  if (!volatile?.size) return { texts: article.blocks, pages: article.pages };
  const keep = article.blocks.map((block) => !volatile.has(blockShape(block)));
  return {
    texts: article.blocks.filter((_, i) => keep[i]),
    pages: article.pages?.filter((_, i) => keep[i]),
  };
}

/** Typed edits that turn `before` into `after`, ignoring volatile blocks. */
export function editsBetween(before: Article, after: Article, volatile?: ReadonlySet<string>): Edit[] {
  const edits: Edit[] = [];
  if (before.title !== after.title) {
    edits.push({
      kind: 'headline_changed',
      field: 'headline',
      before: before.title,
      after: after.title,
      significance: 'major',
    });
  }
  if (before.byline !== after.byline) {
    edits.push({
      kind: 'byline_changed',
      field: 'byline',
      before: before.byline,
      after: after.byline,
      significance: 'major',
    });
  }
  edits.push(...sequenceEdits(withoutVolatile(before, volatile), withoutVolatile(after, volatile), 'body'));
  edits.push(
    ...sequenceEdits({ texts: before.corrections ?? [] }, { texts: after.corrections ?? [] }, 'corrections'),
  );
  if (edits.length > 0 && (before.published !== after.published || before.modified !== after.modified)) {
    const dates = (a: Article) => [a.published ?? '', a.modified ?? ''].join(' / ');
    edits.push({
      kind: 'dates_changed',
      field: 'dates',
      before: dates(before),
      after: dates(after),
      significance: 'minor',
    });
  }
  return edits;
}

/** A short, readable summary of edits for notifications: one line per edit. */
export function summarizeEdits(edits: Edit[], maxChars = 1500): string {
  const lines = edits.map((edit) => {
    const where = edit.page ? ` (p. ${edit.page})` : '';
    const label = `${edit.kind}${edit.index === undefined ? '' : ` #${edit.index + 1}`}${where}`;
    if (edit.before !== undefined && edit.after !== undefined) {
      return `${label}: ${inlineDiff(edit.before, edit.after)}`;
    }
    return edit.after !== undefined ? `${label}: {+${edit.after}+}` : `${label}: [-${edit.before ?? ''}-]`;
  });
  const text = lines.join('\n');
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 1)}…`;
}
