import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { type Digest, sha256 } from '../domain/digest.js';
import { PAYWALL } from './anomaly.js';
import { removeComments } from './comments.js';
import { collapseWhitespace, renderedText } from './dom-text.js';
import {
  FURNITURE_MAX_SHARE,
  isFurniture,
  isFurnitureName,
  longParagraphs,
  stripFurniturePhrases,
} from './furniture.js';
import { canonicalText } from './text.js';

/** The words of an article, as Redline compares them. */
export interface Article {
  title: string;
  byline: string;
  lang: string;
  /** ISO 8601 when the page says (JSON-LD, meta tags, <time>). */
  published?: string;
  modified?: string;
  /** Paragraphs, headings, list items and quotes of the body, in order, canonicalized. */
  blocks: string[];
  /** Corrections, clarifications and editor's notes, kept apart from the body. */
  corrections: string[];
  /** For documents with pages (PDF): the page of each block, 1-based. */
  pages?: number[];
  /**
   * Page-level hints, not hashed: `paywall_text`, `paywall_marker`, `not_free` (seen before furniture
   * was removed), `unterminated` (the HTML stops before </html>: a cut-off response).
   */
  signals?: string[];
}

const BLOCK_SELECTOR = 'h1,h2,h3,h4,h5,h6,p,li,blockquote,pre,figcaption,dt,dd,td,th';
const CORRECTION =
  /^(?:corrections?|clarifications?|editor['’]?s[’']? note|editors['’]? note|update[d]?|an earlier version of this (?:article|story|report|post))\b[^:：—–-]{0,60}[:：—–-]?/i;

type JsonLd = Record<string, unknown>;

function jsonLdObjects(html: string): JsonLd[] {
  const objects: JsonLd[] = [];
  const pattern = /<script[^>]*type\s*=\s*["']?application\/ld\+json["']?[^>]*>([\s\S]*?)<\/script>/gi;
  for (const match of html.matchAll(pattern)) {
    try {
      const visit = (value: unknown): void => {
        if (Array.isArray(value)) value.forEach(visit);
        else if (value && typeof value === 'object') {
          objects.push(value as JsonLd);
          const graph = (value as JsonLd)['@graph'];
          if (graph) visit(graph);
        }
      };
      visit(JSON.parse(match[1]!));
    } catch {
      // Malformed JSON-LD is common; the meta tags still speak.
    }
  }
  return objects;
}

function isoDate(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value.trim()) return undefined;
  const time = Date.parse(value.trim());
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

function authorNames(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(authorNames);
  if (value && typeof value === 'object' && typeof (value as JsonLd).name === 'string') {
    return [(value as JsonLd).name as string];
  }
  return [];
}

const ARTICLE_TYPES = /Article|BlogPosting|Report|NewsArticle|WebPage/;

/** Removes scripts, styles and comments before parsing: extraction never reads them, and they are most of a page's bytes. */
function stripInert(html: string): string {
  return html
    .replace(/<script\b[^>]*>[\s\S]*?<\/script\s*>/gi, '')
    .replace(/<style\b[^>]*>[\s\S]*?<\/style\s*>/gi, '')
    .replace(/<!--[\s\S]*?-->/g, '');
}

function removeFurniture(document: Document): void {
  const total = (document.body?.textContent ?? '').length || 1;
  const candidates = document.querySelectorAll(
    '[class],[id],aside,[role="complementary"],[hidden],[aria-hidden="true"],template,noscript,iframe,form,button,svg',
  );
  for (const element of candidates) {
    if (!element.isConnected) continue;
    const tag = element.tagName.toLowerCase();
    const structural =
      ['template', 'noscript', 'iframe', 'form', 'button', 'svg'].includes(tag) ||
      element.hasAttribute('hidden');
    const named =
      isFurnitureName(element.getAttribute('class') ?? '') ||
      isFurnitureName(element.getAttribute('id') ?? '') ||
      tag === 'aside' ||
      element.getAttribute('role') === 'complementary';
    if (!structural && !named) continue;
    if (['html', 'body', 'main', 'article'].includes(tag)) continue;
    if ((element.textContent ?? '').length / total >= FURNITURE_MAX_SHARE) continue;
    // Story text hides in containers with furniture-like names ("read-more" expanders): keep prose.
    if (named && !structural && longParagraphs(element) > 2) continue;
    element.remove();
  }
}

const PAYWALL_MARKER =
  '[class*="paywall" i],[id*="paywall" i],[class*="regwall" i],[data-paywall],[class*="subscriber-only" i],[class*="login-gate" i]';

/** Paywall and login-wall hints from the whole page: phrases, marker elements, JSON-LD access flags. */
function paywallSignals(document: Document, ld: JsonLd[]): string[] {
  const signals: string[] = [];
  if (PAYWALL.test(canonicalText(document.body?.textContent ?? ''))) signals.push('paywall_text');
  if (document.querySelector(PAYWALL_MARKER)) signals.push('paywall_marker');
  if (ld.some((o) => o.isAccessibleForFree === false || o.isAccessibleForFree === 'False'))
    signals.push('not_free');
  return signals;
}

const BYLINE_SELECTOR =
  '[rel="author"],[itemprop="author"],[class*="byline" i],[class*="author-name" i],[class*="authorName" i],[data-testid*="byline" i]';
const DATE_LIKE = /^[\W\d]*$|^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,|\b\d{4}\b/i;

/** The byline a reader sees on the page, with dates, times and counters taken out. */
function visibleByline(document: Document): string {
  for (const element of document.querySelectorAll(BYLINE_SELECTOR)) {
    let text = stripFurniturePhrases(canonicalText(renderedText(element)));
    // A long byline block ("By A, a deputy editor and author of …"): the names come first.
    if (text.length > 120)
      text = text
        .slice(0, 120)
        .split(/,|\s[|·•–—-]\s/)[0]!
        .trim();
    if (text.length >= 3 && text.length <= 120 && /\p{L}{2}/u.test(text)) return text;
  }
  return '';
}

function metaContent(document: Document, selectors: string[]): string | undefined {
  for (const selector of selectors) {
    const value = document.querySelector(selector)?.getAttribute('content');
    if (value?.trim()) return value.trim();
  }
  return undefined;
}

/** Extracts the article from a page. Returns an article with no blocks when none is found. */
export function extractArticle(html: string): Article {
  const ld = jsonLdObjects(html).filter((o) => ARTICLE_TYPES.test(String(o['@type'] ?? '')));
  const { document: parsed } = parseHTML(stripInert(html));
  const document = parsed as unknown as Document;
  // Indentation is not text: collapse it as a browser does before anything reads the tree.
  collapseWhitespace(document);

  const published =
    isoDate(ld.find((o) => o.datePublished)?.datePublished) ??
    isoDate(
      metaContent(document, [
        'meta[property="article:published_time"]',
        'meta[itemprop="datePublished"]',
        'meta[name="date"]',
        'meta[name="pubdate"]',
        'meta[name="publish-date"]',
        'meta[name="DC.date.issued"]',
        'meta[name="parsely-pub-date"]',
      ]),
    ) ??
    isoDate(document.querySelector('time[datetime]')?.getAttribute('datetime'));
  const modified =
    isoDate(ld.find((o) => o.dateModified)?.dateModified) ??
    isoDate(
      metaContent(document, [
        'meta[property="article:modified_time"]',
        'meta[itemprop="dateModified"]',
        'meta[property="og:updated_time"]',
        'meta[name="last-modified"]',
      ]),
    );
  const metaAuthor = metaContent(document, ['meta[name="author"]', 'meta[property="article:author"]']);
  const lang = (document.documentElement?.getAttribute('lang') ?? '').trim();

  const signals = paywallSignals(document, ld);
  if (!/<\/html\s*>/i.test(html.slice(-4096))) signals.push('unterminated');
  removeComments(document);
  const seen = visibleByline(document);
  removeFurniture(document);
  const result = new Readability(document, { charThreshold: 100 }).parse();
  const ldAuthors = [...new Set(ld.flatMap((o) => authorNames(o.author)))];
  const readabilityByline = stripFurniturePhrases(canonicalText(result?.byline ?? ''));
  const byline = canonicalText(
    seen ||
      (DATE_LIKE.test(readabilityByline) ? '' : readabilityByline) ||
      (ldAuthors.length ? ldAuthors.join(', ') : '') ||
      (metaAuthor?.startsWith('http') ? '' : (metaAuthor ?? '')),
  );
  const { blocks, corrections } = result?.content
    ? blocksOf(result.content)
    : { blocks: [], corrections: [] };
  return {
    title: canonicalText(result?.title || String(ld[0]?.headline ?? '') || document.title || ''),
    byline,
    lang: (result?.lang ?? lang).trim(),
    ...(published ? { published } : {}),
    ...(modified ? { modified } : {}),
    blocks: blocks.filter((block) => block !== byline),
    corrections,
    ...(signals.length ? { signals } : {}),
  };
}

/** Splits article HTML into its innermost block elements' text, in document order, without furniture. */
export function blocksOf(contentHtml: string): { blocks: string[]; corrections: string[] } {
  const { document } = parseHTML(`<!doctype html><html><body>${contentHtml}</body></html>`);
  const blocks: string[] = [];
  const corrections: string[] = [];
  for (const element of document.querySelectorAll(BLOCK_SELECTOR)) {
    if (element.querySelector(BLOCK_SELECTOR)) continue; // an outer block: its children speak for it
    const text = canonicalText(renderedText(element));
    if (!text || isFurniture(text)) continue;
    if (CORRECTION.test(text)) corrections.push(text);
    else blocks.push(text);
  }
  return { blocks, corrections };
}

export function articleText(article: Article): string {
  return [article.title, article.byline, ...article.blocks, ...article.corrections]
    .filter(Boolean)
    .join('\n\n');
}

/** The hash of what an article says: stable serialization of its compared fields (ADR 0002). */
export function articleHash(article: Article): Digest {
  return sha256(
    JSON.stringify({
      v: 2,
      title: article.title,
      byline: article.byline,
      blocks: article.blocks,
      corrections: article.corrections,
    }),
  );
}
