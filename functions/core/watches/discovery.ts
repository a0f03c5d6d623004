import { normalizeUrl } from '../domain/url.js';

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

export type LinkScope = 'site' | 'any';

/** Feed reading stops after this many items (RSS items, Atom entries, sitemap URLs, index-page links). */
export const DEFAULT_MAX_FEED_ITEMS = 5000;

/** A host as a site: lower case, no trailing dot, no leading `www.`. */
function siteOf(host: string): string {
  return host
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^www\./, '');
}

const IP_HOST = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:.]+\])$/i;

/**
 * Whether two hosts belong to one site without a public-suffix list: the same host, `www.` aside, or one
 * a subdomain of the other (feeds.example.com and www.example.com; not news.example.com and
 * evil.example.com). A bare one-label host is never a parent; IP addresses match only themselves.
 */
export function sameSite(a: string, b: string): boolean {
  if (IP_HOST.test(a) || IP_HOST.test(b)) return a.toLowerCase() === b.toLowerCase();
  const x = siteOf(a);
  const y = siteOf(b);
  if (x === y) return true;
  const [shorter, longer] = x.length < y.length ? [x, y] : [y, x];
  return shorter.includes('.') && longer.endsWith(`.${shorter}`);
}

export interface DiscoverOptions {
  /** HTML index pages: only links matching this pattern are articles. */
  linkPattern?: RegExp;
  /** `site` (default): only links on the site of `pageUrl` or of one of `siteUrls`. */
  scope?: LinkScope;
  /** More URLs whose site counts as the feed's own (the watch's URL when a redirect moved the feed). */
  siteUrls?: string[];
  /** The scan stops after this many items. */
  maxItems?: number;
}

export interface DiscoveredLinks {
  kind: FeedKind;
  /** Canonical, deduplicated, in document order. */
  urls: string[];
  /** The scan stopped at `maxItems` before the end of the document. */
  truncated: boolean;
  /** Links left out because they lead off the feed's site. */
  offSite: number;
}

type Token =
  | { type: 'open'; name: string; attrs: string; selfClosing: boolean }
  | { type: 'close'; name: string }
  | { type: 'text'; text: string; cdata?: boolean };

const NAME = /[A-Za-z_][\w.:-]*/y;
/** HTML elements whose content is text, never tags. */
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'noscript', 'template']);

/**
 * A forgiving streaming tag scanner for XML and HTML: it yields tags and text in document order and builds
 * no tree, so its consumer decides when to stop. One pass: each step consumes input up to where it ends.
 * Text comes with entities still encoded, CDATA contents as text.
 */
function* tokens(doc: string, html: boolean): Generator<Token> {
  let i = 0;
  while (i < doc.length) {
    const lt = doc.indexOf('<', i);
    if (lt === -1) {
      yield { type: 'text', text: doc.slice(i) };
      return;
    }
    if (lt > i) yield { type: 'text', text: doc.slice(i, lt) };
    const skipTo = (marker: string, from: number) => {
      const at = doc.indexOf(marker, from);
      return at === -1 ? doc.length : at + marker.length;
    };
    if (doc.startsWith('<!--', lt)) {
      i = skipTo('-->', lt + 4);
      continue;
    }
    if (doc.startsWith('<![CDATA[', lt)) {
      i = skipTo(']]>', lt + 9);
      yield { type: 'text', cdata: true, text: doc.slice(lt + 9, Math.max(lt + 9, i - 3)) };
      continue;
    }
    if (doc[lt + 1] === '?' || doc[lt + 1] === '!') {
      i = skipTo('>', lt + 2);
      continue;
    }
    const closing = doc[lt + 1] === '/';
    NAME.lastIndex = lt + (closing ? 2 : 1);
    const name = NAME.exec(doc)?.[0];
    if (!name) {
      yield { type: 'text', text: '<' };
      i = lt + 1;
      continue;
    }
    // The tag ends at the first '>' outside quotes; one that never ends ends the document.
    let end = NAME.lastIndex;
    let quote = '';
    for (; end < doc.length; end++) {
      const c = doc[end]!;
      if (quote) {
        if (c === quote) quote = '';
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '>') break;
    }
    if (end >= doc.length) return;
    i = end + 1;
    if (closing) {
      yield { type: 'close', name };
      continue;
    }
    const inner = doc.slice(NAME.lastIndex, end);
    const selfClosing = inner.endsWith('/');
    yield { type: 'open', name, attrs: selfClosing ? inner.slice(0, -1) : inner, selfClosing };
    const lower = name.toLowerCase();
    if (html && !selfClosing && RAW_TEXT.has(lower)) {
      const close = new RegExp(`</${lower}[\\s>]`, 'gi');
      close.lastIndex = i;
      i = close.exec(doc)?.index ?? doc.length;
    }
  }
}

