/**
 * Which manifests a capture asks the timestamp authorities to stamp, and what the answers change: the
 * new version's manifest, then a few older ones still owed a token (an authority was down or wrong when
 * they were made). Never throws for an authority's sake: a failure is recorded, kept owed and retried by
 * later captures up to a limit, and reported. Pure but for the authorities it is given.
 */
import { type Digest, digestHex } from '../domain/digest.js';
import type { LateTimestamp, StampFailure, TimestampRef, Unstamped } from '../domain/model.js';
import type { ProofOptions } from '../domain/options.js';
import type { TimestampAuthority } from './ports.js';
import { type StampResult, stampWithAll } from './stamp-all.js';
import type { TimestampToken } from './timestamp.js';

/** What the proof step leaves for the record step. */
export interface ProofState {
  /** The watch's versions still owed a token after this capture. */
  unstamped: Unstamped[];
  /** Every token this capture obtained, its own version's and earlier ones' (the capture record lists them). */
  stamps: LateTimestamp[];
  /** Every authority that failed during this capture. */
  failures: StampFailure[];
  /** Reported on the alerts topic: authorities newly failing a version, versions given up. */
  alerts: string[];
}

/** One manifest to stamp: `version`'s, by the authorities named in `tsas`. */
export interface StampJob {
  version: number;
  manifest: Digest;
  tsas: string[];
  /** Attempts before this one. */
  attempts: number;
  /** The version this capture made (its tokens go in its own record). */
  fresh: boolean;
}

export interface StampOutcome {
  job: StampJob;
  /** Each token as it is to be recorded: the caller stores its bytes and gives back the ref. */
  tokens: { tsa: string; token: TimestampToken }[];
  failures: { tsa: string; reason: string }[];
}

const MAX_REASON = 300;
const clip = (text: string) => (text.length > MAX_REASON ? `${text.slice(0, MAX_REASON - 1)}…` : text);

/**
 * The manifests to ask about this capture: the fresh one (if any) first, then the oldest owed ones, at
 * most `restampPerCapture` of them, each by the configured authorities still missing from it. Owed
 * entries naming only authorities no longer configured are forgotten.
 */
export function planStamps(
  owed: readonly Unstamped[],
  fresh: { version: number; manifest: Digest } | undefined,
  authorities: readonly TimestampAuthority[],
  options: ProofOptions,
): { jobs: StampJob[]; rest: Unstamped[] } {
  const configured = new Set(authorities.map((a) => a.url));
  const still = owed
    .map((entry) => ({ ...entry, tsas: entry.tsas.filter((url) => configured.has(url)) }))
    .filter((entry) => entry.tsas.length > 0 && entry.version !== fresh?.version)
    .sort((a, b) => a.version - b.version);
  const retried = still.slice(0, options.restampPerCapture);
  const jobs: StampJob[] = retried.map((entry) => ({ ...entry, fresh: false }));
  if (fresh && configured.size > 0) {
    jobs.unshift({ ...fresh, tsas: [...configured], attempts: 0, fresh: true });
  }
  return { jobs, rest: still.slice(options.restampPerCapture) };
}

/** Asks each job's authorities at once; never throws (stampWithAll turns every failure into a result). */
export async function runStamps(
  jobs: readonly StampJob[],
  authorities: readonly TimestampAuthority[],
  signal?: AbortSignal,
): Promise<StampOutcome[]> {
  return Promise.all(
    jobs.map(async (job) => {
      const asked = authorities.filter((a) => job.tsas.includes(a.url));
      const result: StampResult = await stampWithAll(asked, digestHex(job.manifest), signal);
      return {
        job,
        tokens: result.tokens.map((t) => ({ tsa: t.url, token: t.token })),
        failures: result.failures.map((f) => ({
          tsa: f.url,
          reason: clip(`${f.reason}: ${f.error.message}`),
        })),
      };
    }),
  );
}

/** Every job failed for `reason`: what is recorded when the step cannot wait for the answers. */
export function allFailed(jobs: readonly StampJob[], reason: string): StampOutcome[] {
  return jobs.map((job) => ({ job, tokens: [], failures: job.tsas.map((tsa) => ({ tsa, reason })) }));
}

/**
 * Folds the answers into the watch's owed list and the capture's records. `store` stores a token's
 * bytes and returns its ref. A version whose authorities still fail is kept owed until its attempts
 * reach `maxStampAttempts`; the list keeps at most `maxUnstamped` versions (the oldest go first).
 */
export function settleStamps(
  outcomes: readonly StampOutcome[],
  rest: readonly Unstamped[],
  options: ProofOptions,
  store: (token: TimestampToken) => TimestampRef['token'],
): { state: ProofState; fresh: TimestampRef[] } {
  const state: ProofState = { unstamped: [], stamps: [], failures: [], alerts: [] };
  const fresh: TimestampRef[] = [];
  const kept: Unstamped[] = [];
  for (const { job, tokens, failures } of outcomes) {
    for (const { tsa, token } of tokens) {
      const ref: TimestampRef = { tsa, genTime: token.genTime.toISOString(), token: store(token) };
      if (job.fresh) fresh.push(ref);
      state.stamps.push({ ...ref, version: job.version, manifest: job.manifest });
    }
    for (const failure of failures) state.failures.push({ version: job.version, ...failure });
    if (failures.length === 0) continue;
    const attempts = job.attempts + 1;
    const named = failures.map((f) => `${f.tsa} (${f.reason})`).join(', ');
    if (attempts >= options.maxStampAttempts) {
      state.alerts.push(
        `version ${job.version}: manifest ${job.manifest} given up after ${attempts} attempts by ${named}`,
      );
    } else {
      kept.push({ version: job.version, manifest: job.manifest, tsas: failures.map((f) => f.tsa), attempts });
      if (job.fresh) {
        state.alerts.push(
          `version ${job.version}: manifest ${job.manifest} not timestamped by ${named}; later captures retry`,
        );
      }
    }
  }
  const all = [...kept, ...rest].sort((a, b) => a.version - b.version);
  const over = Math.max(0, all.length - options.maxUnstamped);
  for (const dropped of all.slice(0, over)) {
    state.alerts.push(
      `version ${dropped.version}: manifest ${dropped.manifest} given up (more than ${options.maxUnstamped} versions owed a timestamp)`,
    );
  }
  state.unstamped = all.slice(over);
  return { state, fresh };
}
