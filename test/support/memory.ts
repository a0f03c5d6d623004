/**
 * In-memory implementations of the core's ports, for unit tests of the use cases. They are fakes with
 * real behaviour (content addressing, conditional version writes), not mocks; the real adapters are
 * tested against emulators in test/integration.
 */
import { sha256 } from '../../functions/core/domain/digest.js';
import {
  BlobIntegrityError,
  BlobNotFoundError,
  ConflictError,
  FetchError,
} from '../../functions/core/domain/errors.js';
import type {
  AnomalyNotification,
  CaptureRecord,
  EditNotification,
  FailureNotification,
  JournalEntry,
  PendingNotification,
  VersionRecord,
  Watch,
  WatchUpdate,
} from '../../functions/core/domain/model.js';
import type {
  BlobStore,
  CaptureJournal,
  CaptureLog,
  ConditionalRequest,
  FetchedResponse,
  HttpFetcher,
  Notifier,
  PageRenderer,
  RenderedPage,
  VersionLog,
  WatchStore,
} from '../../functions/core/domain/ports.js';
import { silentLogger } from '../../functions/core/domain/ports.js';

/** Every write, in order, across the fakes: lets tests check that blobs precede the records naming them. */
export type WriteEvent =
  | { kind: 'blob'; digest: string }
  | { kind: 'capture' | 'version' | 'journal'; digests: string[] };

/**
 * Blobs in a map, checked like the real stores: `get` and `has` hash what is held, and `put` replaces
 * wrong bytes (a test corrupts a blob by writing into `blobs` directly).
 */
export class MemoryBlobStore implements BlobStore {
  readonly blobs = new Map<string, Uint8Array>();
  constructor(private readonly writes: WriteEvent[] = []) {}
  async put(bytes: Uint8Array, contentType: string) {
    const digest = sha256(bytes);
    if (!(await this.has(digest))) {
      this.blobs.set(digest, new Uint8Array(bytes));
      this.writes.push({ kind: 'blob', digest });
    }
    return { digest, size: bytes.byteLength, contentType };
  }
  async get(digest: string) {
    const bytes = this.blobs.get(digest);
    if (!bytes) throw new BlobNotFoundError(digest);
    const found = sha256(bytes);
    if (found !== digest) throw new BlobIntegrityError(digest, { digest: found, size: bytes.byteLength });
    return bytes;
  }
  async has(digest: string) {
    const bytes = this.blobs.get(digest);
    return bytes !== undefined && sha256(bytes) === digest;
  }
}

export class MemoryCatalog implements WatchStore, CaptureLog, VersionLog, CaptureJournal {
  readonly watches = new Map<string, Watch>();
  readonly journal = new Map<string, JournalEntry>();
  readonly captures = new Map<string, CaptureRecord>();
  readonly versions = new Map<string, VersionRecord>();
  readonly pending = new Map<string, PendingNotification>();
  constructor(private readonly writes: WriteEvent[] = []) {}

  async upsertWatch(watch: Watch) {
    const created = !this.watches.has(watch.id);
    this.watches.set(watch.id, structuredClone(watch));
    return { created };
  }
  async getWatch(id: string) {
    const watch = this.watches.get(id);
    return watch && structuredClone(watch);
  }
  async listWatches() {
    return [...this.watches.values()].sort((a, b) => a.url.localeCompare(b.url));
  }
  async dueWatches(now: Date, limit: number) {
    return [...this.watches.values()]
      .filter((w) => Date.parse(w.nextDueAt) <= now.getTime())
      .sort((a, b) => a.nextDueAt.localeCompare(b.nextDueAt))
      .slice(0, limit);
  }
  async updateWatch(id: string, update: WatchUpdate) {
    const watch = this.watches.get(id);
    if (watch) Object.assign(watch, structuredClone(update));
  }
  async claimDue(id: string, expectedDueAt: string, leaseUntil: string) {
    const watch = this.watches.get(id);
    if (!watch || watch.nextDueAt !== expectedDueAt) return false;
    watch.nextDueAt = leaseUntil;
    return true;
  }
  async removeWatch(id: string) {
    return this.watches.delete(id);
  }
  async putCapture(record: CaptureRecord) {
    this.captures.set(record.captureId, structuredClone(record));
    this.writes.push({ kind: 'capture', digests: Object.values(record.artifacts).map((a) => a.digest) });
  }
  async listCaptures(watchId: string) {
    return [...this.captures.values()].filter((c) => c.watchId === watchId);
  }
  async putVersion(record: VersionRecord) {
    const key = `${record.watchId}#${record.number}`;
    if (this.versions.has(key)) throw new ConflictError(`version ${record.number} exists`);
    this.versions.set(key, structuredClone(record));
    this.writes.push({ kind: 'version', digests: Object.values(record.artifacts).map((a) => a.digest) });
  }
  async listVersions(watchId: string) {
    return [...this.versions.values()]
      .filter((v) => v.watchId === watchId)
      .sort((a, b) => a.number - b.number);
  }
  async latestVersion(watchId: string) {
    return (await this.listVersions(watchId)).at(-1);
  }
  async openEntry(entry: JournalEntry) {
    this.journal.set(`${entry.watchId}#${entry.captureId}`, structuredClone(entry));
    this.writes.push({
      kind: 'journal',
      digests: Object.values(entry.capture.artifacts).map((a) => a.digest),
    });
  }
  async openEntries(watchId: string) {
    return [...this.journal.values()]
      .filter((entry) => entry.watchId === watchId)
      .sort((a, b) => a.openedAt.localeCompare(b.openedAt))
      .map((entry) => structuredClone(entry));
  }
  async closeEntry(watchId: string, captureId: string) {
    this.journal.delete(`${watchId}#${captureId}`);
  }
  async noteRecoveryAttempt(watchId: string, captureId: string, attempts: number) {
    const entry = this.journal.get(`${watchId}#${captureId}`);
    if (entry) entry.recoveryAttempts = attempts;
  }
  async addPending(record: PendingNotification) {
    const key = `${record.watchId}#${record.id}`;
    if (!this.pending.has(key)) this.pending.set(key, structuredClone(record));
  }
  async pendingNotifications(watchId: string, limit: number) {
    return [...this.pending.values()]
      .filter((record) => record.watchId === watchId && record.status === 'pending')
      .sort((a, b) => a.id.localeCompare(b.id))
      .slice(0, limit)
      .map((record) => structuredClone(record));
  }
  async updatePending(
    record: PendingNotification,
    expectedAttempts: number,
    change: Pick<PendingNotification, 'status' | 'attempts' | 'nextAttemptAt'> & { lastError?: string },
  ) {
    const kept = this.pending.get(`${record.watchId}#${record.id}`);
    if (!kept || kept.attempts !== expectedAttempts) return false;
    Object.assign(kept, change);
    return true;
  }
  async removePending(watchId: string, id: string) {
    this.pending.delete(`${watchId}#${id}`);
  }
}

