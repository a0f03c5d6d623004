/**
 * The scheduled verifier's use case: one pass of `verify` over the archive (every watch, or a sample),
 * run in slices that each end before their invocation's deadline. A slice walks the watches in id order
 * after the pass's cursor; when time runs short it stops at a watch boundary and hands the pass (cursor,
 * totals, the problems so far) to its continuation, which runs the next slice in a new invocation. The
 * last slice publishes one summary of the pass's problems (none when it found none).
 *
 * Bounded: a pass runs at most `maxInvocations` slices; the first watch of a slice may use the whole
 * slice (so every slice makes progress), and a watch that does not fit in a whole slice is given up with a
 * `limit_reached` problem rather than retried for ever.
 *
 * Sampled passes: the watches are dealt into `groups` groups by a hash of their id and the cycle number,
 * and a pass verifies the one group its scheduled time selects. `groups` consecutive scheduled runs form
 * a cycle that verifies every watch exactly once; the next cycle deals them anew. Blobs are not sampled:
 * a sampled watch is verified whole (its chain and tokens need every manifest anyway).
 */
import type * as pkijs from 'pkijs';
import { z } from 'zod';
import { jsonBytes, SNS_MESSAGE_MAX_BYTES } from '../../contracts/aws-limits.js';
import type { Clock } from '../domain/clock.js';
import { digestHex, sha256 } from '../domain/digest.js';
import { InvariantError } from '../domain/errors.js';
import type { Logger } from '../domain/ports.js';
import {
  PROBLEM_CODES,
  type Problem,
  VERIFY_DEFAULTS,
  type VerifyDeps,
  VerifyInterruptedError,
  verifyOneWatch,
} from './verify.js';

export const VERIFY_MODES = ['full', 'sampled'] as const;
export type VerifyMode = (typeof VERIFY_MODES)[number];

/** The groups a sampled pass deals the watches into for a fraction of them per run (1 for a full pass). */
export function sampleGroups(fraction: number): number {
  if (!(fraction > 0 && fraction <= 1)) throw new InvariantError(`sample fraction ${fraction} not in (0, 1]`);
  return Math.max(1, Math.ceil(1 / fraction - 1e-9));
}

/** Text fields of a problem are clipped to these before a pass keeps them (the pass travels in a message). */
const CLIP = { url: 2048, record: 200, what: 300, detail: 1000 } as const;
/** The problems a pass keeps at most, as JSON; the rest are counted. Leaves room in a 256 KB message. */
export const KEPT_PROBLEMS_MAX_BYTES = 128 * 1024;
/** A pass summary published on the alerts topic is at most this (SNS's 256 KB less room for attributes). */
export const VERIFY_ALERT_MAX_BYTES = SNS_MESSAGE_MAX_BYTES - 16 * 1024;

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export const ProblemSchema = z.object({
  code: z.enum(PROBLEM_CODES),
  watchId: z.string(),
  url: z.string(),
  record: z.string(),
  what: z.string().optional(),
  digest: z.string().optional(),
  detail: z.string(),
});

const Count = z.number().int().min(0);

export const VerifyTotalsSchema = z.object({
  watches: Count,
  captures: Count,
  versions: Count,
  blobs: Count,
  bytes: Count,
  tokens: Count,
});
export type VerifyTotals = z.infer<typeof VerifyTotalsSchema>;

/** Everything a pass carries from one slice to the next: it is the continuation's whole message. */
export const VerifyPassSchema = z.object({
  passId: z.string().min(1).max(200),
  mode: z.enum(VERIFY_MODES),
  scheduledAt: z.iso.datetime(),
  startedAt: z.iso.datetime(),
  /** Sampled passes: the cycle and the group of it this pass verifies. */
  sample: z.object({ cycle: Count, group: Count, groups: z.number().int().min(1) }).optional(),
  /** The cursor: the id of the last watch verified (or given up); the next slice starts after it. */
  after: z.string().optional(),
  /** Slices run so far. */
  invocations: Count,
  totals: VerifyTotalsSchema,
  /** Every problem found, kept or not. */
  problemCount: Count,
  /** The first problems found, clipped, up to KEPT_PROBLEMS_MAX_BYTES. */
  problems: z.array(ProblemSchema).max(10_000),
});
export type VerifyPass = z.infer<typeof VerifyPassSchema>;

