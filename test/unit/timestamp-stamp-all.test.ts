import { describe, expect, it } from 'vitest';
import { TimestampAuthorityError, TimestampError } from '../../functions/core/domain/errors.js';
import type { TimestampAuthority } from '../../functions/core/proof/ports.js';
import { MAX_AUTHORITIES, stampWithAll } from '../../functions/core/proof/stamp-all.js';
import type { TimestampToken } from '../../functions/core/proof/timestamp.js';

const DIGEST = 'ab'.repeat(32);

/** In-process authorities for the fan-out logic alone; the real HTTP path is in test/integration/timestamp.test.ts. */
function authority(url: string, stamp: (digestHex: string) => Promise<TimestampToken>): TimestampAuthority {
  return { url, stamp };
}

function token(digestHex: string): TimestampToken {
  const summary = {
    subject: 'CN=t',
    issuer: 'CN=r',
    serialNumber: '01',
    sha256: '00',
    notBefore: new Date(0),
    notAfter: new Date(0),
  };
  return {
    tokenDer: new Uint8Array([1]),
    genTime: new Date('2026-01-01T00:00:00Z'),
    serialNumber: '01',
    policy: '1.2.3',
    imprint: { algorithm: 'sha256', digestHex },
    signer: summary,
    chain: [summary],
  };
}

describe('Function: stampWithAll', () => {
  it('keeps every token and turns each kind of failure into an entry, never a throw', async () => {
    // Prepare
    const authorities = [
      authority('https://good.example/tsa', async (d) => token(d)),
      authority('https://wrong.example/tsa', async () => {
        throw new TimestampError('imprint', 'stamps something else');
      }),
      authority('https://down.example/tsa', async () => {
        throw new TimestampAuthorityError('https://down.example/tsa', 'network', 'ECONNREFUSED');
      }),
      authority('https://odd.example/tsa', () => Promise.reject('a string, not an Error')),
      authority('https://sync.example/tsa', () => {
        throw new RangeError('thrown before any promise');
      }),
    ];

    // Act
    const result = await stampWithAll(authorities, DIGEST);

    // Assess
    expect(result.tokens).toEqual([{ url: 'https://good.example/tsa', token: token(DIGEST) }]);
    expect(result.failures.map((f) => [f.url, f.reason])).toEqual([
      ['https://wrong.example/tsa', 'imprint'],
      ['https://down.example/tsa', 'network'],
      ['https://odd.example/tsa', 'error'],
      ['https://sync.example/tsa', 'error'],
    ]);
    for (const failure of result.failures) expect(failure.error).toBeInstanceOf(Error);
  });

  it(`asks at most ${MAX_AUTHORITIES} authorities and reports the rest as skipped`, async () => {
    const asked: string[] = [];
    const authorities = Array.from({ length: MAX_AUTHORITIES + 2 }, (_, i) =>
      authority(`https://tsa${i}.example/`, async (d) => {
        asked.push(`https://tsa${i}.example/`);
        return token(d);
      }),
    );

    const result = await stampWithAll(authorities, DIGEST);

    expect(asked).toHaveLength(MAX_AUTHORITIES);
    expect(result.tokens).toHaveLength(MAX_AUTHORITIES);
    expect(result.failures.map((f) => f.reason)).toEqual(['skipped', 'skipped']);
  });
});
