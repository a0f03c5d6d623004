import { DOMParser, parseHTML } from 'linkedom';
import { normalizeUrl } from './url.js';

export type FeedKind = 'rss' | 'atom' | 'sitemap' | 'sitemap-index' | 'html';

/** Query parameters that only track where a reader came from: never part of an article's identity. */
const TRACKING =
  /^(utm_[a-z]+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|ocid|cmpid|ito|smid|ref|src|s_cid|__twitter_impression)$/i;

/** One article, one URL: http(s) only, no fragment, no tracking parameters. */
export function canonicalArticleUrl(input: string, base?: string): string | undefined {
  let url: URL;
  try {
    url = new URL(input.trim(), base);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  for (const key of [...url.searchParams.keys()]) if (TRACKING.test(key)) url.searchParams.delete(key);
  try {
    return normalizeUrl(url.toString());
  } catch {
    return undefined;
  }
}

/** The page's own `<link rel="canonical">`, resolved against its URL. */
export function declaredCanonical(html: string, pageUrl: string): string | undefined {
  const match = /<link\b[^>]*\brel\s*=\s*["']?canonical["']?[^>]*>/i.exec(html.slice(0, 200_000));
  const href = match && /\bhref\s*=\s*["']([^"']+)["']/i.exec(match[0])?.[1];
  return href ? canonicalArticleUrl(href, pageUrl) : undefined;
}

/**
 * Article links from a feed or an index page: RSS items, Atom entries, sitemap and news-sitemap URLs,
 * or (HTML) same-site links matching `linkPattern`. Canonicalized and deduplicated, in document order.
 */
export function discoverLinks(
  body: string,
  pageUrl: string,
  linkPattern?: RegExp,
): { kind: FeedKind; urls: string[] } {
  const head = body.slice(0, 2000).toLowerCase();
  const xml =
    head.includes('<rss') ||
    head.includes('<feed') ||
    head.includes('<urlset') ||
    head.includes('<sitemapindex');
  let kind: FeedKind = 'html';
  let raw: string[] = [];
  if (xml) {
    const doc = new DOMParser().parseFromString(body, 'text/xml');
    const root = doc.documentElement?.tagName.toLowerCase().replace(/^.*:/, '') ?? '';
    if (root === 'rss' || root === 'rdf') {
      kind = 'rss';
      raw = [...doc.querySelectorAll('item > link')].map((e) => e.textContent ?? '');
    } else if (root === 'feed') {
      kind = 'atom';
      raw = [...doc.querySelectorAll('entry > link')]
        .filter((e) => !e.getAttribute('rel') || e.getAttribute('rel') === 'alternate')
        .map((e) => e.getAttribute('href') ?? '');
    } else if (root === 'urlset') {
      kind = 'sitemap';
      raw = [...doc.querySelectorAll('url > loc')].map((e) => e.textContent ?? '');
    } else if (root === 'sitemapindex') {
      kind = 'sitemap-index';
      raw = [...doc.querySelectorAll('sitemap > loc')].map((e) => e.textContent ?? '');
    }
  } else {
    const { document } = parseHTML(body);
    const origin = new URL(pageUrl).origin;
    raw = [...document.querySelectorAll('a[href]')]
      .map((a) => canonicalArticleUrl(a.getAttribute('href') ?? '', pageUrl) ?? '')
      .filter((url) => url.startsWith(origin) && (!linkPattern || linkPattern.test(url)));
  }
  const urls = [
    ...new Set(raw.map((u) => canonicalArticleUrl(u, pageUrl)).filter((u): u is string => Boolean(u))),
  ];
  return { kind, urls };
}

export interface CadenceStep {
  /** Applies while the article is younger than this many seconds. */
  untilAgeSeconds: number;
  everySeconds: number;
}

/** Most edits happen early: every 15 min for 6 hours, hourly for 2 days, daily for a month, weekly after. */
export const DEFAULT_AGE_CADENCE: CadenceStep[] = [
  { untilAgeSeconds: 6 * 3600, everySeconds: 15 * 60 },
  { untilAgeSeconds: 2 * 86400, everySeconds: 3600 },
  { untilAgeSeconds: 30 * 86400, everySeconds: 86400 },
  { untilAgeSeconds: Number.POSITIVE_INFINITY, everySeconds: 7 * 86400 },
];

export function ageCadenceSeconds(
  firstSeenAt: string,
  now: Date,
  steps: CadenceStep[] = DEFAULT_AGE_CADENCE,
): number {
  const age = (now.getTime() - Date.parse(firstSeenAt)) / 1000;
  return (steps.find((step) => age < step.untilAgeSeconds) ?? steps.at(-1)!).everySeconds;
}
