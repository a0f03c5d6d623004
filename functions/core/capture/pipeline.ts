/**
 * One capture as a bounded pipeline of named steps (docs/architecture.md draws it). Each step is a module
 * in ./steps with its own budget (CaptureOptions.time.steps); the capture as a whole has a deadline
 * (CaptureOptions.time.captureMs, or less when the caller has less time: a Lambda's remaining time).
 * Both reach the step as one AbortSignal, which the fetcher, robots.txt, the browser and extraction
 * honour; a step that does not answer its signal is left behind, never waited for. A step that fails
 * or runs out of time ends the capture `failed` (nothing to compare without it) or leaves it `partial`
 * (the capture goes on without what it makes), as the step says; either way the step, its time and
 * its reason are in the record, and the record step always runs with time kept back for it.
 */
import type { Article } from '../detect/article.js';
import type { DocumentKind } from '../detect/charset.js';
import type { Content } from '../detect/content.js';
import type { Detection } from '../detect/verdict.js';
import { DeadlineError } from '../domain/errors.js';
import type {
  Artifacts,
  CaptureRecord,
  EditNotification,
  PipelineStepName,
  Step,
  VersionRecord,
  Watch,
} from '../domain/model.js';
import { type CaptureOptions, captureOptions } from '../domain/options.js';
import type { FetchedResponse, RenderedPage } from '../domain/ports.js';
import type { ProofState } from '../proof/stamping.js';
import { ageCadenceSeconds } from '../watches/discovery.js';
import type { CaptureDeps, CaptureResult } from './capture.js';
import { StagedBlobs } from './commit.js';

/** Everything one capture knows, filled in by its steps in order. */
export interface CaptureContext {
  readonly deps: CaptureDeps;
  readonly options: CaptureOptions;
  readonly watch: Watch;
  readonly captureId: string;
  readonly startedAt: Date;
  readonly nextDueAt: string;
  readonly staged: StagedBlobs;
  readonly steps: Step[];
  /** Every blob staged so far, by kind: a capture record names them all, whatever its outcome. */
  readonly artifacts: Artifacts;
  fetched?: FetchedResponse;
  kind?: DocumentKind;
  rendered?: Pick<RenderedPage, 'html' | 'screenshot' | 'exchanges' | 'provenance'>;
  baseline?: VersionRecord;
  before?: Article;
  content?: Content;
  detection?: Detection & { volatile: string[] };
  capturedAt?: string;
  version?: VersionRecord;
  notification?: EditNotification;
  alertState: Pick<Watch, 'alertWindowStart' | 'alertsInWindow'>;
  /** The proof step's manifest stamping: tokens for earlier versions, failures, what is still owed. */
  proof?: ProofState;
}

/** A capture that ends before the full record: failed, not modified, a feed read. */
export interface Ending {
  status: CaptureRecord['status'];
  fields?: Partial<CaptureRecord>;
  reason?: string;
}

export interface CaptureStep {
  readonly name: PipelineStepName;
  /**
   * What this step failing means. `fail`: the capture ends failed (nothing to compare without it).
   * `partial`: it goes on without what the step makes and is recorded partial. `ignore`: it goes on
   * as if the step had not run (the step only refines a verdict already made).
   */
  readonly onFailure: 'fail' | 'partial' | 'ignore';
  applies?(ctx: CaptureContext): boolean;
  run(ctx: CaptureContext, signal: AbortSignal): Promise<Ending | undefined>;
}

export type StepOutcome = { ok: true; ending?: Ending } | { ok: false; detail: string };

/** Rejects with the signal's reason when it aborts, whether or not `work` listens to it. */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => {}); // left behind: its own failure is no longer anyone's concern
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Runs one step under its budget and the capture's deadline, and records it: its name, status, time and,
 * on failure, why. A step whose budget or the capture's time ran out fails with a DeadlineError naming
 * which.
 */
