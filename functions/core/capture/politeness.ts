import robotsModule from 'robots-parser';
import type { Clock } from '../domain/clock.js';
import { DeadlineError, FetchError, FetchTimeoutError } from '../domain/errors.js';
import type { PolitenessOptions } from '../domain/options.js';
import { DEFAULT_CAPTURE_OPTIONS } from '../domain/options.js';
import type { HttpFetcher } from '../domain/ports.js';

export type { PolitenessOptions };

export const DEFAULT_POLITENESS: PolitenessOptions = DEFAULT_CAPTURE_OPTIONS.politeness;

interface Robots {
  isAllowed(url: string, ua?: string): boolean | undefined;
  getCrawlDelay(ua?: string): number | undefined;
}
// robots-parser is CommonJS: its module.exports is the parser function.
const robotsParser = robotsModule as unknown as (url: string, contents: string) => Robots;
interface RobotsEntry {
  robots?: Robots;
  /** Set when robots.txt could not be read in a way that means "stay away for now" (5xx, unreachable). */
  unavailable?: string;
  /** Until when the entry stands. */
  expiresAt: number;
}

/** Resolves as `work` does, or rejects with the signal's reason as soon as it aborts. */
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => clearTimeout(timer), { once: true });
  });

/**
 * robots.txt and per-host pacing, per process. robots.txt is fetched through the same guarded fetcher
 * as pages, within its own time budget and size cap. Following RFC 9309: a 4xx robots.txt allows
 * everything (§2.3.1.3, "unavailable"); a 5xx, or a robots.txt that cannot be read at all (network
 * error, too slow, too big), disallows everything for now (§2.3.1.4, "unreachable"), and is tried
 * again after `robotsRetryMs`.
 */
export class Politeness {
  private readonly robots = new Map<string, RobotsEntry>();
  private readonly nextSlot = new Map<string, number>();
  private readonly options: PolitenessOptions;

  constructor(
    private readonly fetcher: HttpFetcher,
    private readonly clock: Clock,
    options: Partial<PolitenessOptions> = {},
    private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void> = defaultSleep,
  ) {
    this.options = { ...DEFAULT_POLITENESS, ...options };
  }

  private async entry(url: URL, signal?: AbortSignal): Promise<RobotsEntry> {
    const now = this.clock.now().getTime();
    const cached = this.robots.get(url.origin);
    if (cached && now < cached.expiresAt) return cached;
    const robotsUrl = `${url.origin}/robots.txt`;
    const fresh = (robots: Robots): RobotsEntry => ({ robots, expiresAt: now + this.options.robotsTtlMs });
    const closed = (why: string): RobotsEntry => ({
      unavailable: why,
      expiresAt: now + Math.min(this.options.robotsRetryMs, this.options.robotsTtlMs),
    });
    let entry: RobotsEntry;
    try {
      const body = await this.fetchRobots(robotsUrl, signal);
      if (body.status >= 500) entry = closed(`robots.txt answered ${body.status}`);
      else if (body.status >= 400) entry = fresh(robotsParser(robotsUrl, ''));
      else entry = fresh(robotsParser(robotsUrl, body.text));
    } catch (error) {
      // The caller gave up (its own deadline): nothing was learned about the host.
      if (signal?.aborted) throw signal.reason;
      // What went wrong first (the fetch's own words), then what it means for the host.
      const tooBig = error instanceof FetchError && error.reason === 'body_too_large';
      entry = closed(
        tooBig
          ? `robots.txt is larger than ${this.options.robotsMaxBytes} bytes`
          : `${error instanceof Error ? error.message : String(error)}; robots.txt unreachable`,
      );
    }
    this.robots.set(url.origin, entry);
    return entry;
  }

  /** Fetches robots.txt within its own budget (and the caller's signal). */
  private async fetchRobots(robotsUrl: string, signal?: AbortSignal) {
    const budgetMs = this.options.robotsTimeoutMs;
    const started = performance.now();
    const stop = new AbortController();
    const timer = setTimeout(
      () => stop.abort(new DeadlineError('robots.txt', budgetMs, Math.round(performance.now() - started))),
      budgetMs,
    );
    const forward = () => stop.abort(signal?.reason);
    if (signal?.aborted) forward();
    else signal?.addEventListener('abort', forward, { once: true });
    try {
      // Raced against the signal too, so a fetcher that ignores it cannot hold the capture.
      const response = await abortable(
        this.fetcher.fetch(robotsUrl, undefined, {
          signal: stop.signal,
          maxBodyBytes: this.options.robotsMaxBytes,
        }),
        stop.signal,
      );
      // The cap is on the wire; a compressed robots.txt is parsed only as far as the same cap (RFC 9309 §2.5).
      const parsed = response.body.subarray(0, this.options.robotsMaxBytes);
      return { status: response.http.status, text: Buffer.from(parsed).toString('utf8') };
    } catch (error) {
      if (!stop.signal.aborted || error instanceof FetchTimeoutError) throw error;
      const reason: unknown = stop.signal.reason;
      const budget = reason instanceof DeadlineError ? reason.budget : 'caller';
      throw new FetchTimeoutError(robotsUrl, budget, Math.round(performance.now() - started), {
        cause: reason,
      });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', forward);
    }
  }

  /**
   * Why this URL may not be fetched, or undefined when it may. Rejects with the signal's reason when
   * the signal aborts first.
   */
  async disallowed(url: string, signal?: AbortSignal): Promise<string | undefined> {
    if (!this.options.respectRobots) return undefined;
    const target = new URL(url);
    const entry = await this.entry(target, signal);
    if (entry.unavailable) return `${entry.unavailable}, not fetching for now`;
    return entry.robots?.isAllowed(url, this.options.agent) === false
      ? 'disallowed by robots.txt'
      : undefined;
  }

  /**
   * Waits for this host's next slot: at least minDelayMs (or Crawl-delay) after the previous request.
   * Rejects with the signal's reason when it aborts first (the slot stays taken).
   */
  async waitTurn(url: string, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    const target = new URL(url);
    const crawlDelay = this.robots.get(target.origin)?.robots?.getCrawlDelay(this.options.agent);
    const asked = Math.min((crawlDelay ?? 0) * 1000, this.options.maxCrawlDelayMs);
    const gap = Math.max(this.options.minDelayMs, asked);
    const now = this.clock.now().getTime();
    const slot = Math.max(now, this.nextSlot.get(target.host) ?? 0);
    this.nextSlot.set(target.host, slot + gap);
    if (slot > now) await abortable(this.sleep(slot - now, signal), signal);
  }
}
