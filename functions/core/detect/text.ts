/**
 * Text canonicalization: the exact folding rules are in docs/adr/0002-canonical-text.md.
 * Two strings that read the same to a person must canonicalize to the same string.
 */

// Soft hyphen, zero-width space/joiners, word joiner, BOM, and other invisible format characters.
const INVISIBLE = /[\u00AD\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF]/g;
// Every Unicode space (NBSP, thin space, ideographic space, …) and line/paragraph separators.
const SPACES = /[\s\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+/g;

// A space before closing punctuation that ends a word ("Wired.com ." after a tag break) reads as no space.
const SPACE_BEFORE_PUNCTUATION = / ([.,;:!?]+)(?=[\s)\]}"'”’»]|$)/g;

export function canonicalText(text: string): string {
  return text
    .normalize('NFKC')
    .replace(INVISIBLE, '')
    .replace(SPACES, ' ')
    .replace(SPACE_BEFORE_PUNCTUATION, '$1')
    .trim();
}

export function wordCount(text: string): number {
  const trimmed = text.trim();
  return trimmed === '' ? 0 : trimmed.split(/\s+/).length;
}
