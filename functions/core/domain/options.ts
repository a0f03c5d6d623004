import type { PipelineStepName } from './model.js';

export interface AlertLimit {
  /** At most this many edit alerts per watch per window; the rest are recorded, not sent. */
  max: number;
  windowSeconds: number;
}

export interface FeedLimits {
  /** Bytes of the feed read for links (the whole body is still archived as fetched). */
  maxBytes: number;
  /** Items read at most: the scan stops there, and so do the watch-table reads it leads to. */
  maxItems: number;
  /** New watches made at most per capture. */
  maxDiscovered: number;
}

export interface PolitenessOptions {
  /** Honour robots.txt (a watch may override it, with a reason). */
  respectRobots: boolean;
  /** The least time between two requests to one host; robots.txt's Crawl-delay can raise it. */
  minDelayMs: number;
  /** How long a host's robots.txt is reused. */
  robotsTtlMs: number;
  /** How long a robots.txt that could not be read (5xx, unreachable, too slow, too big) keeps the host closed. */
  robotsRetryMs: number;
  /** The robots.txt fetch's own budget, body included: a robots.txt that drips ends here. */
  robotsTimeoutMs: number;
  /** robots.txt bytes read at most (RFC 9309 §2.5 asks parsers to read at least 500 KiB). */
  robotsMaxBytes: number;
  /** Crawl-delay is honoured up to this much: a robots.txt cannot park a capture for hours. */
  maxCrawlDelayMs: number;
  /** The product token matched against robots.txt User-agent lines. */
  agent: string;
}

export interface DeliverySettings {
  /** Publishing is attempted at most this many times; then the notification is undeliverable. */
  maxAttempts: number;
  /** Wait after the first failed attempt; doubled after each further one … */
  backoffSeconds: number;
  /** … up to this. */
  maxBackoffSeconds: number;
  /** At most this many kept notifications are looked at per delivery run (a cap on outside data). */
  batch: number;
}

export interface ProofOptions {
  /** Versions owed a timestamp that one capture asks the authorities about again, at most. */
  restampPerCapture: number;
  /** A version is asked about this many times at most (its own capture included); then given up and reported. */
  maxStampAttempts: number;
  /** Versions owed a timestamp kept per watch at most; the oldest beyond it are given up and reported. */
  maxUnstamped: number;
}

export interface WarcOptions {
  /**
   * Record every request the browser makes for the page (stylesheets, scripts, images, fonts) in the WARC.
   * Off, the WARC holds the fetcher's exchanges only: smaller, and a replay shows the page unstyled.
   */
  subresources: boolean;
  /**
   * A response whose payload the watch's latest version already archived is written as a `revisit`
   * record (headers only) pointing at the original (ADR 0006).
   */
  revisits: boolean;
  /** Payloads a capture's payload index carries for the next capture to refer to, at most. */
  maxKnownPayloads: number;
}

export interface TlsOptions {
  /** Certificates of the fetcher's TLS chain kept in the provenance, at most (leaf first). */
  maxChainCertificates: number;
  /** DER bytes of that chain kept at most; certificates past it are counted as omitted. */
  maxChainBytes: number;
}

/** Every pipeline step runs under a budget of its own. */
export type BudgetedStep = PipelineStepName;

/**
 * Every default a capture works within: time, sizes, pages, items, connections. One object, so a
 * reader finds every budget in one place and a test lists them all (test/unit/capture-options.test.ts).
 * The adapters take their defaults from here too (the fetcher, the browser, the guard proxy).
 */
export interface CaptureOptions {
  time: {
    /** A whole capture at most, from its start to its record (config: REDLINE_CAPTURE_TIMEOUT_MS). */
    captureMs: number;
    /** In Lambda the capture ends this long before the function's own timeout. */
    lambdaMarginMs: number;
    /** Kept back from the capture's time to record whatever happened (a failure is recorded too). */
    recordReserveMs: number;
    /** Each step's own budget; a step also ends when the capture's time is up. */
    steps: Record<BudgetedStep, number>;
  };
  fetch: {
    connectTimeoutMs: number;
    headersTimeoutMs: number;
    /** undici's idle timeout between body chunks (a drip resets it: `totalTimeoutMs` bounds the whole). */
    bodyTimeoutMs: number;
    /** The whole response, every redirect hop and the body included. */
    totalTimeoutMs: number;
    maxRedirects: number;
    maxBodyBytes: number;
    maxDecodedBytes: number;
  };
  render: {
    navigateTimeoutMs: number;
    /** After load, how long to watch for new requests before calling a page settled. */
    graceMs: number;
    /** Once requests started after load, how long the network must then stay quiet. */
    quietMs: number;
    settleTimeoutMs: number;
    scrollTimeoutMs: number;
    /** A page whose scripts do not answer for this long has them stopped, and is captured as it stands. */
    responsiveTimeoutMs: number;
    /** Copying the loaded document (restored if the page replaces it after load). */
    snapshotTimeoutMs: number;
    htmlTimeoutMs: number;
    pdfTimeoutMs: number;
    screenshotTimeoutMs: number;
    maxScreenshotHeight: number;
  };
  connections: {
    /** Upstream connections per host at once, for the fetcher's host pacing and the browser's proxy. */
    perHost: number;
    /** Captures at once in `redline run`. */
    runConcurrency: number;
  };
  politeness: PolitenessOptions;
  feed: FeedLimits;
  pdf: {
    maxPages: number;
    maxMemoryMb: number;
    timeoutMs: number;
  };
  /** Reading an HTML page's article (in a worker thread in the CLI and Lambda). */
  html: {
    /** The worker's V8 old-generation heap, where the parsed DOM lives. */
    maxMemoryMb: number;
    timeoutMs: number;
  };
  detect: {
    /** Re-capture once to confirm a suspected edit; blocks that differ between the two are volatile. */
    confirmEdits: boolean;
    /** Watches captured more often than this are not re-captured: their next capture comes soon enough. */
    confirmMinCadenceSeconds: number;
    /** At most this many volatile block shapes are remembered per watch. */
    maxVolatile: number;
    alertLimit: AlertLimit;
  };
  journal: {
    /** How long a capture can take at most (a Lambda's timeout): a journal entry older is an interrupted capture's. */
    staleSeconds: number;
  };
  delivery: DeliverySettings;
  proof: ProofOptions;
  warc: WarcOptions;
  tls: TlsOptions;
}