export interface VerifySchedule {
  mode: VerifyMode;
  /** Sampled: how many groups the watches are dealt into (one verified per pass). */
  groups: number;
  /** How far apart passes are scheduled: a pass's slot is its scheduled time divided by this. */
  intervalMs: number;
}

/** A new pass, for a run scheduled at `scheduledAt` (a run started by hand: now). */
export function startPass(schedule: VerifySchedule, scheduledAt: Date, now: Date): VerifyPass {
  const pass: VerifyPass = {
    passId: `${schedule.mode}-${scheduledAt.toISOString()}`,
    mode: schedule.mode,
    scheduledAt: scheduledAt.toISOString(),
    startedAt: now.toISOString(),
    invocations: 0,
    totals: { watches: 0, captures: 0, versions: 0, blobs: 0, bytes: 0, tokens: 0 },
    problemCount: 0,
    problems: [],
  };
  if (schedule.mode === 'sampled') {
    if (!(schedule.intervalMs > 0)) throw new InvariantError('a sampled pass needs the schedule interval');
    const slot = Math.floor(scheduledAt.getTime() / schedule.intervalMs);
    const groups = Math.max(1, schedule.groups);
    pass.sample = { cycle: Math.floor(slot / groups), group: slot % groups, groups };
    pass.passId = `${pass.passId}-${pass.sample.group + 1}of${groups}`;
  }
  return pass;
}

/** Whether a watch is in a sampled pass's group: its id and the cycle, hashed, modulo the groups. */
export function inSample(watchId: string, sample: NonNullable<VerifyPass['sample']>): boolean {
  if (sample.groups <= 1) return true;
  // 48 bits of the hash: an exact integer, evenly spread over any realistic number of groups.
  const hash = Number.parseInt(digestHex(sha256(`${sample.cycle}:${watchId}`)).slice(0, 12), 16);
  return hash % sample.groups === sample.group;
}

/** The pass summary on the alerts topic: one message per pass that found problems. */
export interface VerifyAlert {
  type: 'redline.verify';
  stage: string;
  passId: string;
  mode: VerifyMode;
  /** Sampled: `group` of `groups` (1-based) this pass verified. */
  sample?: { group: number; groups: number };
  scheduledAt: string;
  startedAt: string;
  finishedAt: string;
  /** False when the pass was cut short (its invocation cap): the watches after the last one were not checked. */
  complete: boolean;
  invocations: number;
  totals: VerifyTotals;
  problemCount: number;
  /** The first problems, each naming the watch, the record, the digest and what is wrong. */
  problems: Problem[];
  /** Problems found but not listed (message size). */
  omittedProblems: number;
}

/** Publishes a pass summary (the alerts topic on AWS). */
export interface VerifyAlerts {
  publishVerifyAlert(alert: VerifyAlert): Promise<void>;
}

/** Runs the pass's next slice in a new invocation (a message to the verifier's own queue on AWS). */
export interface VerifyContinuation {
  continuePass(pass: VerifyPass): Promise<void>;
}

export interface VerifyRunDeps extends VerifyDeps {
  alerts: VerifyAlerts;
  continuation: VerifyContinuation;
  clock: Clock;
  logger: Logger;
}

