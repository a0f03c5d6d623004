import { describe, expect, it } from 'vitest';
import { Politeness } from '../../functions/core/capture/politeness.js';
import { DeadlineError, FetchError } from '../../functions/core/domain/errors.js';
import type { FetchedResponse, FetchOptions, HttpFetcher } from '../../functions/core/domain/ports.js';
import { StaticFetcher } from '../support/memory.js';

function setup(robots?: { status?: number; body: string }) {
  const fetcher = new StaticFetcher();
  if (robots) fetcher.pages.set('https://news.example/robots.txt', { contentType: 'text/plain', ...robots });
  let now = 1_000_000;
  const slept: number[] = [];
  const politeness = new Politeness(
    fetcher,
    { now: () => new Date(now) },
    { respectRobots: true, minDelayMs: 1000, robotsTtlMs: 60_000, robotsRetryMs: 10_000, agent: 'Redline' },
    async (ms) => {
      slept.push(ms);
      now += ms;
    },
  );
  return { fetcher, politeness, slept, advance: (ms: number) => (now += ms) };
}

/** A server that never finishes answering: the fetch ends only when its signal aborts, as a real one does. */
class HangingFetcher implements HttpFetcher {
  readonly signals: AbortSignal[] = [];
  fetch(_url: string, _conditional?: unknown, options?: FetchOptions): Promise<FetchedResponse> {
    const signal = options?.signal;
    if (signal) this.signals.push(signal);
    return new Promise((_, reject) =>
      signal?.addEventListener('abort', () =>
        reject(new FetchError('fetch stopped', 'timeout', { cause: signal.reason })),
      ),
    );
  }
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

  it('allows everything on a missing robots.txt, and nothing while it answers 5xx or is unreachable (RFC 9309)', async () => {
    expect(
      await setup({ status: 404, body: '' }).politeness.disallowed('https://news.example/a'),
    ).toBeUndefined();
    expect(await setup().politeness.disallowed('https://news.example/a')).toMatch(
      /^could not resolve news\.example; robots\.txt unreachable, not fetching for now$/,
    );
    expect(await setup({ status: 503, body: '' }).politeness.disallowed('https://news.example/a')).toMatch(
      /503/,
    );
  });

  it('tries an unreachable robots.txt again after the retry delay, not the full TTL', async () => {
    const { politeness, fetcher, advance } = setup();
    expect(await politeness.disallowed('https://news.example/a')).toMatch(/unreachable/);
    fetcher.pages.set('https://news.example/robots.txt', { contentType: 'text/plain', body: '' });
    advance(5_000);
    expect(await politeness.disallowed('https://news.example/a')).toMatch(/unreachable/);
    advance(6_000);
    expect(await politeness.disallowed('https://news.example/a')).toBeUndefined();
  });

  it('asks for at most robotsMaxBytes and closes the host when robots.txt is bigger', async () => {
    const { politeness, fetcher } = setup({ body: `User-agent: *\n${'Allow: /x\n'.repeat(60_000)}` });
    // StaticFetcher ignores the cap, so check the cap is asked for; the real fetcher enforces it (integration).
    const seen: (FetchOptions | undefined)[] = [];
    const original = fetcher.fetch.bind(fetcher);
    fetcher.fetch = async (url, conditional, options?: FetchOptions) => {
      seen.push(options);
      if (options?.maxBodyBytes !== undefined)
        throw new FetchError(`body of ${url} exceeds ${options.maxBodyBytes} bytes`, 'body_too_large');
      return original(url, conditional);
    };
    expect(await politeness.disallowed('https://news.example/a')).toBe(
      `robots.txt is larger than ${512 * 1024} bytes, not fetching for now`,
    );
    expect(seen[0]?.maxBodyBytes).toBe(512 * 1024);
  });

  it('gives robots.txt its own budget: a robots.txt that never arrives closes the host for now', async () => {
    const fetcher = new HangingFetcher();
    const politeness = new Politeness(fetcher, { now: () => new Date() }, { robotsTimeoutMs: 100 });
    const refusal = await politeness.disallowed('https://slow.example/a');
    expect(refusal).toMatch(
      /^fetching https:\/\/slow\.example\/robots\.txt stopped: the robots\.txt budget of 100 ms ran out after \d+ ms; robots\.txt unreachable, not fetching for now$/,
    );
    const reason = fetcher.signals[0]!.reason as DeadlineError;
    expect(reason).toBeInstanceOf(DeadlineError);
    expect(reason.budget).toBe('robots.txt');
  });

  it("stops at the caller's signal and remembers nothing about the host", async () => {
    const fetcher = new HangingFetcher();
    const politeness = new Politeness(fetcher, { now: () => new Date() }, { robotsTimeoutMs: 60_000 });
    const controller = new AbortController();
    const reason = new DeadlineError('capture', 50, 50);
    setTimeout(() => controller.abort(reason), 50);
    await expect(politeness.disallowed('https://slow.example/a', controller.signal)).rejects.toBe(reason);
    // Asked again, it fetches again (the abort was the caller's, not the host's fault).
    const again = new AbortController();
    again.abort(reason);
    await expect(politeness.disallowed('https://slow.example/a', again.signal)).rejects.toBe(reason);
    expect(fetcher.signals).toHaveLength(2);
  });

  it('paces requests to one host by the larger of its minimum delay and Crawl-delay', async () => {
    const { politeness, slept } = setup({ body: 'User-agent: *\nCrawl-delay: 3\n' });
    await politeness.disallowed('https://news.example/a');
    await politeness.waitTurn('https://news.example/a');
    await politeness.waitTurn('https://news.example/b');
    await politeness.waitTurn('https://other.example/c');
    expect(slept).toEqual([3000]);
  });

  it('caps Crawl-delay, and stops waiting for a turn when the signal aborts', async () => {
    const { politeness, slept } = setup({ body: 'User-agent: *\nCrawl-delay: 86400\n' });
    await politeness.disallowed('https://news.example/a');
    await politeness.waitTurn('https://news.example/a');
    await politeness.waitTurn('https://news.example/b');
    expect(slept).toEqual([30_000]);

    const real = new Politeness(new StaticFetcher(), { now: () => new Date() }, { minDelayMs: 60_000 });
    await real.waitTurn('https://news.example/a');
    const controller = new AbortController();
    const waiting = real.waitTurn('https://news.example/b', controller.signal);
    const reason = new Error('capture cancelled');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
  });
});
