/**
 * Page furniture: parts of a page that change without the story changing. Two kinds of signal:
 * structural (class/id tokens of promos, share bars, related links, ads, cookie banners, comments),
 * removed before extraction; and textual (blocks that are only a relative timestamp, a counter, a
 * reading time, an ad label, or a short promo line), dropped after extraction. The rules are listed in
 * docs/adr/0002-canonical-text.md.
 */

/** Class or id tokens (split on - and _) that mark furniture containers. */
const FURNITURE_TOKENS = new Set([
  'ad',
  'ads',
  'advert',
  'adverts',
  'advertisement',
  'advertising',
  'adslot',
  'adunit',
  'dfp',
  'gpt',
  'sponsor',
  'sponsored',
  'promo',
  'promos',
  'promotion',
  'newsletter',
  'newsletters',
  'signup',
  'subscribe',
  'subscription',
  'paywall',
  'related',
  'recirc',
  'recirculation',
  'readmore',
  'outbrain',
  'taboola',
  'share',
  'sharing',
  'sharebar',
  'social',
  'socials',
  'comments',
  'comment',
  'disqus',
  'cookie',
  'cookies',
  'consent',
  'gdpr',
  'cmp',
  'banner',
  'popup',
  'modal',
  'toast',
  'trending',
  'mostread',
  'popular',
  'recommended',
  'recommendations',
  'podcast',
  'app',
  'download',
  'viewcount',
  'views',
  'timestamp',
  'timeago',
  'readtime',
  'readingtime',
  'breadcrumb',
  'breadcrumbs',
  'nav',
  'navigation',
  'menu',
  'footer',
  'masthead',
  'toolbar',
  'tags',
  'tooltip',
  'print',
]);
const COMPOUND_TOKENS =
  /^(read-?more|most-?read|more-?stories|also-?read|see-?also|you-?may-?like|story-?continues|ad-?container|ad-?wrapper)$/;

/** Whether a class/id attribute names a furniture container. */
export function isFurnitureName(name: string): boolean {
  for (const token of name.toLowerCase().split(/\s+/)) {
    if (!token) continue;
    if (COMPOUND_TOKENS.test(token)) return true;
    for (const part of token.split(/[-_]+/)) if (FURNITURE_TOKENS.has(part)) return true;
  }
  return false;
}

// A date line on its own: "1:39 PM ET", "April 30, 2019", "Updated: 30/04/2019 17:40", "Tuesday"
const DATE_PATTERNS: RegExp[] = [
  /\b\d{1,2}[:.]\d{2}(?:[:.]\d{2})?\s*(?:[ap]\.?m\.?)?(?:\s*(?:[A-Z]{2,4}|GMT[+-]?\d*|UTC[+-]?\d*))?\b/gi,
  /\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?(?:\s+\d{4})?\b/gi,
  /\b\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?(?:\s+\d{4})?\b/gi,
  /\b\d{4}-\d{2}-\d{2}(?:T[\d:.]+Z?)?\b|\b\d{1,2}\/\d{1,2}\/\d{2,4}\b/g,
  /\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b/gi,
];
/** Relative times, counters, reading time and ad labels. */
const PHRASE_PATTERNS: RegExp[] = [
  // "Updated 12 minutes ago", "3 hours ago", "an hour ago", "just now"
  /\b(?:(?:updated|published|posted|last updated|edited)\s*:?\s*)?(?:\d+|an?|one)\s+(?:sec(?:ond)?|min(?:ute)?|hr|hour|day|week|month|year)s?\s+ago\b/gi,
  /\b(?:updated|posted)?\s*just now\b/gi,
  // "1,204 views", "3.2K shares", "17 comments"
  /\b\d[\d,.]*\s*[kKmM]?\s+(?:views?|shares?|comments?|reads?|likes?|reactions?|claps?|responses?)\b/gi,
  // "4 min read", "5-minute read", "Reading time: 4 minutes"
  /\b(?:reading time:?\s*)?\d+(?:\s*-\s*|\s+)(?:min(?:ute)?s?)(?:\s+read)?\b/gi,
  /\b(?:advertisement|sponsored content|story continues below(?: advertisement)?|continue reading below|scroll to continue(?: with content)?)\b/gi,
];

const FURNITURE_PATTERNS: RegExp[] = [
  ...PHRASE_PATTERNS,
  ...DATE_PATTERNS,
  /\b(?:share|tweet|email|print|comments?)\b/gi,
  /\b(?:updated|published|posted|last modified|modified|at|on|by)\b/gi,
];
const LEFTOVER = /^[\s·•|,.;:()[\]\-–—/]*$/;

/** Short promotional lines inside article bodies ("READ MORE: …", newsletter, app, podcast promos). */
const PROMO_LINE =
  /^(?:read more|read also|also read|more|related|see also|recommended|watch|listen|click here|tap here|don['’]t miss|most read)\s*[:：|»›-]|^(?:sign up|subscribe)\b.*\b(?:newsletter|updates|alerts|podcast|free)\b|\b(?:newsletter|podcast)\b.*\b(?:sign up|subscribe|inbox|listen)\b|^(?:download|get) (?:the|our) .{0,40}\bapp\b|\bfollow us on\b|^listen to (?:this|the) (?:article|story)\b/i;
const PROMO_MAX_WORDS = 40;

/** Takes relative and absolute times, dates, counters and reading times out of a short text (a byline). */
export function stripFurniturePhrases(text: string): string {
  let rest = text;
  for (const pattern of [...PHRASE_PATTERNS, ...DATE_PATTERNS]) rest = rest.replace(pattern, ' ');
  return rest
    .replace(/\b(?:updated|published|posted|last modified)\b:?/gi, ' ')
    .replace(/\s+/g, ' ')
    .replace(/^[\s·•|,;:\-–—/]+|[\s·•|,;:\-–—/]+$/g, '')
    .trim();
}

export function isFurniture(block: string): boolean {
  let rest = block;
  for (const pattern of FURNITURE_PATTERNS) rest = rest.replace(pattern, ' ');
  if (rest !== block && LEFTOVER.test(rest)) return true;
  return PROMO_LINE.test(block) && block.split(/\s+/).length <= PROMO_MAX_WORDS;
}
