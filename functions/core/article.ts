import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { type Digest, sha256 } from './digest.js';
import { isFurniture } from './furniture.js';
import { canonicalText } from './text.js';

/** The words of an article, as Redline compares them. */
export interface Article {
  title: string;
  byline: string;
  lang: string;
  published?: string;
  modified?: string;
  /** Paragraphs, headings, list items and quotes of the body, in order, canonicalized. */
  blocks: string[];
}

const BLOCK_SELECTOR = 'h1,h2,h3,h4,h5,h6,p,li,blockquote,pre,figcaption,dt,dd,td,th';

function metaContent(document: Document, selectors: string[]): string | undefined {
  for (const selector of selectors) {
    const value = document.querySelector(selector)?.getAttribute('content');
    if (value?.trim()) return value.trim();
  }
  return undefined;
}

/** Extracts the article from a page. Returns an article with no blocks when none is found. */
export function extractArticle(html: string): Article {
  const { document } = parseHTML(html);
  const published = metaContent(document as unknown as Document, [
    'meta[property="article:published_time"]',
    'meta[name="date"]',
  ]);
  const modified = metaContent(document as unknown as Document, [
    'meta[property="article:modified_time"]',
    'meta[name="last-modified"]',
  ]);
  const parsed = new Readability(document as unknown as Document, {
    // Short pages are still articles to us; the anomaly rules decide whether they are too thin.
    charThreshold: 100,
  }).parse();
  const base = {
    title: canonicalText(parsed?.title ?? document.title ?? ''),
    byline: canonicalText(parsed?.byline ?? ''),
    lang: (parsed?.lang ?? document.documentElement?.getAttribute('lang') ?? '').trim(),
    ...(published ? { published } : {}),
    ...(modified ? { modified } : {}),
  };
  if (!parsed?.content) return { ...base, blocks: [] };
  return { ...base, blocks: blocksOf(parsed.content) };
}

/** Splits article HTML into its innermost block elements' text, in document order, without furniture. */
export function blocksOf(contentHtml: string): string[] {
  const { document } = parseHTML(`<!doctype html><html><body>${contentHtml}</body></html>`);
  const blocks: string[] = [];
  for (const element of document.querySelectorAll(BLOCK_SELECTOR)) {
    if (element.querySelector(BLOCK_SELECTOR)) continue; // an outer block: its children speak for it
    const text = canonicalText(element.textContent ?? '');
    if (text && !isFurniture(text)) blocks.push(text);
  }
  return blocks;
}

export function articleText(article: Article): string {
  return [article.title, article.byline, ...article.blocks].filter(Boolean).join('\n\n');
}

/** The hash of what an article says: stable serialization of its compared fields. */
export function articleHash(article: Article): Digest {
  return sha256(
    JSON.stringify({ v: 1, title: article.title, byline: article.byline, blocks: article.blocks }),
  );
}
