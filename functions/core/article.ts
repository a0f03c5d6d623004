import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { type Digest, sha256 } from './digest.js';
import { isFurniture, isFurnitureName } from './furniture.js';
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
}

const BLOCK_SELECTOR = 'h1,h2,h3,h4,h5,h6,p,li,blockquote,pre,figcaption,dt,dd,td,th';
const CORRECTION =
  /^(?:corrections?|clarifications?|editor['’]?s[’']? note|editors['’]? note|update[d]?|an earlier version of this (?:article|story|report|post))\b[^:：—–-]{0,60}[:：—–-]?/i;
/** A furniture container is removed only when it holds less than this share of the page's text. */
const FURNITURE_MAX_SHARE = 0.3;

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

function longParagraphs(element: Element): number {
  let count = 0;
  for (const p of element.querySelectorAll('p')) if ((p.textContent ?? '').length > 120) count++;
  return count;
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

  removeFurniture(document);
  const result = new Readability(document, { charThreshold: 100 }).parse();
  const ldAuthors = [...new Set(ld.flatMap((o) => authorNames(o.author)))];
  const byline = canonicalText(
    result?.byline ||
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
  };
}

/** Splits article HTML into its innermost block elements' text, in document order, without furniture. */
export function blocksOf(contentHtml: string): { blocks: string[]; corrections: string[] } {
  const { document } = parseHTML(`<!doctype html><html><body>${contentHtml}</body></html>`);
  const blocks: string[] = [];
  const corrections: string[] = [];
  for (const element of document.querySelectorAll(BLOCK_SELECTOR)) {
    if (element.querySelector(BLOCK_SELECTOR)) continue; // an outer block: its children speak for it
    const text = canonicalText(element.textContent ?? '');
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
