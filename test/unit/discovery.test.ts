import { describe, expect, it } from 'vitest';
import { articlePage, ORIGINAL } from '../../demo/news-site.js';
import { captureUrl, captureWatch } from '../../functions/core/capture.js';
import {
  ageCadenceSeconds,
  canonicalArticleUrl,
  declaredCanonical,
  discoverLinks,
} from '../../functions/core/discovery.js';
import { addWatch } from '../../functions/core/watches.js';
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
    expect(discoverLinks(RSS, 'https://news.example/feed.xml')).toEqual({
      kind: 'rss',
      urls: ['https://news.example/a', 'https://news.example/b'],
    });
    expect(discoverLinks(ATOM, 'https://news.example/atom.xml')).toEqual({
      kind: 'atom',
      urls: ['https://news.example/c'],
    });
    expect(discoverLinks(SITEMAP, 'https://news.example/sitemap.xml')).toEqual({
      kind: 'sitemap',
      urls: ['https://news.example/d'],
    });
    expect(discoverLinks(INDEX, 'https://news.example/', /\/\d{4}\/\d{2}\/\d{2}\//)).toEqual({
      kind: 'html',
      urls: ['https://news.example/2026/11/26/e'],
    });
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
});