const ENTITY = /&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function decodeEntities(text: string): string {
  return text.replace(ENTITY, (whole, body: string) => {
    const lower = body.toLowerCase();
    if (lower in NAMED) return NAMED[lower]!;
    const code = lower.startsWith('#x') ? Number.parseInt(lower.slice(2), 16) : Number(lower.slice(1));
    return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

const ATTRIBUTE = /([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;
function attribute(attrs: string, wanted: string): string | undefined {
  for (const match of attrs.matchAll(ATTRIBUTE)) {
    if (match[1]!.toLowerCase() === wanted) return decodeEntities(match[2] ?? match[3] ?? match[4] ?? '');
  }
  return undefined;
}

const splitName = (name: string) => {
  const colon = name.indexOf(':');
  return colon === -1
    ? { prefix: '', local: name }
    : { prefix: name.slice(0, colon), local: name.slice(colon + 1) };
};

/** Per feed vocabulary: the element that is one item, and where its link is. */
const VOCABULARY: Record<
  Exclude<FeedKind, 'html'>,
  { item: string; link: string; fromAttribute: boolean }
> = {
  rss: { item: 'item', link: 'link', fromAttribute: false },
  atom: { item: 'entry', link: 'link', fromAttribute: true },
  sitemap: { item: 'url', link: 'loc', fromAttribute: false },
  'sitemap-index': { item: 'sitemap', link: 'loc', fromAttribute: false },
};

const ROOTS: Record<string, Exclude<FeedKind, 'html'>> = {
  rss: 'rss',
  RDF: 'rss',
  feed: 'atom',
  urlset: 'sitemap',
  sitemapindex: 'sitemap-index',
};

/**
 * Raw links, one per item, from a feed whose root element the scan has just read: `item > link` (RSS
 * 2.0 and 1.0), `entry > link[rel=alternate]` (Atom), `url > loc`, `sitemap > loc`. Items and links are
 * in the feed's own namespace prefix (RSS: none), so `<atom:link>` in an RSS item or `<xhtml:link>` in a
 * sitemap URL is not taken for the item's link. Stops after `maxItems` items.
 */
function feedLinks(
  scan: Generator<Token>,
  kind: Exclude<FeedKind, 'html'>,
  prefix: string,
  maxItems: number,
): { raw: string[]; truncated: boolean } {
  const { item, link, fromAttribute } = VOCABULARY[kind];
  const own = (name: string, local: string) => {
    const parts = splitName(name);
    return parts.local === local && parts.prefix === prefix;
  };
  const raw: string[] = [];
  let depth = 1; // inside the root
  let itemDepth = 0; // depth of the open item, 0 outside one
  let found: string | undefined; // the item's link, once read
  let reading: string[] | undefined; // text of the link element being read
  let items = 0;
  for (const token of scan) {
    if (token.type === 'open') {
      if (itemDepth === 0 && own(token.name, item)) {
        if (items >= maxItems) return { raw, truncated: true };
        items++;
        found = undefined;
        if (!token.selfClosing) itemDepth = depth + 1;
      } else if (itemDepth > 0 && depth === itemDepth && found === undefined && own(token.name, link)) {
        if (fromAttribute) {
          const rel = attribute(token.attrs, 'rel');
          if (!rel || rel === 'alternate') found = attribute(token.attrs, 'href') ?? '';
        } else if (!token.selfClosing) reading = [];
      }
      if (!token.selfClosing) depth++;
    } else if (token.type === 'close') {
      depth--;
      if (reading && depth === itemDepth) {
        found = reading.join('');
        reading = undefined;
      }
      if (itemDepth > 0 && depth < itemDepth) {
        if (found) raw.push(found);
        itemDepth = 0;
      }
    } else if (reading) {
      reading.push(token.cdata ? token.text : decodeEntities(token.text));
    }
  }
  return { raw, truncated: false };
}

/** `<a href>` links of an HTML page, up to `maxItems` anchors. */
function anchorLinks(scan: Generator<Token>, maxItems: number): { raw: string[]; truncated: boolean } {
  const raw: string[] = [];
  for (const token of scan) {
    if (token.type !== 'open' || token.name.toLowerCase() !== 'a') continue;
    const href = attribute(token.attrs, 'href');
    if (href === undefined) continue;
    if (raw.length >= maxItems) return { raw, truncated: true };
    raw.push(href);
  }
  return { raw, truncated: false };
}

/**
 * Article links from a feed or an index page: RSS items, Atom entries, sitemap and news-sitemap URLs,
 * a sitemap index's sitemaps, or (HTML) links matching `linkPattern`. The document is scanned in one
 * streaming pass that stops after `maxItems` items, so a feed of a million items costs what its first
 * `maxItems` do. Links are canonicalized, deduplicated, in document order, and kept to the feed's site
 * unless the scope is `any`.
 */
export function discoverLinks(body: string, pageUrl: string, options: DiscoverOptions = {}): DiscoveredLinks {
  const maxItems = options.maxItems ?? DEFAULT_MAX_FEED_ITEMS;
  // The root element says what the document is; a page whose first tag is not a feed root is HTML.
  const probe = tokens(body, false);
  let kind: FeedKind = 'html';
  let prefix = '';
  // Read by hand: a for-of that breaks would close the generator the feed scan goes on with.
  for (let step = probe.next(); !step.done; step = probe.next()) {
    const token = step.value;
    if (token.type !== 'open') continue;
    const parts = splitName(token.name);
    const root = Object.hasOwn(ROOTS, parts.local) ? ROOTS[parts.local] : undefined;
    if (root) {
      kind = root;
      prefix = root === 'rss' ? '' : parts.prefix;
    }
    break;
  }
  const { raw, truncated } =
    kind === 'html' ? anchorLinks(tokens(body, true), maxItems) : feedLinks(probe, kind, prefix, maxItems);

  const sites = [pageUrl, ...(options.siteUrls ?? [])].map((u) => new URL(u).hostname);
  const urls = new Set<string>();
  let offSite = 0;
  for (const link of raw) {
    const url = canonicalArticleUrl(link, pageUrl);
    if (!url || urls.has(url)) continue;
    if (options.scope !== 'any' && !sites.some((host) => sameSite(host, new URL(url).hostname))) {
      offSite++;
      continue;
    }
    if (kind === 'html' && options.linkPattern && !options.linkPattern.test(url)) continue;
    urls.add(url);
  }
  return { kind, urls: [...urls], truncated, offSite };
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