export async function runStep(
  ctx: CaptureContext,
  step: Pick<CaptureStep, 'name' | 'run'>,
  deadline: { signal: AbortSignal },
  budgetMs: number,
): Promise<StepOutcome> {
  const start = performance.now();
  const elapsed = () => Math.round(performance.now() - start);
  const fail = (detail: string): StepOutcome => {
    ctx.steps.push({ name: step.name, status: 'failed', ms: elapsed(), detail });
    return { ok: false, detail };
  };
  if (deadline.signal.aborted) return fail(messageOf(deadline.signal.reason));
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DeadlineError(`${step.name} step`, budgetMs, elapsed())),
    budgetMs,
  );
  // The capture's end reaches the step with its own reason: its time ran out, or the caller stopped it.
  const onDeadline = () => controller.abort(deadline.signal.reason);
  deadline.signal.addEventListener('abort', onDeadline, { once: true });
  try {
    const ending = await raceAbort(step.run(ctx, controller.signal), controller.signal);
    ctx.steps.push({ name: step.name, status: 'ok', ms: elapsed() });
    return ending ? { ok: true, ending } : { ok: true };
  } catch (error) {
    return fail(messageOf(error));
  } finally {
    clearTimeout(timer);
    deadline.signal.removeEventListener('abort', onDeadline);
  }
}

function captureIdFor(startedAt: Date): string {
  const stamp = startedAt.toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${Math.random().toString(36).slice(2, 10)}`;
}

export interface RunLimits {
  /** The caller's own end: the capture stops when it aborts (a process shutting down). */
  signal?: AbortSignal;
  /** The most time this capture may take, when the caller has less than the configured time (Lambda). */
  deadlineMs?: number;
}

/** A fresh context for one capture of `watch`. */
export function newContext(deps: CaptureDeps, watch: Watch): CaptureContext {
  const options = captureOptions(deps.options);
  const startedAt = deps.clock.now();
  const cadence = watch.firstSeenAt ? ageCadenceSeconds(watch.firstSeenAt, startedAt) : watch.cadenceSeconds;
  return {
    deps,
    options,
    watch,
    captureId: captureIdFor(startedAt),
    startedAt,
    nextDueAt: new Date(startedAt.getTime() + cadence * 1000).toISOString(),
    staged: new StagedBlobs(),
    steps: [],
    artifacts: {},
    alertState: watch,
  };
}

/**
 * Runs `steps` in order under the capture's deadline, then `record` with its own budget (time kept back
 * for it, so a capture whose time ran out is still recorded, with why).
 */
export async function runPipeline(
  ctx: CaptureContext,
  steps: readonly CaptureStep[],
  record: (ctx: CaptureContext, ending: Ending | undefined, signal: AbortSignal) => Promise<CaptureResult>,
  limits: RunLimits = {},
): Promise<CaptureResult> {
  const { time } = ctx.options;
  const captureMs = Math.min(time.captureMs, limits.deadlineMs ?? Number.POSITIVE_INFINITY);
  const budgetMs = Math.max(0, Math.round(captureMs - time.recordReserveMs));
  const startedAt = performance.now();
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DeadlineError('capture', budgetMs, Math.round(performance.now() - startedAt))),
    budgetMs,
  );
  const onCallerAbort = () => controller.abort(limits.signal?.reason);
  if (limits.signal?.aborted) onCallerAbort();
  limits.signal?.addEventListener('abort', onCallerAbort, { once: true });
  const deadline = { signal: controller.signal };
  let ending: Ending | undefined;
  try {
    for (const step of steps) {
      if (step.applies && !step.applies(ctx)) continue;
      const outcome = await runStep(ctx, step, deadline, time.steps[step.name]);
      if (outcome.ok && outcome.ending) {
        ending = outcome.ending;
        break;
      }
      if (!outcome.ok && step.onFailure === 'fail') {
        ending = { status: 'failed', reason: `${step.name}: ${outcome.detail}` };
        break;
      }
    }
  } finally {
    clearTimeout(timer);
    limits.signal?.removeEventListener('abort', onCallerAbort);
  }
  // The record step is not cut short by the capture's deadline: the journal (ADR 0008) makes a record
  // interrupted by a dying process whole; its own budget only stops waiting for it.
  const recording = new AbortController();
  const recordTimer = setTimeout(
    () => recording.abort(new DeadlineError('record step', time.steps.record, time.steps.record)),
    time.steps.record,
  );
  try {
    return await raceAbort(record(ctx, ending, recording.signal), recording.signal);
  } finally {
    clearTimeout(recordTimer);
  }
}
