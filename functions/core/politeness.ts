import robotsModule from 'robots-parser';
import type { Clock } from './clock.js';
import type { HttpFetcher } from './ports.js';

export interface PolitenessOptions {
  /** Honour robots.txt (a watch may override it, with a reason). */
  respectRobots: boolean;
  /** The least time between two requests to one host; robots.txt's Crawl-delay can raise it. */
  minDelayMs: number;
  /** How long a host's robots.txt is reused. */
  robotsTtlMs: number;
  /** The product token matched against robots.txt User-agent lines. */
  agent: string;
}

export const DEFAULT_POLITENESS: PolitenessOptions = {
  respectRobots: true,
  minDelayMs: 1000,
  robotsTtlMs: 3600_000,
  agent: 'Redline',
};

interface Robots {
  isAllowed(url: string, ua?: string): boolean | undefined;
  getCrawlDelay(ua?: string): number | undefined;
}
// robots-parser is CommonJS: its module.exports is the parser function.
const robotsParser = robotsModule as unknown as (url: string, contents: string) => Robots;
interface RobotsEntry {
  robots?: Robots;
  /** Set when robots.txt could not be read in a way that means "stay away for now" (5xx). */
  unavailable?: string;
  fetchedAt: number;
}

/**
 * robots.txt and per-host pacing, per process. robots.txt is fetched through the same guarded fetcher
 * as pages. A 4xx robots.txt allows everything; a 5xx disallows for now (RFC 9309).
 */
export class Politeness {
  private readonly robots = new Map<string, RobotsEntry>();
  private readonly nextSlot = new Map<string, number>();

  constructor(
    private readonly fetcher: HttpFetcher,
    private readonly clock: Clock,
    private readonly options: PolitenessOptions = DEFAULT_POLITENESS,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  private async entry(url: URL): Promise<RobotsEntry> {
    const now = this.clock.now().getTime();
    const cached = this.robots.get(url.origin);
    if (cached && now - cached.fetchedAt < this.options.robotsTtlMs) return cached;
    const robotsUrl = `${url.origin}/robots.txt`;
    let entry: RobotsEntry;
    try {
      const response = await this.fetcher.fetch(robotsUrl);
      const status = response.http.status;
      if (status >= 500) entry = { unavailable: `robots.txt answered ${status}`, fetchedAt: now };
      else if (status >= 400) entry = { robots: robotsParser(robotsUrl, ''), fetchedAt: now };
      else
        entry = {
          robots: robotsParser(robotsUrl, Buffer.from(response.body).toString('utf8')),
          fetchedAt: now,
        };
    } catch {
      // The host did not answer for robots.txt; the page fetch will say why, if it fails too.
      entry = { robots: robotsParser(robotsUrl, ''), fetchedAt: now };
    }
    this.robots.set(url.origin, entry);
    return entry;
  }

  /** Why this URL may not be fetched, or undefined when it may. */
  async disallowed(url: string): Promise<string | undefined> {
    if (!this.options.respectRobots) return undefined;
    const target = new URL(url);
    const entry = await this.entry(target);
    if (entry.unavailable) return `${entry.unavailable}; not fetching for now`;
    return entry.robots?.isAllowed(url, this.options.agent) === false
      ? 'disallowed by robots.txt'
      : undefined;
  }

  /** Waits for this host's next slot: at least minDelayMs (or Crawl-delay) after the previous request. */
  async waitTurn(url: string): Promise<void> {
    const target = new URL(url);
    const crawlDelay = this.robots.get(target.origin)?.robots?.getCrawlDelay(this.options.agent);
    const gap = Math.max(this.options.minDelayMs, (crawlDelay ?? 0) * 1000);
    const now = this.clock.now().getTime();
    const slot = Math.max(now, this.nextSlot.get(target.host) ?? 0);
    this.nextSlot.set(target.host, slot + gap);
    if (slot > now) await this.sleep(slot - now);
  }
}
