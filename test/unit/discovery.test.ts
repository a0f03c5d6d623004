import { describe, expect, it } from 'vitest';
import { articlePage, ORIGINAL } from '../../demo/news-site.js';
import { captureUrl, captureWatch } from '../../functions/core/capture/capture.js';
import { StagedBlobs } from '../../functions/core/capture/commit.js';
import { DEFAULT_FEED_LIMITS, discoverFromFeed } from '../../functions/core/capture/feed-capture.js';
import { watchIdFor } from '../../functions/core/domain/url.js';
import {
  ageCadenceSeconds,
  canonicalArticleUrl,
  declaredCanonical,
  discoverLinks,
  sameSite,
} from '../../functions/core/watches/discovery.js';
import { addWatch } from '../../functions/core/watches/watches.js';
import { memoryCaptureDeps } from '../support/memory.js';

const RSS = `<?xml version="1.0"?><rss version="2.0"><channel><title>Ledger</title>
<item><title>A</title><link>https://news.example/a?utm_source=rss&amp;utm_medium=feed</link></item>
<item><title>B</title><link>https://news.example/b#comments</link></item>
<item><title>A again</title><link>https://news.example/a</link></item></channel></rss>`;
const ATOM = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><link rel="alternate" href="https://news.example/c"/><link rel="replies" href="https://news.example/c/comments"/></entry></feed>`;
const SITEMAP = `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://news.example/d</loc><news:news><news:publication_date>2026-11-26</news:publication_date></news:news></url></urlset>`;
const INDEX = `<html><body><a href="/2026/11/26/e?fbclid=x">E</a><a href="/about">About</a><a href="https://elsewhere.example/2026/11/26/f">F</a><a href="javascript:void(0)">x</a></body></html>`;

