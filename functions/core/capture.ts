import { type AlertLimit, admitAlert, DEFAULT_ALERT_LIMIT } from './alerts.js';
import { type Article, articleText } from './article.js';
import { decodeBody, documentKind } from './charset.js';
import {
  type CaptureRecords,
  type CommitDeps,
  commitCapture,
  recoverInterrupted,
  StagedBlobs,
} from './commit.js';
import { type Content, readContent } from './content.js';
import { blockShape, editsBetween, summarizeEdits } from './detect.js';
import { renderDiffPage } from './diff-html.js';
import { sha256 } from './digest.js';
import { ageCadenceSeconds, declaredCanonical } from './discovery.js';
import { discoverFromFeed } from './feed-capture.js';
import { fitEditNotification, fitTitle, fitVersionEdits } from './fit.js';
import type {
  Artifacts,
  CaptureRecord,
  Edit,
  EditNotification,
  FailureNotification,
  Step,
  Verdict,
  VersionRecord,
  Watch,
} from './model.js';
import type { PdfExtractor } from './pdf.js';
import type { Politeness } from './politeness.js';
import type { BlobLinks, FetchedResponse, HttpFetcher, PageRenderer } from './ports.js';
import { normalizeUrl, watchIdFor } from './url.js';
import { buildWarc } from './warc.js';
import { buildWatch } from './watches.js';

export interface CaptureSettings {
  /** Re-capture once to confirm a suspected edit; blocks that differ between the two are volatile. */
  confirmEdits: boolean;
  /** Watches captured more often than this are not re-captured: their next capture comes soon enough. */
  confirmMinCadenceSeconds: number;
  alertLimit: AlertLimit;
  /** At most this many volatile block shapes are remembered per watch. */
  maxVolatile: number;
  /** How long a capture can take at most (a Lambda's timeout): a journal entry older is an interrupted capture's. */
  journalStaleSeconds: number;
}

export const DEFAULT_CAPTURE_SETTINGS: CaptureSettings = {
  confirmEdits: true,
  confirmMinCadenceSeconds: 300,
  alertLimit: DEFAULT_ALERT_LIMIT,
  maxVolatile: 200,
  journalStaleSeconds: 900,
};

