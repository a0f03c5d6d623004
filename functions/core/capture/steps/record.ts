import { decodeBody } from '../../detect/charset.js';
import { sha256 } from '../../domain/digest.js';
import type { CaptureRecord, FailureNotification } from '../../domain/model.js';
import { watchIdFor } from '../../domain/url.js';
import { declaredCanonical } from '../../watches/discovery.js';
import type { CaptureResult } from '../capture.js';
import { type CaptureRecords, commitCapture } from '../commit.js';
import type { CaptureContext, Ending } from '../pipeline.js';

/** Steps whose failure does not make a capture partial: they only refine a verdict already made. */
const ADVISORY_STEPS = new Set(['confirm']);

const baseOf = (ctx: CaptureContext) => ({
  watchId: ctx.watch.id,
  captureId: ctx.captureId,
  url: ctx.watch.url,
  startedAt: ctx.startedAt.toISOString(),
});

async function commit(ctx: CaptureContext, records: CaptureRecords): Promise<void> {
  await commitCapture(ctx.deps, ctx.staged, records, ctx.options.journal.staleSeconds);
}

/**
 * A capture that ended before its full record (failed, not modified, a feed): its record names every
 * blob staged so far, and the watch is rescheduled. A watch that starts failing is reported once.
 */
async function recordEnding(ctx: CaptureContext, ending: Ending): Promise<CaptureResult> {
  const { deps, watch } = ctx;
  const capture: CaptureRecord = {
    ...baseOf(ctx),
    capturedAt: deps.clock.now().toISOString(),
    artifacts: { ...ctx.artifacts },
    steps: ctx.steps,
    ...(ctx.fetched ? { http: ctx.fetched.http } : {}),
    ...ending.fields,
    status: ending.status,
    ...(ending.reason ? { reason: ending.reason } : {}),
  };
  const failure: FailureNotification | undefined =
    capture.status === 'failed' && watch.lastStatus !== 'failed'
      ? {
          type: 'redline.failure',
          watchId: watch.id,
          url: watch.url,
          capturedAt: capture.capturedAt,
          reason: capture.reason ?? 'failed',
          tags: watch.tags,
        }
      : undefined;
  await commit(ctx, {
    capture,
    watchUpdate: {
      lastCapturedAt: capture.capturedAt,
      nextDueAt: ctx.nextDueAt,
      lastStatus: capture.status,
      latestVersion: watch.latestVersion,
    },
    ...(failure ? { failure } : {}),
  });
  deps.logger.info(capture.status === 'failed' ? 'capture failed' : 'capture ended', {
    watchId: watch.id,
    url: watch.url,
    captureId: ctx.captureId,
    status: capture.status,
    reason: capture.reason,
  });
  return { capture };
}

/** Timestamp authorities newly failing, or versions given up: one report on the alerts topic. */
function proofFailureOf(ctx: CaptureContext, capturedAt: string): FailureNotification | undefined {
  const alerts = ctx.proof?.alerts ?? [];
  if (alerts.length === 0) return undefined;
  return {
    type: 'redline.failure',
    watchId: ctx.watch.id,
    url: ctx.watch.url,
    capturedAt,
    reason: `timestamps: ${alerts.join('; ')}`,
    tags: ctx.watch.tags,
  };
}

/** One article, one watch: a first capture whose page names an already watched canonical URL folds into it. */
async function duplicateOf(ctx: CaptureContext): Promise<string | undefined> {
  if (ctx.detection?.verdict !== 'first' || ctx.content?.kind !== 'html') return undefined;
  const fetched = ctx.fetched!;
  const canonical = declaredCanonical(
    ctx.rendered?.html ?? decodeBody(fetched.body, fetched.http.contentType),
    fetched.http.finalUrl,
  );
  if (!canonical || canonical === ctx.watch.url) return undefined;
  return (await ctx.deps.watches.getWatch(watchIdFor(canonical))) ? canonical : undefined;
}

/**
 * The record step: the capture record (naming every blob, the diff page too), the version, the edit
 * notification or the anomaly report, the watch's new state, committed through the journal (ADR 0008).
 */
export async function recordCapture(ctx: CaptureContext, ending: Ending | undefined): Promise<CaptureResult> {
  if (ending) return recordEnding(ctx, ending);
  const { deps, watch, version, notification, alertState } = ctx;
  const fetched = ctx.fetched!;
  const content = ctx.content!;
  const detection = ctx.detection!;
  const capturedAt = ctx.capturedAt!;
  const folded = await duplicateOf(ctx);
  const failedSteps = ctx.steps.filter((step) => step.status === 'failed' && !ADVISORY_STEPS.has(step.name));
  const current = version?.number ?? ctx.baseline?.number;
  const capture: CaptureRecord = {
    ...baseOf(ctx),
    capturedAt,
    status: failedSteps.length ? 'partial' : 'complete',
    ...(failedSteps.length
      ? { reason: failedSteps.map((step) => `${step.name}: ${step.detail ?? 'failed'}`).join('; ') }
      : {}),
    http: fetched.http,
    // Every blob this capture stored, the diff page included (its version names it too).
    artifacts: { ...ctx.artifacts, ...(version?.diff ? { diff: version.diff } : {}) },
    steps: ctx.steps,
    textHash: content.textHash,
    verdict: detection.verdict,
    ...(content.anomaly ? { anomaly: content.anomaly } : {}),
    ...(current ? { version: current } : {}),
    ...(folded ? { duplicateOf: folded } : {}),
    ...(ctx.proof?.stamps.length ? { timestamps: ctx.proof.stamps } : {}),
    ...(ctx.proof?.failures.length ? { stampFailures: ctx.proof.failures } : {}),
  };
  const proofAlert = proofFailureOf(ctx, capturedAt);
  const finalExchange = fetched.exchanges?.at(-1);
  const records: CaptureRecords = {
    capture,
    ...(version ? { version } : {}),
    ...(notification ? { edit: notification } : {}),
    ...(proofAlert ? { failure: proofAlert } : {}),
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
      nextDueAt: ctx.nextDueAt,
      lastStatus: capture.status,
      latestVersion: current ?? 0,
      volatile: detection.volatile,
      lastAnomaly: content.anomaly ?? '',
      ...(finalExchange
        ? {
            lastPayload: {
              digest: sha256(finalExchange.wireBody),
              url: finalExchange.url,
              capturedAt: ctx.startedAt.toISOString(),
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
      ...(ctx.proof ? { unstamped: ctx.proof.unstamped } : {}),
    },
    ...(folded ? { removeWatch: true } : {}),
  };
  await commit(ctx, records);
  deps.logger.info('captured', {
    watchId: watch.id,
    url: watch.url,
    captureId: ctx.captureId,
    status: capture.status,
    verdict: detection.verdict,
    version: capture.version,
    duplicateOf: folded,
  });
  return { capture, ...(version ? { version } : {}), ...(notification ? { notification } : {}) };
}
