/** Ports: what the core needs from the outside world. Adapters implement them for AWS and for local mode. */
import type { Digest } from './digest.js';
import type {
  AnomalyNotification,
  ArtifactRef,
  CaptureRecord,
  CaptureRequest,
  EditNotification,
  FailureNotification,
  HttpSummary,
  JournalEntry,
  PendingNotification,
  Step,
  VersionRecord,
  Watch,
  WatchUpdate,
} from './model.js';

/** Content-addressed, write-once storage of artifact bytes. */
export interface BlobStore {
  /**
   * Stores the bytes under their SHA-256; a second put of the same bytes is a no-op once the right bytes
   * are stored. Other bytes found under the digest are replaced where storage allows (a local folder) and
   * reported where it does not (create-only S3: BlobUnrepairableError); never counted as stored.
   */
  put(bytes: Uint8Array, contentType: string): Promise<ArtifactRef>;
  /** The stored bytes, checked against the digest; throws BlobNotFoundError, BlobIntegrityError. */
  get(digest: Digest): Promise<Uint8Array>;
  /** Whether the right bytes are stored under the digest: a corrupt blob is not. */
  has(digest: Digest): Promise<boolean>;
}

export interface WatchStore {
  /** Creates the watch, or replaces its settings when it exists (history is kept). Returns whether it was new. */
  upsertWatch(watch: Watch): Promise<{ created: boolean }>;
  getWatch(id: string): Promise<Watch | undefined>;
  listWatches(): Promise<Watch[]>;
  /** Watches whose nextDueAt is at or before `now`, oldest due first. */
  dueWatches(now: Date, limit: number): Promise<Watch[]>;
  /** Applies a capture's effect to the watch (schedule, status, latest version, learned state); a removed watch stays removed. */
  updateWatch(id: string, update: WatchUpdate): Promise<void>;
  removeWatch(id: string): Promise<boolean>;
  /**
   * Leases a due watch for capture: moves its nextDueAt to `leaseUntil` only if it is still
   * `expectedDueAt` (no other planner took it). A capture that never completes is due again at the lease's end.
   */
  claimDue(id: string, expectedDueAt: string, leaseUntil: string): Promise<boolean>;
}

/**
 * Write-ahead entries of captures being recorded (ADR 0008): an entry is opened before a capture's blobs
 * are written and closed after its records are, so a process that dies between the two leaves an entry
 * that says what it was about to record.
 */
export interface CaptureJournal {
  openEntry(entry: JournalEntry): Promise<void>;
  /** The watch's open entries, oldest first. */
  openEntries(watchId: string): Promise<JournalEntry[]>;
  /** Idempotent. */
  closeEntry(watchId: string, captureId: string): Promise<void>;
  /** Records that finishing the entry was begun for the `attempts`-th time (an entry closed meanwhile is left closed). */
  noteRecoveryAttempt(watchId: string, captureId: string, attempts: number): Promise<void>;
  /** Keeps a notification until it is published; one already kept under the same id is left as it is. */
  addPending(record: PendingNotification): Promise<void>;
  /** The watch's notifications still pending (not the undeliverable ones), oldest first, at most `limit`. */
  pendingNotifications(watchId: string, limit: number): Promise<PendingNotification[]>;
  /**
   * Changes a kept notification only if its `attempts` are still `expectedAttempts` (another process did
   * not take the same attempt); returns whether it did.
   */
  updatePending(
    record: PendingNotification,
    expectedAttempts: number,
    change: Pick<PendingNotification, 'status' | 'attempts' | 'nextAttemptAt'> & { lastError?: string },
  ): Promise<boolean>;
  /** Forgets a delivered notification. Idempotent. */
  removePending(watchId: string, id: string): Promise<void>;
}

/** The queue between the planner and the capture workers. */
export interface CaptureQueue {
  enqueue(requests: CaptureRequest[]): Promise<void>;
}

export interface CaptureLog {
  /** Idempotent: the same captureId written twice keeps one record. */
  putCapture(record: CaptureRecord): Promise<void>;
  listCaptures(watchId: string): Promise<CaptureRecord[]>;
}

export interface VersionLog {
  /** Writes version `number` only if it does not exist yet; throws ConflictError otherwise. */
  putVersion(record: VersionRecord): Promise<void>;
  /** Versions oldest first. */
  listVersions(watchId: string): Promise<VersionRecord[]>;
  latestVersion(watchId: string): Promise<VersionRecord | undefined>;
}

/** Links a reader can open for a stored blob (the HTML diff page in a notification). */
export interface BlobLinks {
  /** `diff`: the blob is the diff page between these versions of this watch (a viewer links to its own page). */
  linkTo(ref: ArtifactRef, diff?: { watchId: string; from: number; to: number }): Promise<string>;
}