export interface VerifyRunOptions {
  stage: string;
  roots?: readonly pkijs.Certificate[];
  /** Milliseconds the invocation has left (Lambda's context). */
  remainingMs: () => number;
  /**
   * No watch but a slice's first is started, and any but the first is given up (to be verified by the
   * next slice), with less than this left: time for blobs in flight and for handing the pass on.
   */
  stopMarginMs: number;
  /** The first watch of a slice is given up (for good: it does not fit in a slice) with less than this left. */
  hardMarginMs: number;
  /** Slices per pass at most. */
  maxInvocations: number;
  concurrency?: number;
  maxRecordsPerWatch?: number;
  maxWatches?: number;
}

export interface VerifySlice {
  outcome: 'continued' | 'finished';
  pass: VerifyPass;
  /** This slice's own work (what the metrics of one invocation count). */
  slice: { watches: number; blobs: number; bytes: number; problems: number };
  /** The summary published, when the pass finished with problems. */
  alert?: VerifyAlert;
}

function keep(pass: VerifyPass, problems: Problem[]): void {
  pass.problemCount += problems.length;
  let bytes = jsonBytes(pass.problems);
  for (const problem of problems) {
    const clipped: Problem = {
      ...problem,
      url: clip(problem.url, CLIP.url),
      record: clip(problem.record, CLIP.record),
      detail: clip(problem.detail, CLIP.detail),
      ...(problem.what !== undefined ? { what: clip(problem.what, CLIP.what) } : {}),
    };
    const size = jsonBytes(clipped) + 1;
    if (bytes + size > KEPT_PROBLEMS_MAX_BYTES) return;
    pass.problems.push(clipped);
    bytes += size;
  }
}

/** The summary with as many problems as fit in `maxBytes` of JSON (the first ones), the rest counted. */
export function fitVerifyAlert(alert: VerifyAlert, maxBytes = VERIFY_ALERT_MAX_BYTES): VerifyAlert {
  const withFirst = (n: number): VerifyAlert => ({
    ...alert,
    problems: alert.problems.slice(0, n),
    omittedProblems: alert.problemCount - Math.min(n, alert.problems.length),
  });
  if (jsonBytes(withFirst(alert.problems.length)) <= maxBytes) return withFirst(alert.problems.length);
  let lo = 0;
  let hi = alert.problems.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (jsonBytes(withFirst(mid)) <= maxBytes) lo = mid;
    else hi = mid - 1;
  }
  const fitted = withFirst(lo);
  if (jsonBytes(fitted) > maxBytes)
    throw new InvariantError('a verify summary without problems is over the limit');
  return fitted;
}

function summary(pass: VerifyPass, stage: string, now: Date, complete: boolean): VerifyAlert {
  return fitVerifyAlert({
    type: 'redline.verify',
    stage,
    passId: pass.passId,
    mode: pass.mode,
    ...(pass.sample ? { sample: { group: pass.sample.group + 1, groups: pass.sample.groups } } : {}),
    scheduledAt: pass.scheduledAt,
    startedAt: pass.startedAt,
    finishedAt: now.toISOString(),
    complete,
    invocations: pass.invocations,
    totals: pass.totals,
    problemCount: pass.problemCount,
    problems: pass.problems,
    omittedProblems: 0,
  });
}

/**
 * Runs one slice of the pass: verifies watches after its cursor until they are all done (the summary is
 * published if there were problems) or time runs short (the pass is handed to the continuation, or, at
 * the invocation cap, finished with a `limit_reached` problem). Errors other than problems (the table
 * unreadable) propagate: the slice is retried whole with the same pass.
 */
