/**
 * Page furniture: parts of a page that change without the story changing. Two kinds of signal:
 * structural (class/id tokens of promos, share bars, related links, ads, cookie banners, comments),
 * removed before extraction; and textual (blocks that are only a relative timestamp, a counter, a
 * reading time, an ad label, or a short promo line), dropped after extraction. The rules are listed in
 * docs/adr/0002-canonical-text.md.
 */

/** A furniture container is removed only when it holds less than this share of the page's text. */
export const FURNITURE_MAX_SHARE = 0.3;

/** Paragraphs of over 120 characters: story text, when a furniture-named container holds several. */
export function longParagraphs(element: Element): number {
  let count = 0;
  for (const p of element.querySelectorAll('p')) if ((p.textContent ?? '').length > 120) count++;
  return count;
}

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

/**
 * Class or id token parts that name a comment section or its embed: WordPress (`comment-list`,
 * `commentlist`, `#respond`), Disqus, Coral, Viafoura, Commento, Livefyre, OpenWeb/Spot.IM, Hyvor,
 * giscus/utterances. `commentary` (an opinion label) is not one.
 */
const COMMENT_PART =
  /^(?:(?:user|reader|readers|article|post|story|fb)?comments?(?:list|area|section|thread|threads|block|container|wrapper|box|form|count|stream|widget)?|respond|disqus|dsq|commento|coral|viafoura|livefyre|spotim|openweb|hyvor|giscus|utterances|remark42)$/;

/**
 * Whether a class/id attribute names a comment section: `strong` for names only comment systems use,
 * `weak` for a bare `comment` part, which also labels opinion pieces ("content--type-comment").
 */
export function commentName(name: string): 'strong' | 'weak' | undefined {
  let found: 'weak' | undefined;
  for (const token of name.toLowerCase().split(/\s+/)) {
    if (!token) continue;
    for (const part of token.split(/[-_:]+/)) {
      if (part === 'comment') found = 'weak';
      else if (COMMENT_PART.test(part)) return 'strong';
    }
  }
  return found;
}

/**
 * The heading or prompt of a comment section, as a whole line, in English, French, German, Spanish,
 * Portuguese, Italian and Dutch: "Comments (12)", "12 Comments", "3 thoughts on “…”", "Leave a Reply",
 * "Join the conversation", "Commentaires", "Kommentare", "Deja un comentario", "Deixe seu comentário".
 * Headings that also title news sections ("Reactions", "Discussion", "Public comments") are not here.
 */
const COMMENT_LINE = new RegExp(
  [
    // counts and bare labels: "Comments", "12 comments", "Comments (12)", "Kommentare: 4", "Reader comments"
    // (a bare singular "Comment"/"Kommentar" is an opinion label, not a comment section)
    String.raw`^(?:\d[\d,.]*\s+(?:comments?|commentaires?|kommentare?|comentarios?|comentários?|commenti|commento|reacties|reactie)|(?:reader\s+|user\s+|leser)?(?:comments|commentaires|kommentare|comentarios|comentários|commenti|reacties)(?:\s*[(\[:]?\s*\d[\d,.]*\s*[)\]]?)?)\s*[:.]?$`,
    // WordPress counts: "3 thoughts on “Title”", "12 Responses to “Title”", "One reply on …"
    String.raw`^(?:\d+|one|no)\s+(?:thoughts?|responses?|replies|reply|comments?)\s+(?:on|to)\b.{0,200}$`,
    // prompts
    String.raw`^(?:leave|post|add|write|submit)\s+(?:a|your|new)\s+(?:comment|reply|response)\b.{0,30}$`,
    String.raw`^(?:cancel reply|be the first to comment|show comments|view comments|load comments|see all comments|you must be (?:logged in|signed in) to post a comment)\b.{0,20}$`,
    String.raw`^join (?:the|our) (?:conversation|discussion|debate)\b.{0,20}$`,
    // fr
    String.raw`^(?:laisser|laissez|ajouter|écrire|poster|publier)\s+(?:un|votre)\s+commentaire\b.{0,20}$`,
    String.raw`^(?:réagir|réagissez|réagissez à cet article|participez (?:à|au) (?:la )?(?:discussion|débat|conversation)|voir les commentaires|afficher les commentaires)\b.{0,20}$`,
    // de
    String.raw`^(?:(?:neuen|einen|ihren)\s+kommentar\s+(?:hinzufügen|schreiben|verfassen)|kommentar\s+(?:schreiben|verfassen|hinzufügen)|kommentieren|diskutieren sie mit|jetzt kommentieren|kommentare (?:anzeigen|lesen|einblenden)|leserkommentare)\b.{0,20}$`,
    // es
    String.raw`^(?:deja|dejar|deje|escribe|añade|agrega|publica)\s+(?:un|tu|su)\s+comentario\b.{0,20}$`,
    String.raw`^(?:únete a la conversación|participa en la conversación|ver comentarios|mostrar comentarios)\b.{0,20}$`,
    // pt
    String.raw`^(?:deixe|deixar|escreva|adicione|publique)\s+(?:um|seu|o seu|sua)\s+comentário\b.{0,20}$`,
    String.raw`^(?:participe da (?:conversa|discussão)|ver comentários|comente)\b.{0,20}$`,
    // it, nl
    String.raw`^(?:lascia un commento|scrivi un commento|reageer|plaats een reactie|laat een reactie achter)\b.{0,20}$`,
  ].join('|'),
  'iu',
);
const COMMENT_LINE_MAX_WORDS = 30;

/** Whether a heading or a short line is a comment section's title or prompt. */
export function isCommentLine(text: string): boolean {
  return text.split(/\s+/).length <= COMMENT_LINE_MAX_WORDS && COMMENT_LINE.test(text.trim());
}

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
  if (isCommentLine(block)) return true;
  let rest = block;
  for (const pattern of FURNITURE_PATTERNS) rest = rest.replace(pattern, ' ');
  if (rest !== block && LEFTOVER.test(rest)) return true;
  return PROMO_LINE.test(block) && block.split(/\s+/).length <= PROMO_MAX_WORDS;
}
