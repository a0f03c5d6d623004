import { type Article, articleHash, articleText, extractArticle } from './article.js';
import { decodeBody, documentKind } from './charset.js';
import type { Clock } from './clock.js';
import { anomalyOf, editsBetween, summarizeEdits } from './detect.js';
import type { Digest } from './digest.js';
import { ConflictError } from './errors.js';
import type {
  ArtifactRef,
  Artifacts,
  CaptureRecord,
  Edit,
  EditNotification,
  Step,
  Verdict,
  VersionRecord,
  Watch,
} from './model.js';
import type {
  BlobStore,
  CaptureLog,
  FetchedResponse,
  HttpFetcher,
  Logger,
  Notifier,
  PageRenderer,
  VersionLog,
  WatchStore,
} from './ports.js';
import { normalizeUrl, watchIdFor } from './url.js';
import { buildWatch } from './watches.js';

export interface CaptureDeps {
  blobs: BlobStore;
  watches: WatchStore;
  captures: CaptureLog;
  versions: VersionLog;
  notifier: Notifier;
  fetcher: HttpFetcher;
  renderer: PageRenderer;
  clock: Clock;
  logger: Logger;
}

export interface CaptureResult {
  capture: CaptureRecord;
  version?: VersionRecord;
  notification?: EditNotification;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

async function timed<T>(steps: Step[], name: string, work: () => Promise<T>): Promise<Outcome<T>> {
  const start = performance.now();
  try {
    const value = await work();
    steps.push({ name, status: 'ok', ms: Math.round(performance.now() - start) });
    return { ok: true, value };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    steps.push({ name, status: 'failed', ms: Math.round(performance.now() - start), detail });
    return { ok: false, error: detail };
  }
}

function captureIdFor(startedAt: Date): string {
  const stamp = startedAt.toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Compared content of a capture: an article for HTML, the document bytes for anything else. */
interface Content {
  article?: Article;
  textHash: Digest;
  anomaly?: string;
}

function contentOf(fetched: FetchedResponse, raw: ArtifactRef, renderedHtml: string | undefined): Content {
  const kind = documentKind(fetched.body, fetched.http.contentType);
  if (kind !== 'html') {
    const anomaly = fetched.http.status >= 400 ? `http_status_${fetched.http.status}` : undefined;
    return { textHash: raw.digest, ...(anomaly ? { anomaly } : {}) };
  }
  const article = extractArticle(renderedHtml ?? decodeBody(fetched.body, fetched.http.contentType));
  const anomaly = anomalyOf(article, fetched.http.status);
  return { article, textHash: articleHash(article), ...(anomaly ? { anomaly } : {}) };
}

async function storeRendering(deps: CaptureDeps, steps: Step[], url: string, fetched: FetchedResponse) {
  const artifacts: Artifacts = {};
  const outcome = await timed(steps, 'render', () => deps.renderer.render(url, fetched));
  if (!outcome.ok) return { artifacts };
  const rendered = outcome.value;
  steps.push(...rendered.steps);
  if (rendered.html !== undefined)
    artifacts.rendered = await deps.blobs.put(Buffer.from(rendered.html), 'text/html; charset=utf-8');
  if (rendered.pdf) artifacts.pdf = await deps.blobs.put(rendered.pdf, 'application/pdf');
  if (rendered.screenshot) artifacts.screenshot = await deps.blobs.put(rendered.screenshot, 'image/png');
  return { artifacts, html: rendered.html };
}

async function baselineArticle(deps: CaptureDeps, baseline: VersionRecord): Promise<Article | undefined> {
  const ref = baseline.artifacts.article;
  if (!ref) return undefined;
  return JSON.parse(Buffer.from(await deps.blobs.get(ref.digest)).toString('utf8')) as Article;
}

/** Writes version `number`; a version already written by this same capture (a retry) is accepted. */
async function writeVersion(deps: CaptureDeps, version: VersionRecord): Promise<void> {
  try {
    await deps.versions.putVersion(version);
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const existing = (await deps.versions.listVersions(version.watchId)).find(
      (v) => v.number === version.number,
    );
    if (existing?.captureId !== version.captureId) throw error;
  }
}

/**
 * Captures one watch: fetch, render, store every artifact by hash, extract, compare with the latest
 * version, and record. Blobs are written before the records that point at them.
 */
export async function captureWatch(deps: CaptureDeps, watch: Watch): Promise<CaptureResult> {
  const startedAt = deps.clock.now();
  const captureId = captureIdFor(startedAt);
  const log = { watchId: watch.id, url: watch.url, captureId };
  const steps: Step[] = [];
  const nextDueAt = new Date(startedAt.getTime() + watch.cadenceSeconds * 1000).toISOString();
  const base = { watchId: watch.id, captureId, url: watch.url, startedAt: startedAt.toISOString() };

  const fetchOutcome = await timed(steps, 'fetch', () => deps.fetcher.fetch(watch.url));
  if (!fetchOutcome.ok) {
    const reason = fetchOutcome.error;
    const capture: CaptureRecord = {
      ...base,
      capturedAt: deps.clock.now().toISOString(),
      status: 'failed',
      reason,
      artifacts: {},
      steps,
    };
    await deps.captures.putCapture(capture);
    await deps.watches.markCaptured(watch.id, {
      capturedAt: capture.capturedAt,
      nextDueAt,
      status: 'failed',
      latestVersion: watch.latestVersion,
    });
    deps.logger.warn('capture failed', { ...log, reason });
    return { capture };
  }

  const fetched = fetchOutcome.value;
  const artifacts: Artifacts = { raw: await deps.blobs.put(fetched.body, fetched.http.contentType) };
  const isHtml = documentKind(fetched.body, fetched.http.contentType) === 'html';
  let renderedHtml: string | undefined;
  if (watch.mode === 'browser' || (watch.mode === 'auto' && isHtml)) {
    const rendering = await storeRendering(deps, steps, fetched.http.finalUrl, fetched);
    Object.assign(artifacts, rendering.artifacts);
    renderedHtml = rendering.html;
  }

  const content = contentOf(fetched, artifacts.raw!, isHtml ? renderedHtml : undefined);
  if (content.article) {
    artifacts.article = await deps.blobs.put(
      Buffer.from(JSON.stringify(content.article)),
      'application/json',
    );
    artifacts.text = await deps.blobs.put(
      Buffer.from(articleText(content.article)),
      'text/plain; charset=utf-8',
    );
  }

  const baseline = await deps.versions.latestVersion(watch.id);
  let verdict: Verdict;
  let edits: Edit[] = [];
  if (content.anomaly) verdict = 'anomaly';
  else if (!baseline) verdict = 'first';
  else if (baseline.textHash === content.textHash) verdict = 'unchanged';
  else {
    verdict = 'edited';
    const before = await baselineArticle(deps, baseline);
    edits =
      before && content.article
        ? editsBetween(before, content.article)
        : [{ kind: 'document_changed', significance: 'major' }];
  }

  const capturedAt = deps.clock.now().toISOString();
  let version: VersionRecord | undefined;
  if (verdict === 'first' || verdict === 'edited') {
    version = {
      watchId: watch.id,
      number: (baseline?.number ?? 0) + 1,
      captureId,
      url: watch.url,
      capturedAt,
      title: content.article?.title ?? new URL(fetched.http.finalUrl).pathname.split('/').pop() ?? watch.url,
      textHash: content.textHash,
      artifacts,
      edits,
    };
    await writeVersion(deps, version);
  }

  const failedStep = steps.find((step) => step.status === 'failed');
  const capture: CaptureRecord = {
    ...base,
    capturedAt,
    status: failedStep ? 'partial' : 'complete',
    ...(failedStep ? { reason: `${failedStep.name}: ${failedStep.detail ?? 'failed'}` } : {}),
    http: fetched.http,
    artifacts,
    steps,
    textHash: content.textHash,
    verdict,
    ...(content.anomaly ? { anomaly: content.anomaly } : {}),
    ...((version?.number ?? baseline?.number) ? { version: version?.number ?? baseline?.number } : {}),
  };
  await deps.captures.putCapture(capture);

  let notification: EditNotification | undefined;
  if (verdict === 'edited' && baseline && version) {
    notification = {
      type: 'redline.edit',
      watchId: watch.id,
      url: watch.url,
      title: version.title,
      capturedAt,
      oldVersion: baseline.number,
      newVersion: version.number,
      oldTextHash: baseline.textHash,
      newTextHash: version.textHash,
      edits,
      diff: summarizeEdits(edits),
      tags: watch.tags,
    };
    await deps.notifier.publishEdit(notification);
  }

  await deps.watches.markCaptured(watch.id, {
    capturedAt,
    nextDueAt,
    status: capture.status,
    latestVersion: version?.number ?? baseline?.number ?? 0,
  });
  deps.logger.info('captured', { ...log, status: capture.status, verdict, version: capture.version });
  return { capture, ...(version ? { version } : {}), ...(notification ? { notification } : {}) };
}

export const DEFAULT_WATCH_SETTINGS = { cadenceSeconds: 3600, mode: 'auto', tags: [] as string[] } as const;

/**
 * Captures a URL now. A watched URL is captured as its watch; an unwatched one becomes a watch (hourly,
 * auto) only if the capture did not fail, so a typo'd or unreachable URL leaves a failed capture record
 * and nothing else.
 */
export async function captureUrl(deps: CaptureDeps, url: string): Promise<CaptureResult> {
  const normalized = normalizeUrl(url);
  const existing = await deps.watches.getWatch(watchIdFor(normalized));
  if (existing) return captureWatch(deps, existing);
  const draft = buildWatch(
    { url: normalized, ...DEFAULT_WATCH_SETTINGS, tags: [] },
    undefined,
    deps.clock.now(),
  );
  const result = await captureWatch(deps, draft);
  if (result.capture.status !== 'failed') {
    await deps.watches.upsertWatch({
      ...draft,
      lastCapturedAt: result.capture.capturedAt,
      lastStatus: result.capture.status,
      nextDueAt: new Date(Date.parse(result.capture.startedAt) + draft.cadenceSeconds * 1000).toISOString(),
      latestVersion: result.version?.number ?? result.capture.version ?? 0,
    });
  }
  return result;
}
