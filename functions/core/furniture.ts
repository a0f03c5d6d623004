/**
 * Page furniture inside the article body that changes without the story changing: relative timestamps,
 * view/share/comment counters, reading time, ad labels. A block made only of furniture is not part of
 * the article's words. The rules are listed in docs/adr/0002-canonical-text.md.
 */
const FURNITURE_PATTERNS: RegExp[] = [
  // "Updated 12 minutes ago", "3 hours ago", "an hour ago", "just now"
  /\b(?:(?:updated|published|posted|last updated|edited)\s*:?\s*)?(?:\d+|an?|one)\s+(?:sec(?:ond)?|min(?:ute)?|hr|hour|day|week|month|year)s?\s+ago\b/gi,
  /\b(?:updated|posted)?\s*just now\b/gi,
  // "1,204 views", "3.2K shares", "17 comments"
  /\b\d[\d,.]*\s*[kKmM]?\s+(?:views?|shares?|comments?|reads?|likes?|reactions?|claps?|responses?)\b/gi,
  // "4 min read", "5-minute read", "Reading time: 4 minutes"
  /\b(?:reading time:?\s*)?\d+(?:\s*-\s*|\s+)(?:min(?:ute)?s?)(?:\s+read)?\b/gi,
  /\b(?:advertisement|sponsored content|story continues below(?: advertisement)?|continue reading below)\b/gi,
];
const LEFTOVER = /^[\s·•|,.;:()[\]\-–—/]*$/;

export function isFurniture(block: string): boolean {
  let rest = block;
  for (const pattern of FURNITURE_PATTERNS) rest = rest.replace(pattern, ' ');
  return rest !== block && LEFTOVER.test(rest);
}