export class MemoryNotifier implements Notifier {
  readonly sent: EditNotification[] = [];
  readonly anomalies: AnomalyNotification[] = [];
  async publishEdit(notification: EditNotification) {
    this.sent.push(notification);
  }
  async publishAnomaly(notification: AnomalyNotification) {
    this.anomalies.push(notification);
  }
  readonly failures: FailureNotification[] = [];
  async publishFailure(notification: FailureNotification) {
    this.failures.push(notification);
  }
}

/** Serves canned responses by URL, with ETag revalidation; an unknown URL fails like an unreachable host. */
export class StaticFetcher implements HttpFetcher {
  readonly pages = new Map<
    string,
    { status?: number; contentType?: string; etag?: string; body: string | Uint8Array }
  >();
  readonly requests: { url: string; conditional?: ConditionalRequest }[] = [];
  async fetch(url: string, conditional?: ConditionalRequest): Promise<FetchedResponse> {
    this.requests.push({ url, ...(conditional ? { conditional } : {}) });
    const page = this.pages.get(url);
    if (!page) throw new FetchError(`could not resolve ${new URL(url).hostname}`, 'dns');
    const contentType = page.contentType ?? 'text/html; charset=utf-8';
    const headers: Record<string, string> = {
      'content-type': contentType,
      ...(page.etag ? { etag: page.etag } : {}),
    };
    const notModified = page.etag !== undefined && conditional?.etag === page.etag;
    const body = notModified
      ? new Uint8Array()
      : typeof page.body === 'string'
        ? Buffer.from(page.body)
        : page.body;
    const status = notModified ? 304 : (page.status ?? 200);
    return {
      http: { status, finalUrl: url, contentType, headers },
      body,
      exchanges: [
        {
          url,
          requestHeaders: { host: new URL(url).host, 'user-agent': 'test' },
          status,
          headers,
          wireBody: body,
        },
      ],
    };
  }
}

/** Returns the fetched document as the rendered HTML, with small fixed PDF and PNG stand-ins. */
export class EchoRenderer implements PageRenderer {
  renders = 0;
  async render(url: string, document?: FetchedResponse): Promise<RenderedPage> {
    this.renders++;
    const html = document ? Buffer.from(document.body).toString('utf8') : '';
    return {
      html,
      pdf: Buffer.from(`%PDF-1.7 ${html.length}`),
      screenshot: Buffer.from(`PNG ${html.length}`),
      finalUrl: url,
      steps: [{ name: 'navigate', status: 'ok', ms: 1 }],
    };
  }
  async close() {}
}

/** One catalog behind every record port (watches, captures, versions, the journal). */
export function recordPorts<C extends WatchStore & CaptureLog & VersionLog & CaptureJournal>(catalog: C) {
  return { journal: catalog, watches: catalog, captures: catalog, versions: catalog };
}

/** The stores a capture writes to, all in memory: blobs, one catalog, a notifier that keeps what it gets. */
export function memoryStores(catalog = new MemoryCatalog()) {
  return { blobs: new MemoryBlobStore(), ...recordPorts(catalog), notifier: new MemoryNotifier() };
}

/** The capture use case's ports, all in memory, with a clock the test moves by hand. */
export function memoryCaptureDeps(start = new Date('2026-11-26T10:00:00Z')) {
  const writes: WriteEvent[] = [];
  let now = start;
  const catalog = new MemoryCatalog(writes);
  const deps = {
    blobs: new MemoryBlobStore(writes),
    journal: catalog,
    watches: catalog,
    captures: catalog,
    versions: catalog,
    notifier: new MemoryNotifier(),
    fetcher: new StaticFetcher(),
    renderer: new EchoRenderer(),
    clock: { now: () => now },
    logger: silentLogger,
  };
  const advance = (minutes: number) => {
    now = new Date(now.getTime() + minutes * 60_000);
  };
  return { deps, catalog, writes, advance };
}