export async function runVerifySlice(
  deps: VerifyRunDeps,
  input: VerifyPass,
  options: VerifyRunOptions,
): Promise<VerifySlice> {
  const pass: VerifyPass = structuredClone(input);
  pass.invocations += 1;
  const slice = { watches: 0, blobs: 0, bytes: 0, problems: 0 };
  const maxWatches = options.maxWatches ?? VERIFY_DEFAULTS.maxWatches;
  const listed = await deps.watches.listWatches();
  const all = listed.map((w) => ({ id: w.id, url: w.url })).sort((a, b) => (a.id < b.id ? -1 : 1));
  const inPass = all.slice(0, maxWatches).filter((w) => !pass.sample || inSample(w.id, pass.sample));
  const todo = inPass.filter((w) => pass.after === undefined || w.id > pass.after);
  if (pass.invocations === 1 && all.length > maxWatches) {
    keep(pass, [
      {
        code: 'limit_reached',
        watchId: '',
        url: '',
        record: 'watches',
        detail: `${all.length} watches: the first ${maxWatches} by id are verified`,
      },
    ]);
    slice.problems += 1;
  }
  const verifyOptions = {
    ...(options.roots ? { roots: options.roots } : {}),
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    ...(options.maxRecordsPerWatch ? { maxRecordsPerWatch: options.maxRecordsPerWatch } : {}),
  };
  let stoppedAt: number | undefined;
  for (const [i, watch] of todo.entries()) {
    const first = i === 0;
    if (!first && options.remainingMs() < options.stopMarginMs) {
      stoppedAt = i;
      break;
    }
    const margin = first ? options.hardMarginMs : options.stopMarginMs;
    try {
      const report = await verifyOneWatch(deps, watch, {
        ...verifyOptions,
        shouldStop: () => options.remainingMs() < margin,
      });
      for (const key of Object.keys(pass.totals) as (keyof VerifyTotals)[]) pass.totals[key] += report[key];
      keep(pass, report.problems);
      slice.watches += 1;
      slice.blobs += report.blobs;
      slice.bytes += report.bytes;
      slice.problems += report.problems.length;
    } catch (error) {
      if (!(error instanceof VerifyInterruptedError)) throw error;
      if (!first) {
        stoppedAt = i;
        break;
      }
      // A whole slice was not enough for this watch: it never will be. Named, and passed over.
      deps.logger.warn('watch given up: it does not fit in one invocation', { watchId: watch.id });
      keep(pass, [
        {
          code: 'limit_reached',
          watchId: watch.id,
          url: watch.url,
          record: 'watch',
          detail: `not verified: it did not fit in one invocation (${pass.invocations} of pass ${pass.passId})`,
        },
      ]);
      slice.problems += 1;
    }
    pass.after = watch.id;
  }

  const now = deps.clock.now();
  let complete = true;
  if (stoppedAt !== undefined) {
    if (pass.invocations < options.maxInvocations) {
      await deps.continuation.continuePass(pass);
      deps.logger.info('verify pass continues', { passId: pass.passId, after: pass.after, ...slice });
      return { outcome: 'continued', pass, slice };
    }
    complete = false;
    const left = todo.length - stoppedAt;
    keep(pass, [
      {
        code: 'limit_reached',
        watchId: '',
        url: '',
        record: 'pass',
        detail: `the pass stopped at its cap of ${options.maxInvocations} invocations: ${left} watch${left === 1 ? '' : 'es'} after ${pass.after ?? 'the first'} not verified`,
      },
    ]);
    slice.problems += 1;
  }
  deps.logger.info('verify pass finished', {
    passId: pass.passId,
    invocations: pass.invocations,
    problems: pass.problemCount,
    complete,
    ...pass.totals,
  });
  if (pass.problemCount === 0) return { outcome: 'finished', pass, slice };
  const alert = summary(pass, options.stage, now, complete);
  await deps.alerts.publishVerifyAlert(alert);
  return { outcome: 'finished', pass, slice, alert };
}

/**
 * What the verifier's queue carries: `verify` starts a pass (from the schedule, with the time it was
 * scheduled for; or by hand, without), `verify-continue` runs a pass's next slice.
 */
export const VerifyMessageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('verify'), scheduledTime: z.iso.datetime({ offset: true }).optional() }),
  z.object({ kind: z.literal('verify-continue'), pass: VerifyPassSchema }),
]);
export type VerifyMessage = z.infer<typeof VerifyMessageSchema>;
