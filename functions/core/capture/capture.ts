import type { HtmlExtractor } from '../detect/content.js';
import type { PdfExtractor } from '../detect/pdf.js';
import type { CaptureRecord, EditNotification, VersionRecord, Watch } from '../domain/model.js';
import { captureOptions } from '../domain/options.js';
import type { BlobLinks, HttpFetcher, PageRenderer } from '../domain/ports.js';
import { normalizeUrl, watchIdFor } from '../domain/url.js';
import type { TimestampAuthority } from '../proof/ports.js';
import { buildWatch } from '../watches/watches.js';
import { type CommitDeps, recoverInterrupted } from './commit.js';
import { type CaptureStep, newContext, type RunLimits, runPipeline } from './pipeline.js';
import type { Politeness } from './politeness.js';
import { confirmStep } from './steps/confirm.js';
import { detectStep } from './steps/detect.js';
import { extractStep } from './steps/extract.js';
import { feedStep } from './steps/feed.js';
import { fetchStep } from './steps/fetch.js';
import { proofStep } from './steps/proof.js';
import { recordCapture } from './steps/record.js';
import { renderStep } from './steps/render.js';
import { robotsStep } from './steps/robots.js';
import { versionStep } from './steps/version.js';
import { waitStep } from './steps/wait.js';
import { warcStep } from './steps/warc.js';

export interface CaptureDeps extends CommitDeps {
  fetcher: HttpFetcher;
  renderer: PageRenderer;
  /** robots.txt and per-host pacing; without it every fetch goes straight out (unit tests). */
  politeness?: Politeness;
  /** Makes the link to the HTML diff in notifications. */
  links?: BlobLinks;
  /** Reads PDFs' text (in a child process with budgets in the CLI and Lambda); in-process if not given. */
  pdf?: PdfExtractor;
  /** Reads HTML pages' articles (in a worker thread with budgets in the CLI and Lambda); in-process if not given. */
  html?: HtmlExtractor;
  /** RFC 3161 authorities that stamp each new version's manifest (REDLINE_TSA_URLS); none: no timestamps. */
  timestamps?: readonly TimestampAuthority[];
}

export interface CaptureResult {
  capture: CaptureRecord;
  version?: VersionRecord;
  notification?: EditNotification;
}

/**
 * The capture pipeline, in order: one module per step in ./steps, each with its budget
 * (CaptureOptions.time.steps), then the record step. Adding a step is a module and a line here.
 */
export const CAPTURE_PIPELINE: readonly CaptureStep[] = [
  robotsStep,
  waitStep,
  fetchStep,
  feedStep,
  renderStep,
  extractStep,
  detectStep,
  confirmStep,
  warcStep,
  versionStep,
  proofStep,
];

/**
 * Captures one watch: fetch, render, store every artifact by hash, extract, compare with the latest
 * version, and record. An earlier capture of the watch that its process left unfinished is finished first.
 */
export async function captureWatch(
  deps: CaptureDeps,
  watch: Watch,
  limits?: RunLimits,
): Promise<CaptureResult> {
  // A watch removed meanwhile is still captured as asked; its record joins its kept history.
  return captureFresh(deps, (await recoverWatch(deps, watch)) ?? watch, limits);
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
 * Captures one watch whose interrupted captures are already finished, through the pipeline. Artifacts
 * are hashed as they are made and written at the end, after a journal entry and before the records
 * that point at them. Ends within the capture's deadline (CaptureOptions.time, or `limits`).
 */
export async function captureFresh(
  deps: CaptureDeps,
  watch: Watch,
  limits?: RunLimits,
): Promise<CaptureResult> {
  return runPipeline(newContext(deps, watch), CAPTURE_PIPELINE, recordCapture, limits);
}

/** Until when a capture holds its watch: the capture's own deadline from now. */
export function leaseEnd(deps: CaptureDeps): string {
  return new Date(deps.clock.now().getTime() + captureOptions(deps.options).time.captureMs).toISOString();
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
  // Held for the capture's time, so a scheduler in another process does not capture it at once too.
  const lease = leaseEnd(deps);
  if (existing) {
    await deps.watches.claimDue(existing.id, existing.nextDueAt, lease);
    return captureWatch(deps, existing);
  }
  const draft = { ...onDemandWatch(normalized, deps.clock.now()), nextDueAt: lease };
  await deps.watches.upsertWatch(draft);
  const result = await captureWatch(deps, draft);
  if (result.capture.status === 'failed') await deps.watches.removeWatch(draft.id);
  return result;
}