describe('discoverLinks', () => {
  it('reads RSS, Atom, news sitemaps and index pages, canonicalized and deduplicated', () => {
    const whole = { truncated: false, offSite: 0 };
    expect(discoverLinks(RSS, 'https://news.example/feed.xml')).toEqual({
      kind: 'rss',
      urls: ['https://news.example/a', 'https://news.example/b'],
      ...whole,
    });
    expect(discoverLinks(ATOM, 'https://news.example/atom.xml')).toEqual({
      kind: 'atom',
      urls: ['https://news.example/c'],
      ...whole,
    });
    expect(discoverLinks(SITEMAP, 'https://news.example/sitemap.xml')).toEqual({
      kind: 'sitemap',
      urls: ['https://news.example/d'],
      ...whole,
    });
    expect(discoverLinks(INDEX, 'https://news.example/', { linkPattern: /\/\d{4}\/\d{2}\/\d{2}\// })).toEqual(
      { kind: 'html', urls: ['https://news.example/2026/11/26/e'], truncated: false, offSite: 1 },
    );
  });

  it('strips tracking parameters and fragments but keeps meaningful queries', () => {
    expect(canonicalArticleUrl('https://news.example/a?id=7&utm_campaign=x&gclid=y#top')).toBe(
      'https://news.example/a?id=7',
    );
    expect(canonicalArticleUrl('mailto:desk@news.example')).toBeUndefined();
    expect(
      declaredCanonical('<link rel="canonical" href="/a?utm_source=x">', 'https://news.example/amp/a'),
    ).toBe('https://news.example/a');
  });

  it('captures often while an article is young and rarely when it is old', () => {
    const seen = '2026-11-26T00:00:00.000Z';
    const at = (hours: number) => new Date(Date.parse(seen) + hours * 3600_000);
    expect([1, 12, 24 * 7, 24 * 60].map((h) => ageCadenceSeconds(seen, at(h)))).toEqual([
      900, 3600, 86400, 604800,
    ]);
  });
});

/** An RSS feed of `count` items linking to `host`, built as one string (a million items is ~50 MB). */
function bigFeed(count: number, host = 'news.example'): string {
  const items: string[] = [];
  for (let i = 0; i < count; i++) items.push(`<item><link>https://${host}/${i}</link></item>`);
  return `<?xml version="1.0"?><rss version="2.0"><channel>${items.join('')}</channel></rss>`;
}

describe('discoverLinks, streaming and bounded', () => {
  it("reads the item's own link: CDATA and entities decoded, other namespaces and comments ignored", () => {
    const feed = `<?xml version="1.0"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>
<atom:link href="https://news.example/feed.xml" rel="self"/>
<!-- <item><link>https://news.example/commented-out</link></item> -->
<item><atom:link href="https://news.example/not-this"/><link><![CDATA[https://news.example/x?a=1&b=2]]></link></item>
<item><description><![CDATA[<item><link>https://news.example/in-cdata</link></item>]]></description><link>https://news.example/y?a=1&amp;b=2</link></item>
</channel></rss>`;
    expect(discoverLinks(feed, 'https://news.example/feed.xml').urls).toEqual([
      'https://news.example/x?a=1&b=2',
      'https://news.example/y?a=1&b=2',
    ]);
  });

  it('reads prefixed Atom and sitemaps in their own prefix, and skips hreflang alternates', () => {
    const atom = `<a:feed xmlns:a="http://www.w3.org/2005/Atom"><a:entry><a:link rel="replies" href="/c/comments"/><a:link href='/c'/></a:entry></a:feed>`;
    expect(discoverLinks(atom, 'https://news.example/atom.xml').urls).toEqual(['https://news.example/c']);
    const sitemap = `<urlset xmlns:xhtml="http://www.w3.org/1999/xhtml"><url><xhtml:link rel="alternate" href="https://news.example/fr/d"/><loc> https://news.example/d </loc></url></urlset>`;
    expect(discoverLinks(sitemap, 'https://news.example/sitemap.xml').urls).toEqual([
      'https://news.example/d',
    ]);
  });

  it('does not take links from scripts on index pages, and survives a tag that never ends', () => {
    const page = `<html><body><script>document.write('<a href="/2026/11/26/fake">')</script>
<a href="/2026/11/26/real">R</a><a href="/2026/11/26/cut`;
    expect(discoverLinks(page, 'https://news.example/').urls).toEqual([
      'https://news.example/2026/11/26/real',
    ]);
  });

  it("keeps links to the feed's site unless the scope is any", () => {
    const feed = `<rss><channel>${[
      'https://www.news.example/a',
      'https://news.example/b',
      'https://amp.news.example/c',
      'https://evil.example/d',
      'https://example/e',
    ]
      .map((url) => `<item><link>${url}</link></item>`)
      .join('')}</channel></rss>`;
    const site = discoverLinks(feed, 'https://feeds.news.example/rss');
    expect(site.urls).toEqual(['https://www.news.example/a', 'https://news.example/b']);
    expect(site.offSite).toBe(3);
    // The watch's own URL counts too (a feed that redirected to a feed host).
    expect(
      discoverLinks(feed, 'https://feeds.host.example/x', { siteUrls: ['https://news.example/rss'] }).urls,
    ).toHaveLength(3);
    expect(discoverLinks(feed, 'https://feeds.news.example/rss', { scope: 'any' }).urls).toHaveLength(5);
  });

  it('tells one site from another without a public suffix list', () => {
    expect(sameSite('www.news.example', 'news.example')).toBe(true);
    expect(sameSite('feeds.news.example', 'www.news.example')).toBe(true);
    expect(sameSite('news.example', 'NEWS.EXAMPLE.')).toBe(true);
    expect(sameSite('news.example', 'evil.example')).toBe(false);
    expect(sameSite('a.news.example', 'b.news.example')).toBe(false);
    expect(sameSite('news.example', 'example')).toBe(false);
    expect(sameSite('news.example.evil', 'news.example')).toBe(false);
    expect(sameSite('10.0.0.1', '0.0.1')).toBe(false);
    expect(sameSite('127.0.0.1', '127.0.0.1')).toBe(true);
  });

  it('stops scanning after maxItems items and says so', () => {
    const result = discoverLinks(bigFeed(20), 'https://news.example/feed.xml', { maxItems: 5 });
    expect(result.urls).toEqual([0, 1, 2, 3, 4].map((i) => `https://news.example/${i}`));
    expect(result.truncated).toBe(true);
    expect(discoverLinks(bigFeed(5), 'https://news.example/feed.xml', { maxItems: 5 }).truncated).toBe(false);
  });

  it('reads a million-item feed only as far as its item limit', () => {
    const feed = bigFeed(1_000_000);
    const start = performance.now();
    const result = discoverLinks(feed, 'https://news.example/feed.xml');
    const ms = performance.now() - start;
    expect(result.urls).toHaveLength(DEFAULT_FEED_LIMITS.maxItems);
    expect(result.urls.at(-1)).toBe(`https://news.example/${DEFAULT_FEED_LIMITS.maxItems - 1}`);
    expect(result.truncated).toBe(true);
    // The scan of 5,000 items takes milliseconds; parsing the whole feed took the old code 48 s.
    expect(ms).toBeLessThan(10_000);
  });
});

describe('feed watches', () => {
  const setup = () => memoryCaptureDeps();

  it('turn new links into article watches with the feed tags, due now, on the age cadence', async () => {
    const { deps, catalog } = setup();
    deps.fetcher.pages.set('https://news.example/feed.xml', {
      contentType: 'application/rss+xml',
      body: RSS,
    });
    const { watch } = await addWatch(deps, {
      url: 'https://news.example/feed.xml',
      cadenceSeconds: 900,
      mode: 'auto',
      tags: ['city'],
      feed: true,
    });
    const first = await captureWatch(deps, watch);
    expect(first.capture).toMatchObject({ status: 'complete', links: 2, discovered: 2 });
    expect(deps.renderer.renders).toBe(0);
    const articles = (await catalog.listWatches()).filter((w) => w.type === 'article');
    expect(articles.map((w) => w.url)).toEqual(['https://news.example/a', 'https://news.example/b']);
    expect(articles[0]).toMatchObject({
      tags: ['city'],
      discoveredFrom: watch.id,
      firstSeenAt: '2026-11-26T10:00:00.000Z',
      cadenceSeconds: 900,
    });
    expect(articles[0]!.nextDueAt).toBe('2026-11-26T10:00:00.000Z');
    // The same feed again finds nothing new.
    expect((await captureWatch(deps, (await catalog.getWatch(watch.id))!)).capture.discovered).toBe(0);
  });

  it('fold a watch into the one its page names as canonical', async () => {
    const { deps, catalog } = setup();
    const canonical = 'https://news.example/a';
    const amp = 'https://news.example/amp/a';
    deps.fetcher.pages.set(canonical, { body: articlePage(ORIGINAL, 1) });
    await captureUrl(deps, canonical);
    deps.fetcher.pages.set(amp, {
      body: articlePage(ORIGINAL, 1).replace('<head>', `<head><link rel="canonical" href="${canonical}">`),
    });
    const result = await captureUrl(deps, amp);
    expect(result.capture.duplicateOf).toBe(canonical);
    expect((await catalog.listWatches()).map((w) => w.url)).toEqual([canonical]);
  });

  it('capture a million-item feed in part, with the limit that stopped it in the record', async () => {
    const { deps, catalog } = setup();
    deps.fetcher.pages.set('https://news.example/feed.xml', {
      contentType: 'application/rss+xml',
      body: bigFeed(1_000_000),
    });
    const { watch } = await addWatch(deps, {
      url: 'https://news.example/feed.xml',
      cadenceSeconds: 900,
      mode: 'auto',
      tags: [],
      feed: true,
    });
    const start = performance.now();
    const { capture } = await captureWatch(deps, watch);
    expect(performance.now() - start).toBeLessThan(30_000);
    expect(capture).toMatchObject({
      status: 'partial',
      reason: 'feed read in part: stopped after 5000 items (the item limit)',
      links: 5000,
      discovered: 500,
    });
    expect(catalog.watches.size).toBe(501);
  });

  it('say when only the first bytes of a feed were read', async () => {
    const { deps } = setup();
    const body = bigFeed(1000);
    deps.fetcher.pages.set('https://news.example/feed.xml', { contentType: 'application/rss+xml', body });
    const { watch } = await addWatch(deps, {
      url: 'https://news.example/feed.xml',
      cadenceSeconds: 900,
      mode: 'auto',
      tags: [],
      feed: true,
    });
    const staged = new StagedBlobs();
    const fetched = await deps.fetcher.fetch(watch.url);
    const result = await discoverFromFeed({ ...deps }, staged, watch, fetched, { maxBytes: 4096 });
    expect(result.status).toBe('partial');
    expect(result.reason).toBe(
      `feed read in part: only its first 4096 of ${body.length} bytes (the byte limit)`,
    );
    expect(result.links).toBeGreaterThan(50);
    expect(result.links).toBeLessThan(110);
  });

  it('leave links off the feed site out, unless the watch widens its scope', async () => {
    const { deps, catalog } = setup();
    deps.fetcher.pages.set('https://news.example/feed.xml', {
      contentType: 'application/rss+xml',
      body: `<rss><channel><item><link>https://news.example/a</link></item><item><link>https://victim.example/x</link></item></channel></rss>`,
    });
    const { watch } = await addWatch(deps, {
      url: 'https://news.example/feed.xml',
      cadenceSeconds: 900,
      mode: 'auto',
      tags: [],
      feed: true,
    });
    expect((await captureWatch(deps, watch)).capture).toMatchObject({
      status: 'complete',
      links: 1,
      discovered: 1,
    });
    await catalog.upsertWatch({ ...(await catalog.getWatch(watch.id))!, linkScope: 'any' });
    const wide = await captureWatch(deps, (await catalog.getWatch(watch.id))!);
    expect(wide.capture).toMatchObject({ links: 2, discovered: 1 });
    expect(await catalog.getWatch(watchIdFor('https://victim.example/x'))).toBeDefined();
  });

  it("follow a sitemap index's sitemaps as feeds, once, even when the index lists itself", async () => {
    const { deps, catalog } = setup();
    const index = 'https://news.example/sitemap_index.xml';
    const child = 'https://news.example/sitemap-news.xml';
    deps.fetcher.pages.set(index, {
      contentType: 'application/xml',
      body: `<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>${index}</loc></sitemap><sitemap><loc>${child}</loc></sitemap><sitemap><loc>${child}</loc></sitemap>
<sitemap><loc>https://elsewhere.example/sitemap.xml</loc></sitemap></sitemapindex>`,
    });
    // The child lists the index back: a loop a naive crawler would follow for ever.
    deps.fetcher.pages.set(child, {
      contentType: 'application/xml',
      body: `<sitemapindex><sitemap><loc>${index}</loc></sitemap></sitemapindex>`,
    });
    const { watch } = await addWatch(deps, {
      url: index,
      cadenceSeconds: 3600,
      mode: 'http',
      tags: ['t'],
      feed: true,
    });
    const first = await captureWatch(deps, watch);
    expect(first.capture).toMatchObject({ status: 'complete', links: 2, discovered: 1 });
    const childWatch = (await catalog.getWatch(watchIdFor(child)))!;
    expect(childWatch).toMatchObject({
      type: 'feed',
      cadenceSeconds: 3600,
      mode: 'http',
      tags: ['t'],
      discoveredFrom: watch.id,
    });
    expect(childWatch.firstSeenAt).toBeUndefined();
    const second = await captureWatch(deps, (await catalog.getWatch(watch.id))!);
    expect(second.capture.discovered).toBe(0);
    expect((await captureWatch(deps, childWatch)).capture.discovered).toBe(0);
    expect([...catalog.watches.values()].map((w) => w.url).sort()).toEqual([child, index]);
  });
});