export interface CaptureDeps extends CommitDeps {
  fetcher: HttpFetcher;
  renderer: PageRenderer;
  settings?: Partial<CaptureSettings>;
  /** robots.txt and per-host pacing; without it every fetch goes straight out (unit tests). */
  politeness?: Politeness;
  /** Makes the link to the HTML diff in notifications. */
  links?: BlobLinks;
  /** Reads PDFs' text within budgets (the isolated extractor); without it, in this process (unit tests). */
  pdf?: PdfExtractor;
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

const shouldRender = (watch: Watch, content: Pick<Content, 'kind'>) =>
  watch.mode === 'browser' || (watch.mode === 'auto' && content.kind === 'html');

async function stageRendering(
  deps: CaptureDeps,
  staged: StagedBlobs,
  steps: Step[],
  url: string,
  fetched: FetchedResponse,
) {
  const artifacts: Artifacts = {};
  const outcome = await timed(steps, 'render', () => deps.renderer.render(url, fetched));
  if (!outcome.ok) return { artifacts };
  const rendered = outcome.value;
  steps.push(...rendered.steps);
  if (rendered.html !== undefined)
    artifacts.rendered = staged.add(Buffer.from(rendered.html), 'text/html; charset=utf-8');
  if (rendered.pdf) artifacts.pdf = staged.add(rendered.pdf, 'application/pdf');
  if (rendered.screenshot) artifacts.screenshot = staged.add(rendered.screenshot, 'image/png');
  return { artifacts, html: rendered.html, screenshot: rendered.screenshot };
}

async function loadArticle(
  deps: CaptureDeps,
  version: VersionRecord | undefined,
): Promise<Article | undefined> {
  const ref = version?.artifacts.article;
  if (!ref) return undefined;
  return JSON.parse(Buffer.from(await deps.blobs.get(ref.digest)).toString('utf8')) as Article;
}

/** Captures the page again, without storing anything, to see which blocks change on every load. */
async function recapture(deps: CaptureDeps, watch: Watch, baseline: Article): Promise<Article | undefined> {
  const fetched = await deps.fetcher.fetch(watch.url);
  const rendered = shouldRender(watch, { kind: 'html' })
    ? await deps.renderer.render(fetched.http.finalUrl, fetched)
    : undefined;
  const content = await readContent(fetched, rendered?.html, baseline, deps.pdf);
  return content.anomaly ? undefined : content.article;
}

/** Shapes of the blocks that one of two same-moment captures has and the other has not. */
function volatileShapes(a: Article, b: Article): string[] {
  const inB = new Set(b.blocks);
  const inA = new Set(a.blocks);
  const differing = [...a.blocks.filter((x) => !inB.has(x)), ...b.blocks.filter((x) => !inA.has(x))];
  return [...new Set(differing.map(blockShape))];
}

interface Detection {
  verdict: Verdict;
  edits: Edit[];
  silent?: boolean;
  volatile: string[];
}

/** Decides first / unchanged / edited / anomaly, confirming a suspected edit by one re-capture. */
async function detect(
  deps: CaptureDeps,
  settings: CaptureSettings,
  watch: Watch,
  steps: Step[],
  content: Content,
  baseline: VersionRecord | undefined,
  before: Article | undefined,
): Promise<Detection> {
  const volatile = [...(watch.volatile ?? [])];
  if (content.anomaly) return { verdict: 'anomaly', edits: [], volatile };
  if (!baseline) return { verdict: 'first', edits: [], volatile };
  if (baseline.textHash === content.textHash) return { verdict: 'unchanged', edits: [], volatile };
  if (!before || !content.article) {
    return {
      verdict: 'edited',
      edits: [{ kind: 'document_changed', field: 'document', significance: 'major' }],
      volatile,
    };
  }
  const after = content.article;
  let edits = editsBetween(before, after, new Set(volatile));
  const confirm = settings.confirmEdits && watch.cadenceSeconds >= settings.confirmMinCadenceSeconds;
  if (edits.length > 0 && confirm && content.kind === 'html') {
    const again = await timed(steps, 'confirm', () => recapture(deps, watch, before));
    if (again.ok && again.value) {
      const learned = volatileShapes(after, again.value).filter((shape) => !volatile.includes(shape));
      if (learned.length > 0) {
        volatile.push(...learned);
        volatile.splice(0, Math.max(0, volatile.length - settings.maxVolatile));
        edits = editsBetween(before, after, new Set(volatile));
      }
    }
  }
  if (edits.length === 0) return { verdict: 'unchanged', edits, volatile };
  return { verdict: 'edited', edits, silent: before.modified === after.modified, volatile };
}

/**
 * Captures one watch: fetch, render, store every artifact by hash, extract, compare with the latest
 * version, and record. An earlier capture of the watch that its process left unfinished is finished first.
 */
export async function captureWatch(deps: CaptureDeps, watch: Watch): Promise<CaptureResult> {
  // A watch removed meanwhile is still captured as asked; its record joins its kept history.
  return captureFresh(deps, (await recoverWatch(deps, watch)) ?? watch);
}

/**
 * Finishes the watch's interrupted captures (ADR 0008); returns the watch as it is now (undefined if it
 * was removed meanwhile).
 */
export async function recoverWatch(deps: CaptureDeps, watch: Watch): Promise<Watch | undefined> {
  const finished = await recoverInterrupted(deps, watch.id);
  return finished > 0 ? deps.watches.getWatch(watch.id) : watch;
}

/**
 * Captures one watch whose interrupted captures are already finished. Artifacts are hashed as they are
 * made and written at the end, after a journal entry and before the records that point at them.
 */
export async function captureFresh(deps: CaptureDeps, watch: Watch): Promise<CaptureResult> {
  const settings = { ...DEFAULT_CAPTURE_SETTINGS, ...deps.settings };
  const staged = new StagedBlobs();
  const startedAt = deps.clock.now();
  const captureId = captureIdFor(startedAt);
  const log = { watchId: watch.id, url: watch.url, captureId };
  const steps: Step[] = [];
  const cadence = watch.firstSeenAt ? ageCadenceSeconds(watch.firstSeenAt, startedAt) : watch.cadenceSeconds;
  const nextDueAt = new Date(startedAt.getTime() + cadence * 1000).toISOString();
  const base = { watchId: watch.id, captureId, url: watch.url, startedAt: startedAt.toISOString() };

  /** A capture with a record and no version (failed, not modified, a feed): recorded, watch rescheduled. */
  const recordOnly = async (
    fields: Pick<CaptureRecord, 'status'> & Partial<CaptureRecord>,
    failure?: (capturedAt: string) => FailureNotification,
  ): Promise<CaptureResult> => {
    const capture: CaptureRecord = {
      ...base,
      capturedAt: deps.clock.now().toISOString(),
      artifacts: {},
      steps,
      ...fields,
    };
    const watchUpdate = {
      lastCapturedAt: capture.capturedAt,
      nextDueAt,
      lastStatus: capture.status,
      latestVersion: watch.latestVersion,
    };
    const records = { capture, watchUpdate, ...(failure ? { failure: failure(capture.capturedAt) } : {}) };
    await commitCapture(deps, staged, records, settings.journalStaleSeconds);
    deps.logger.info(capture.status === 'failed' ? 'capture failed' : 'not modified', {
      ...log,
      reason: capture.reason,
    });
    return { capture };
  };
  // Reported once, when the watch starts failing; published with the records, like every notification.
  const fail = (reason: string) =>
    recordOnly(
      { status: 'failed', reason },
      watch.lastStatus === 'failed'
        ? undefined
        : (capturedAt) => ({
            type: 'redline.failure',
            watchId: watch.id,
            url: watch.url,
            capturedAt,
            reason,
            tags: watch.tags,
          }),
    );

  if (deps.politeness) {
    const politeness = deps.politeness;
    if (!watch.ignoreRobots) {
      const robots = await timed(steps, 'robots', () => politeness.disallowed(watch.url));
      const refusal = robots.ok ? robots.value : undefined;
      if (refusal) return fail(refusal);
    }
    await politeness.waitTurn(watch.url);
  }

  // A conditional request only when the HTML itself is the content: a JavaScript page's shell says nothing.
  const conditional = watch.mode !== 'browser' && watch.latestVersion > 0 ? watch.validators : undefined;
  const fetchOutcome = await timed(steps, 'fetch', () => deps.fetcher.fetch(watch.url, conditional));
  if (!fetchOutcome.ok) return fail(fetchOutcome.error);
  if (fetchOutcome.value.http.status === 304) {
    return recordOnly({
      status: 'complete',
      http: fetchOutcome.value.http,
      verdict: 'unchanged',
      notModified: true,
      ...(watch.latestVersion > 0 ? { version: watch.latestVersion } : {}),
    });
  }

  const fetched = fetchOutcome.value;
  if (watch.type === 'feed') return recordOnly(await discoverFromFeed(deps, staged, watch, fetched));
  const artifacts: Artifacts = { raw: staged.add(fetched.body, fetched.http.contentType) };
  const probe = { kind: documentKind(fetched.body, fetched.http.contentType) };
  let renderedHtml: string | undefined;
  let screenshot: Uint8Array | undefined;
  if (shouldRender(watch, probe)) {
    const rendering = await stageRendering(deps, staged, steps, fetched.http.finalUrl, fetched);
    Object.assign(artifacts, rendering.artifacts);
    renderedHtml = rendering.html;
    screenshot = rendering.screenshot;
  }

  const baseline = await deps.versions.latestVersion(watch.id);
  const before = await loadArticle(deps, baseline);
  const content = await readContent(
    fetched,
    probe.kind === 'html' ? renderedHtml : undefined,
    before,
    deps.pdf,
  );
  if (content.extractError)
    steps.push({ name: 'extract', status: 'failed', ms: 0, detail: content.extractError });
  if (content.article) {
    artifacts.article = staged.add(Buffer.from(JSON.stringify(content.article)), 'application/json');
    artifacts.text = staged.add(Buffer.from(articleText(content.article)), 'text/plain; charset=utf-8');
  }

  const detection = await detect(deps, settings, watch, steps, content, baseline, before);
  const { verdict, edits } = detection;
  const capturedAt = deps.clock.now().toISOString();
  const finalExchange = fetched.exchanges?.at(-1);
  if (fetched.exchanges?.length) {
    const warc = await buildWarc({
      date: startedAt.toISOString(),
      exchanges: fetched.exchanges,
      ...(watch.lastPayload
        ? { previousPayload: { ...watch.lastPayload, date: watch.lastPayload.capturedAt } }
        : {}),
      metadata: {
        ...base,
        capturedAt,
        mode: watch.mode,
        verdict,
        anomaly: content.anomaly,
        textHash: content.textHash,
        steps,
        artifacts,
      },
      ...(screenshot ? { screenshot } : {}),
      software: 'Redline 0.1',
    });
    artifacts.warc = staged.add(warc, 'application/warc');
  }
  let version: VersionRecord | undefined;
  let notification: EditNotification | undefined;
  let alertState: Pick<Watch, 'alertWindowStart' | 'alertsInWindow'> = watch;
  if (verdict === 'first' || verdict === 'edited') {
    const number = (baseline?.number ?? 0) + 1;
    const title = fitTitle(
      content.article?.title || new URL(fetched.http.finalUrl).pathname.split('/').pop() || watch.url,
    );
    const revertOf =
      verdict === 'edited'
        ? (await deps.versions.listVersions(watch.id)).find((v) => v.textHash === content.textHash)?.number
        : undefined;
    const admitted = verdict === 'edited' ? admitAlert(watch, startedAt, settings.alertLimit) : undefined;
    const diff =
      verdict === 'edited' && baseline
        ? staged.add(
            Buffer.from(
              renderDiffPage({
                url: watch.url,
                title,
                from: baseline,
                to: { number, capturedAt, textHash: content.textHash },
                edits,
                ...(detection.silent !== undefined ? { silent: detection.silent } : {}),
              }),
            ),
            'text/html; charset=utf-8',
          )
        : undefined;
    // A long edit list lives in a blob; the record keeps its first edits (DynamoDB's 400 KB item limit).
    const kept = fitVersionEdits(edits, (json) => staged.add(json, 'application/json'));
    if (kept.blob) artifacts.edits = kept.blob;
    version = {
      watchId: watch.id,
      number,
      captureId,
      url: watch.url,
      capturedAt,
      title,
      textHash: content.textHash,
      artifacts,
      edits: kept.edits,
      ...(kept.omittedEdits ? { omittedEdits: kept.omittedEdits } : {}),
      ...(detection.silent !== undefined ? { silent: detection.silent } : {}),
      ...(revertOf ? { revertOf } : {}),
      ...(diff ? { diff } : {}),
      ...(admitted ? { alert: admitted.allowed ? 'sent' : 'rate_limited' } : {}),
    };
    if (admitted && baseline) {
      alertState = admitted;
      if (admitted.allowed) {
        notification = fitEditNotification({
          type: 'redline.edit',
          watchId: watch.id,
          url: watch.url,
          title,
          capturedAt,
          oldVersion: baseline.number,
          newVersion: number,
          oldTextHash: baseline.textHash,
          newTextHash: content.textHash,
          edits,
          significance: edits.some((e) => e.significance === 'major') ? 'major' : 'minor',
          silent: detection.silent ?? false,
          ...(revertOf ? { revertOf } : {}),
          diff: summarizeEdits(edits),
          ...(diff ? { diffHtml: diff.digest } : {}),
          ...(diff && deps.links ? { diffUrl: await deps.links.linkTo(diff) } : {}),
          tags: watch.tags,
        });
      }
    }
  }

  // One article, one watch: a new watch whose page names an already watched canonical URL is folded into it.
  let duplicateOf: string | undefined;
  if (verdict === 'first' && content.kind === 'html') {
    const canonical = declaredCanonical(
      renderedHtml ?? decodeBody(fetched.body, fetched.http.contentType),
      fetched.http.finalUrl,
    );
    if (canonical && canonical !== watch.url && (await deps.watches.getWatch(watchIdFor(canonical))))
      duplicateOf = canonical;
  }

  const failedSteps = steps.filter((step) => step.status === 'failed' && step.name !== 'confirm');
  const current = version?.number ?? baseline?.number;
  const capture: CaptureRecord = {
    ...base,
    capturedAt,
    status: failedSteps.length ? 'partial' : 'complete',
    ...(failedSteps.length
      ? { reason: failedSteps.map((step) => `${step.name}: ${step.detail ?? 'failed'}`).join('; ') }
      : {}),
    http: fetched.http,
    // Every blob this capture stored, the diff page included (its version names it too).
    artifacts: { ...artifacts, ...(version?.diff ? { diff: version.diff } : {}) },
    steps,
    textHash: content.textHash,
    verdict,
    ...(content.anomaly ? { anomaly: content.anomaly } : {}),
    ...(current ? { version: current } : {}),
    ...(duplicateOf ? { duplicateOf } : {}),
  };
  const records: CaptureRecords = {
    capture,
    ...(version ? { version } : {}),
    ...(notification ? { edit: notification } : {}),
    ...(content.anomaly && content.anomaly !== watch.lastAnomaly
      ? {
          anomaly: {
            type: 'redline.anomaly',
            watchId: watch.id,
            url: watch.url,
            capturedAt,
            anomaly: content.anomaly,
            baselineVersion: current ?? 0,
            httpStatus: fetched.http.status,
            tags: watch.tags,
          },
        }
      : {}),
    watchUpdate: {
      lastCapturedAt: capturedAt,
      nextDueAt,
      lastStatus: capture.status,
      latestVersion: current ?? 0,
      volatile: detection.volatile,
      lastAnomaly: content.anomaly ?? '',
      ...(finalExchange
        ? {
            lastPayload: {
              digest: sha256(finalExchange.wireBody),
              url: finalExchange.url,
              capturedAt: startedAt.toISOString(),
            },
          }
        : {}),
      // Validators only from a response that stands for the baseline: a 304 must mean "the article as kept".
      validators: content.anomaly
        ? {}
        : {
            ...(fetched.http.headers.etag ? { etag: fetched.http.headers.etag } : {}),
            ...(fetched.http.headers['last-modified']
              ? { lastModified: fetched.http.headers['last-modified'] }
              : {}),
          },
      ...(alertState.alertWindowStart ? { alertWindowStart: alertState.alertWindowStart } : {}),
      alertsInWindow: alertState.alertsInWindow,
    },
    ...(duplicateOf ? { removeWatch: true } : {}),
  };
  await commitCapture(deps, staged, records, settings.journalStaleSeconds);
  deps.logger.info('captured', {
    ...log,
    status: capture.status,
    verdict,
    version: capture.version,
    duplicateOf,
  });
  return { capture, ...(version ? { version } : {}), ...(notification ? { notification } : {}) };
}

/** The watch a URL captured on demand becomes (hourly, auto, no tags), kept only if its capture succeeds. */
export function onDemandWatch(normalizedUrl: string, now: Date): Watch {
  return buildWatch({ url: normalizedUrl, cadenceSeconds: 3600, mode: 'auto', tags: [] }, undefined, now);
}

/**
 * Captures a URL now. A watched URL is captured as its watch; an unwatched one becomes a watch (hourly,
 * auto) only if the capture did not fail, so a typo'd or unreachable URL leaves a failed capture record
 * and nothing else.
 */
export async function captureUrl(deps: CaptureDeps, url: string): Promise<CaptureResult> {
  const normalized = normalizeUrl(url);
  const existing = await deps.watches.getWatch(watchIdFor(normalized));
  if (existing) return captureWatch(deps, existing);
  const draft = onDemandWatch(normalized, deps.clock.now());
  await deps.watches.upsertWatch(draft);
  const result = await captureWatch(deps, draft);
  if (result.capture.status === 'failed') await deps.watches.removeWatch(draft.id);
  return result;
}