export const DEFAULT_CAPTURE_OPTIONS: CaptureOptions = {
  time: {
    captureMs: 240_000,
    lambdaMarginMs: 20_000,
    recordReserveMs: 15_000,
    steps: {
      robots: 15_000,
      wait: 35_000,
      fetch: 65_000,
      feed: 30_000,
      render: 100_000,
      extract: 75_000,
      detect: 30_000,
      confirm: 100_000,
      warc: 30_000,
      version: 30_000,
      proof: 30_000,
      record: 60_000,
    },
  },
  fetch: {
    connectTimeoutMs: 10_000,
    headersTimeoutMs: 20_000,
    bodyTimeoutMs: 30_000,
    totalTimeoutMs: 60_000,
    maxRedirects: 10,
    maxBodyBytes: 25 * 1024 * 1024,
    maxDecodedBytes: 50 * 1024 * 1024,
  },
  render: {
    navigateTimeoutMs: 30_000,
    graceMs: 20,
    quietMs: 150,
    settleTimeoutMs: 3_000,
    scrollTimeoutMs: 3_000,
    responsiveTimeoutMs: 2_000,
    snapshotTimeoutMs: 5_000,
    htmlTimeoutMs: 5_000,
    pdfTimeoutMs: 20_000,
    screenshotTimeoutMs: 20_000,
    maxScreenshotHeight: 16_000,
  },
  connections: { perHost: 2, runConcurrency: 2 },
  politeness: {
    respectRobots: true,
    minDelayMs: 1000,
    robotsTtlMs: 3600_000,
    robotsRetryMs: 600_000,
    robotsTimeoutMs: 10_000,
    robotsMaxBytes: 512 * 1024,
    maxCrawlDelayMs: 30_000,
    agent: 'Redline',
  },
  feed: { maxBytes: 10 * 1024 * 1024, maxItems: 5000, maxDiscovered: 500 },
  pdf: { maxPages: 2000, maxMemoryMb: 512, timeoutMs: 60_000 },
  html: { maxMemoryMb: 512, timeoutMs: 30_000 },
  detect: {
    confirmEdits: true,
    confirmMinCadenceSeconds: 300,
    maxVolatile: 200,
    alertLimit: { max: 3, windowSeconds: 6 * 3600 },
  },
  journal: { staleSeconds: 900 },
  delivery: { maxAttempts: 8, backoffSeconds: 60, maxBackoffSeconds: 6 * 3600, batch: 25 },
  proof: { restampPerCapture: 3, maxStampAttempts: 10, maxUnstamped: 50 },
  warc: { subresources: true, revisits: true, maxKnownPayloads: 1000 },
  tls: { maxChainCertificates: 10, maxChainBytes: 64 * 1024 },
};

/** Options as a caller gives them: any part, at any depth. */
export type CaptureOptionsInput = { [K in keyof CaptureOptions]?: DeepPartial<CaptureOptions[K]> };
type DeepPartial<T> = T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

function merge<T>(base: T, input: unknown): T {
  if (input === undefined) return base;
  if (typeof base !== 'object' || base === null || Array.isArray(base)) return input as T;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
    if (value !== undefined) out[key] = merge((base as Record<string, unknown>)[key], value);
  }
  return out as T;
}

/** The defaults with `input` laid over them. */
export function captureOptions(input: CaptureOptionsInput = {}): CaptureOptions {
  return merge(DEFAULT_CAPTURE_OPTIONS, input);
}

/**
 * The evidence bundle's limits (`redline evidence`, `GET /api/watches/{watch}/evidence`): a bundle is built
 * in memory where it is offered for download, so both its span and its size are bounded; beyond either
 * the builder stops with an EvidenceLimitError naming the limit, before reading any blob.
 */
export interface EvidenceOptions {
  /** Versions one bundle may span (N to M, both included). */
  maxVersions: number;
  /** Bytes the bundle's files may add up to at most (the WACZ inside included). */
  maxBytes: number;
  /** Characters of a title, URL or provenance value shown in the report at most (the files hold them whole). */
  maxFieldChars: number;
  /** Provenance entries (fields, hops, TLS origins, software) shown per version at most. */
  maxProvenanceEntries: number;
  /** Timestamp tokens included per version at most (its own and retried ones). */
  maxTokensPerVersion: number;
}

export const DEFAULT_EVIDENCE_OPTIONS: EvidenceOptions = {
  maxVersions: 100,
  maxBytes: 256 * 1024 * 1024,
  maxFieldChars: 2_000,
  maxProvenanceEntries: 200,
  maxTokensPerVersion: 20,
};
