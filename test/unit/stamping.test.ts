import { describe, expect, it } from 'vitest';
import { sha256 } from '../../functions/core/domain/digest.js';
import { TimestampAuthorityError } from '../../functions/core/domain/errors.js';
import type { Unstamped } from '../../functions/core/domain/model.js';
import { DEFAULT_CAPTURE_OPTIONS } from '../../functions/core/domain/options.js';
import type { TimestampAuthority } from '../../functions/core/proof/ports.js';
import { planStamps, runStamps, settleStamps } from '../../functions/core/proof/stamping.js';
import type { TimestampToken } from '../../functions/core/proof/timestamp.js';

const options = DEFAULT_CAPTURE_OPTIONS.proof;
const A = 'http://127.0.0.1:1/a';
const B = 'http://127.0.0.1:1/b';

/** An authority answering from a table: a token for the digests it knows, a refusal otherwise. */
function authority(url: string, up: boolean): TimestampAuthority & { asked: string[] } {
  const asked: string[] = [];
  return {
    url,
    asked,
    async stamp(digestHex) {
      asked.push(digestHex);
      if (!up) throw new TimestampAuthorityError(url, 'http-status', 'HTTP 503');
      return {
        tokenDer: new TextEncoder().encode(`${url}|${digestHex}`),
        genTime: new Date(0),
      } as TimestampToken;
    },
  };
}

const owed = (version: number, tsas: string[], attempts = 1): Unstamped => ({
  version,
  manifest: sha256(`m${version}`),
  tsas,
  attempts,
});

describe('stamping: what a capture asks and what it keeps owed', () => {
  it('asks for the new manifest with every authority and for at most restampPerCapture owed ones, oldest first', () => {
    const list = [owed(5, [A]), owed(2, [A, B]), owed(3, [B]), owed(4, [A])];
    const { jobs, rest } = planStamps(
      list,
      { version: 6, manifest: sha256('m6') },
      [authority(A, true), authority(B, true)],
      options,
    );
    expect(jobs.map((j) => [j.version, j.tsas, j.fresh])).toEqual([
      [6, [A, B], true],
      [2, [A, B], false],
      [3, [B], false],
      [4, [A], false],
    ]);
    expect(rest.map((r) => r.version)).toEqual([5]);
  });

  it('forgets what only authorities no longer configured owe, and asks nothing without authorities', () => {
    const { jobs, rest } = planStamps(
      [owed(1, [B])],
      { version: 2, manifest: sha256('m2') },
      [authority(A, true)],
      options,
    );
    expect(jobs.map((j) => j.version)).toEqual([2]);
    expect(rest).toEqual([]);
    expect(planStamps([owed(1, [A])], undefined, [], options)).toEqual({ jobs: [], rest: [] });
  });

  it('keeps a failed authority owed, reports it once for the new version, and gives up at the attempt limit', async () => {
    const a = authority(A, true);
    const b = authority(B, false);
    const { jobs, rest } = planStamps(
      [owed(1, [B], options.maxStampAttempts - 1), owed(2, [A], 3)],
      { version: 3, manifest: sha256('m3') },
      [a, b],
      options,
    );
    const stored: string[] = [];
    const { state, fresh } = settleStamps(await runStamps(jobs, [a, b]), rest, options, (token) => {
      stored.push(Buffer.from(token.tokenDer).toString());
      return {
        digest: sha256(token.tokenDer),
        size: token.tokenDer.byteLength,
        contentType: 'application/vnd.redline.tst',
      };
    });
    expect(fresh.map((t) => t.tsa)).toEqual([A]);
    expect(state.stamps.map((s) => [s.version, s.tsa])).toEqual([
      [3, A],
      [2, A],
    ]);
    expect(stored).toHaveLength(2);
    expect(state.unstamped).toEqual([{ version: 3, manifest: sha256('m3'), tsas: [B], attempts: 1 }]);
    expect(state.failures.map((f) => [f.version, f.tsa])).toEqual([
      [3, B],
      [1, B],
    ]);
    expect(state.failures[0]!.reason).toMatch(/^http-status: .*HTTP 503/);
    expect(state.alerts).toHaveLength(2);
    expect(state.alerts[0]).toMatch(/^version 3: .* not timestamped by http:\/\/127\.0\.0\.1:1\/b/);
    expect(state.alerts[1]).toMatch(/^version 1: .* given up after 10 attempts/);
  });

  it('keeps at most maxUnstamped versions owed, giving up the oldest with a report', () => {
    const list = Array.from({ length: 5 }, (_, i) => owed(i + 1, [A]));
    const { state } = settleStamps([], list, { ...options, maxUnstamped: 3 }, () => {
      throw new Error('no tokens here');
    });
    expect(state.unstamped.map((u) => u.version)).toEqual([3, 4, 5]);
    expect(state.alerts).toEqual([
      expect.stringMatching(/^version 1: .* given up \(more than 3/),
      expect.stringMatching(/^version 2: .* given up \(more than 3/),
    ]);
  });
});
