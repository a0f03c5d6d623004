import { describe, expect, it } from 'vitest';
import { Politeness } from '../../functions/core/politeness.js';
import { StaticFetcher } from '../support/memory.js';

function setup(robots?: { status?: number; body: string }) {
  const fetcher = new StaticFetcher();
  if (robots) fetcher.pages.set('https://news.example/robots.txt', { contentType: 'text/plain', ...robots });
  let now = 1_000_000;
  const slept: number[] = [];
  const politeness = new Politeness(
    fetcher,
    { now: () => new Date(now) },
    { respectRobots: true, minDelayMs: 1000, robotsTtlMs: 60_000, agent: 'Redline' },
    async (ms) => {
      slept.push(ms);
      now += ms;
    },
  );
  return { fetcher, politeness, slept, advance: (ms: number) => (now += ms) };
}

describe('Politeness', () => {
  it('honours Disallow rules for Redline and for everyone, and caches robots.txt per origin', async () => {
    const { politeness, fetcher } = setup({
      body: 'User-agent: Redline\nDisallow: /private/\n\nUser-agent: *\nDisallow: /admin/\n',
    });
    expect(await politeness.disallowed('https://news.example/private/story')).toBe(
      'disallowed by robots.txt',
    );
    expect(await politeness.disallowed('https://news.example/news/story')).toBeUndefined();
    expect(fetcher.requests.filter((r) => r.url.endsWith('/robots.txt'))).toHaveLength(1);
  });

  it('allows everything on a missing robots.txt and nothing while it answers 5xx', async () => {
    expect(
      await setup({ status: 404, body: '' }).politeness.disallowed('https://news.example/a'),
    ).toBeUndefined();
    expect(await setup().politeness.disallowed('https://news.example/a')).toBeUndefined(); // unreachable
    expect(await setup({ status: 503, body: '' }).politeness.disallowed('https://news.example/a')).toMatch(
      /503/,
    );
  });

  it('paces requests to one host by the larger of its minimum delay and Crawl-delay', async () => {
    const { politeness, slept } = setup({ body: 'User-agent: *\nCrawl-delay: 3\n' });
    await politeness.disallowed('https://news.example/a');
    await politeness.waitTurn('https://news.example/a');
    await politeness.waitTurn('https://news.example/b');
    await politeness.waitTurn('https://other.example/c');
    expect(slept).toEqual([3000]);
  });
});
