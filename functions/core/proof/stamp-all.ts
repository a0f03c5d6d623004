import { RedlineError, TimestampAuthorityError, TimestampError } from '../domain/errors.js';
import type { TimestampAuthority } from './ports.js';
import type { TimestampToken } from './timestamp.js';

/** More authorities than this are a configuration mistake; the extra ones are reported, not asked. */
export const MAX_AUTHORITIES = 8;

export interface StampedToken {
  url: string;
  token: TimestampToken;
}

export interface StampFailure {
  url: string;
  /** The TimestampError code, the TimestampAuthorityError reason, or `error` for anything else. */
  reason: string;
  error: Error;
}

export interface StampResult {
  tokens: StampedToken[];
  failures: StampFailure[];
}

function reasonOf(error: Error): string {
  if (error instanceof TimestampError) return error.code;
  if (error instanceof TimestampAuthorityError) return error.reason;
  return 'error';
}

/**
 * Stamps one digest with every authority at once. An authority that is down, slow or wrong becomes a
 * failure in the result: this never throws, so one bad TSA cannot cost the others' tokens.
 */
export async function stampWithAll(
  authorities: readonly TimestampAuthority[],
  digestHex: string,
  signal?: AbortSignal,
): Promise<StampResult> {
  const asked = authorities.slice(0, MAX_AUTHORITIES);
  const skipped: StampFailure[] = authorities.slice(MAX_AUTHORITIES).map((a) => ({
    url: a.url,
    reason: 'skipped',
    error: new RedlineError(
      `more than ${MAX_AUTHORITIES} timestamp authorities configured; ${a.url} not asked`,
    ),
  }));
  const settled = await Promise.allSettled(
    asked.map(async (authority) => authority.stamp(digestHex, signal)),
  );
  const result: StampResult = { tokens: [], failures: [] };
  settled.forEach((outcome, i) => {
    const url = asked[i]!.url;
    if (outcome.status === 'fulfilled') {
      result.tokens.push({ url, token: outcome.value });
    } else {
      const error = outcome.reason instanceof Error ? outcome.reason : new Error(String(outcome.reason));
      result.failures.push({ url, reason: reasonOf(error), error });
    }
  });
  result.failures.push(...skipped);
  return result;
}