export interface Notifier {
  publishEdit(notification: EditNotification): Promise<void>;
  /** Anomalies and failures go out apart from edits (their own file locally, their own topic in AWS). */
  publishAnomaly(notification: AnomalyNotification): Promise<void>;
  publishFailure(notification: FailureNotification): Promise<void>;
}

/** One HTTP request and its response as they crossed the wire (for WARC records). */
export interface HttpExchange {
  url: string;
  requestHeaders: Record<string, string>;
  status: number;
  headers: Record<string, string>;
  /** The body as received: content encodings still applied (only its first bytes when `truncated`). */
  wireBody: Uint8Array;
  /** GET when left out. */
  method?: string;
  /** The request's body (a POST's form or JSON), when it had one. */
  requestBody?: Uint8Array;
  /** The address the response came from (`WARC-IP-Address`). */
  ipAddress?: string;
  /**
   * Why the body is cut short (`WARC-Truncated`): `length` when it went over a cap, `unspecified` when the
   * browser no longer held it (Chromium keeps a bounded buffer of response bodies).
   */
  truncated?: 'length' | 'unspecified';
  /** The TLS connection the response came over (https, the fetcher's own connection). */
  tls?: TlsConnection;
}

/**
 * A TLS connection as Redline's own HTTP client (the fetcher) made it: the browser's connections go
 * through the guard proxy as CONNECT tunnels, so the proxy never sees their certificates.
 */
export interface TlsConnection {
  /** Which connection this is: `fetcher` (the main document's request, whose bytes the browser was served). */
  connection: 'fetcher';
  origin: string;
  ipAddress?: string;
  servername?: string;
  /** `TLSv1.3`, … */
  protocol?: string;
  /** The cipher suite's standard (IANA) name. */
  cipher?: string;
  /** The ALPN protocol agreed (`http/1.1`), when any. */
  alpn?: string;
  /** Whether the chain verified against the trusted roots (an unverified one never gets this far). */
  authorized: boolean;
  /**
   * The certificate chain as PEM, leaf first, as Node's TLS verified it: the certificates the server
   * sent, completed up to the trusted root. Capped (CaptureOptions.tls).
   */
  chain: string[];
  /** Certificates of the chain left out by the caps (count or bytes). */
  omitted: number;
}

/** What the browser saw of the connection: for the capture's provenance record. */
export interface RenderProvenance {
  browserVersion: string;
  userAgent: string;
  /** Versions of the rendering software (playwright-core, @sparticuz/chromium): `unknown` when not readable (a bundle). */
  software: Record<string, string>;
  /** TLS details of each https origin the page loaded from (first response per origin), at most a few dozen. */
  tls: {
    origin: string;
    protocol?: string;
    issuer?: string;
    subjectName?: string;
    validFrom?: number;
    validTo?: number;
  }[];
  /** Sub-resources left out of the WARC (a per-capture cap reached) or cut short. */
  dropped: number;
  truncated: number;
}

export interface FetchedResponse {
  http: HttpSummary;
  /** The body after content decoding. */
  body: Uint8Array;
  /** Every hop, redirects first, the final response last. */
  exchanges?: HttpExchange[];
}

export interface ConditionalRequest {
  etag?: string;
  lastModified?: string;
}

export interface FetchOptions {
  /** Aborts the fetch wherever it is (connect, headers, body); it then throws FetchTimeoutError. */
  signal?: AbortSignal;
  /** Lowers the fetcher's cap on body bytes for this request (it never raises it). */
  maxBodyBytes?: number;
}

export interface HttpFetcher {
  /**
   * GET with redirects followed; every hop passes the network guard. With validators, a 304 comes back
   * as a response with status 304 and an empty body. The whole response, body included, must arrive
   * within the fetcher's total budget. Throws FetchError (FetchTimeoutError when a budget or the signal
   * stops it) / ForbiddenAddressError.
   */
  fetch(url: string, conditional?: ConditionalRequest, options?: FetchOptions): Promise<FetchedResponse>;
}

export interface RenderedPage {
  html?: string;
  pdf?: Uint8Array;
  screenshot?: Uint8Array;
  finalUrl: string;
  steps: Step[];
  /** Every sub-resource exchange the browser made for the page (not the main document), bounded. */
  exchanges?: HttpExchange[];
  provenance?: RenderProvenance;
}

export interface RenderOptions {
  signal?: AbortSignal;
  /** Record the page's sub-resource exchanges for the WARC (on by default; CaptureOptions.warc.subresources). */
  recordExchanges?: boolean;
}

export interface PageRenderer {
  /**
   * Renders `url` in a fresh browser context. `document` is the already-fetched main response, served to the browser instead of fetching it twice.
   * When `options.signal` aborts, the render stops at once: its browser context (or browser) is closed and the promise rejects with a RenderError whose `cause` is the signal's reason.
   */
  render(url: string, document?: FetchedResponse, options?: RenderOptions): Promise<RenderedPage>;
  close(): Promise<void>;
}

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
