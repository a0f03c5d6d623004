import { diffWords } from 'diff';

export interface DiffPart {
  op: 'eq' | 'ins' | 'del';
  text: string;
}

export function wordDiff(before: string, after: string): DiffPart[] {
  return diffWords(before, after).map((change) => ({
    op: change.added ? 'ins' : change.removed ? 'del' : 'eq',
    text: change.value,
  }));
}

/** wdiff-style text: `[-removed-]{+added+}`, unchanged runs longer than 2×context words shortened with …. */
export function inlineDiff(before: string, after: string, context = 6): string {
  return wordDiff(before, after)
    .map((part) => {
      if (part.op === 'del') return `[-${part.text}-]`;
      if (part.op === 'ins') return `{+${part.text}+}`;
      const words = part.text.split(/(\s+)/);
      if (words.length <= context * 4) return part.text;
      return `${words.slice(0, context * 2).join('')} … ${words.slice(-context * 2).join('')}`;
    })
    .join('');
}
