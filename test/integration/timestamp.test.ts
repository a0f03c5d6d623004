import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authoritiesFromConfig, tsaConfigFromEnv } from '../../functions/adapters/tsa/config.js';
import { HttpTimestampAuthority } from '../../functions/adapters/tsa/http-tsa.js';
import {
  TimestampAuthorityError,
  TimestampConfigError,
  TimestampError,
  type TimestampErrorCode,
} from '../../functions/core/domain/errors.js';
import { stampWithAll } from '../../functions/core/proof/stamp-all.js';
import {
  buildTimestampRequest,
  parsePemCertificates,
  type TimestampToken,
  verifyStoredToken,
  verifyTimestampReply,
} from '../../functions/core/proof/timestamp.js';
import { openssl } from '../support/openssl.js';
import { startTestTsa, type TestTsa, type TsaBehaviour } from '../support/test-tsa.js';

const DIGEST = createHash('sha256').update('the archived article, byte for byte').digest('hex');
const OTHER_DIGEST = createHash('sha256').update('a different article').digest('hex');

let tsa: TestTsa;
let roots: ReturnType<typeof parsePemCertificates>;

beforeAll(async () => {
  tsa = await startTestTsa();
  roots = parsePemCertificates(tsa.rootPem);
});

afterAll(async () => {
  await tsa?.close();
});

function authority(
  url: string,
  extra: Partial<ConstructorParameters<typeof HttpTimestampAuthority>[0]> = {},
) {
  return new HttpTimestampAuthority({ url, roots, ...extra });
}

async function codeOf(promise: Promise<unknown>): Promise<TimestampErrorCode | string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof TimestampError) return error.code;
  if (error instanceof TimestampAuthorityError) return `transport:${error.reason}`;
  throw new Error(`expected a timestamp error, got ${String(error)}`, { cause: error });
}

/** A 127.0.0.1 URL where nothing listens (a server bound and closed again). */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/tsa`;
}

describe('RFC 3161 round trip with an openssl TSA', () => {
  let token: TimestampToken;

  it('stamps a digest over HTTP and returns a verified token', async () => {
    // Act
    const before = Date.now();
    token = await authority(tsa.urlFor('honest')).stamp(DIGEST);

    // Assess
    expect(token.imprint).toEqual({ algorithm: 'sha256', digestHex: DIGEST });
    expect(Math.abs(token.genTime.getTime() - before)).toBeLessThan(5 * 60_000);
    expect(token.policy).toBe('1.3.6.1.4.1.55555.1.1');
    expect(token.tsaName).toBe('O=Redline Tests, CN=Redline Test TSA');
    expect(token.signer.subject).toBe('O=Redline Tests, CN=Redline Test TSA');
    expect(token.chain.map((c) => c.subject)).toEqual([
      'O=Redline Tests, CN=Redline Test TSA',
      'O=Redline Tests, CN=Redline Test Root',
    ]);
    const rootFingerprint = (
      await openssl(['x509', '-in', tsa.rootPemPath, '-noout', '-fingerprint', '-sha256'])
    )
      .split('=')[1]!
      .replace(/:/g, '')
      .trim()
      .toLowerCase();
    expect(token.chain[1]!.sha256).toBe(rootFingerprint);
    expect(token.serialNumber).toMatch(/^[0-9a-f]+$/);
  });

  it('stores a token that openssl verifies on its own, and only for the stamped digest', async () => {
    // Prepare
    const path = join(tsa.dir, 'stored.tst');
    await writeFile(path, token.tokenDer);
    const verify = (digest: string) =>
      promisify(execFile)('openssl', [
        'ts', '-verify', '-digest', digest, '-in', path, '-token_in',
        '-CAfile', tsa.rootPemPath, '-untrusted', tsa.tsaPemPath,
      ]); // biome-ignore format: flag pairs

    // Act + Assess
    const { stdout } = await verify(DIGEST);
    expect(stdout).toMatch(/Verification: OK/);
    await expect(verify(OTHER_DIGEST)).rejects.toThrow(/Verification: FAILED|message imprint mismatch/i);

    // And the token as stored is readable as text: the TSTInfo openssl prints is the one we parsed.
    const text = await openssl(['ts', '-reply', '-in', path, '-token_in', '-text']);
    expect(text).toMatch(/Policy OID: 1\.3\.6\.1\.4\.1\.55555\.1\.1/);
  });

  it('re-verifies the stored token offline, without nonce or clock', async () => {
    const stored = new Uint8Array(await readFile(join(tsa.dir, 'stored.tst')));
    const again = await verifyStoredToken(stored, { digestHex: DIGEST, roots });
    expect(again.genTime).toEqual(token.genTime);
    expect(again.serialNumber).toBe(token.serialNumber);

    expect(await codeOf(verifyStoredToken(stored, { digestHex: OTHER_DIGEST, roots }))).toBe('imprint');
    const otherRoots = parsePemCertificates(tsa.otherRootPem);
    expect(await codeOf(verifyStoredToken(stored, { digestHex: DIGEST, roots: otherRoots }))).toBe('chain');
    expect(await codeOf(verifyStoredToken(stored, { digestHex: DIGEST, roots: [] }))).toBe('chain');
    const flipped = stored.slice();
    flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 0x01;
    expect(await codeOf(verifyStoredToken(flipped, { digestHex: DIGEST, roots }))).toBe('signature');
  });

  it('accepts the older ESS signing-certificate attribute (v1, SHA-1 certificate hash)', async () => {
    const ok = await authority(tsa.urlFor('ess-v1')).stamp(DIGEST);
    expect(ok.imprint.digestHex).toBe(DIGEST);
  });
});

describe('What a verifier refuses', () => {
  it.each<[TsaBehaviour, string]>([
    ['wrong-imprint', 'imprint'],
    ['wrong-nonce', 'nonce'],
    ['no-nonce', 'nonce'],
    ['no-eku', 'eku'],
    ['eku-not-critical', 'eku'],
    ['other-ca', 'chain'],
    ['reject', 'status'],
    ['bad-signature', 'signature'],
    ['garbage', 'malformed'],
    ['html', 'transport:content-type'],
    ['http-500', 'transport:http-status'],
    ['huge', 'transport:too-large'],
  ])('a TSA that answers %s fails with %s', async (behaviour, code) => {
    expect(await codeOf(authority(tsa.urlFor(behaviour)).stamp(DIGEST))).toBe(code);
  });

  it('a token without the ESS signing-certificate attribute fails with signature', async () => {
    const error = await authority(tsa.urlFor('no-ess'))
      .stamp(DIGEST)
      .catch((e: unknown) => e);
    expect((error as TimestampError).code).toBe('signature');
    expect((error as TimestampError).message).toMatch(/no ESS signing-certificate attribute/);
  });

  it('a token whose certificate was swapped for a same-key twin fails on the ESS signing-certificate binding', async () => {
    const error = await authority(tsa.urlFor('twin-cert'))
      .stamp(DIGEST)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimestampError);
    expect((error as TimestampError).code).toBe('signature');
    expect((error as TimestampError).message).toMatch(
      /signing-certificate attribute names a different certificate/,
    );
  });

  it('a genTime far from the local clock fails with time', async () => {
    const farFuture = { now: () => new Date(Date.now() + 3600_000) };
    expect(await codeOf(authority(tsa.urlFor('honest'), { clock: farFuture }).stamp(DIGEST))).toBe('time');
    // The same reply checked directly: inside the allowed skew it passes, outside it fails.
    const request = buildTimestampRequest(DIGEST);
    const reply = await tsa.reply(request.der);
    const check = { digestHex: DIGEST, nonce: request.nonce, roots, maxSkewMs: 60_000 };
    await expect(verifyTimestampReply(reply, { ...check, now: new Date() })).resolves.toBeDefined();
    expect(await codeOf(verifyTimestampReply(reply, { ...check, now: new Date(Date.now() - 120_000) }))).toBe(
      'time',
    );
  });

  it('a TSA that never answers times out; a caller abort is reported as such', async () => {
    expect(await codeOf(authority(tsa.urlFor('hang'), { timeoutMs: 500 }).stamp(DIGEST))).toBe(
      'transport:timeout',
    );
    const controller = new AbortController();
    const pending = authority(tsa.urlFor('hang')).stamp(DIGEST, controller.signal);
    setTimeout(() => controller.abort(), 50);
    expect(await codeOf(pending)).toBe('transport:aborted');
  });

  it('a TSA that is down fails with network', async () => {
    expect(await codeOf(authority(await deadUrl()).stamp(DIGEST))).toBe('transport:network');
  });
});

describe('openssl agrees', () => {
  it.each<TsaBehaviour>(['no-eku', 'eku-not-critical', 'other-ca', 'no-ess', 'twin-cert', 'bad-signature'])(
    'openssl ts -verify also rejects the %s reply that Redline rejects',
    async (behaviour) => {
      // Prepare
      const request = buildTimestampRequest(DIGEST);
      const reply = await tsa.reply(request.der, behaviour);
      const path = join(tsa.dir, `${behaviour}.tsr`);
      await writeFile(path, reply);
      const check = { digestHex: DIGEST, nonce: request.nonce, roots, now: new Date() };

      // Act + Assess: both verifiers refuse it
      await expect(verifyTimestampReply(reply, check)).rejects.toThrow(TimestampError);
      await expect(
        openssl(['ts', '-verify', '-digest', DIGEST, '-in', path, '-CAfile', tsa.rootPemPath]),
      ).rejects.toThrow(/Verification: FAILED|openssl ts -verify/);
      // And the control: the honest reply to the same request passes both.
      const honest = await tsa.reply(request.der, 'honest');
      await writeFile(path, honest);
      await expect(verifyTimestampReply(honest, check)).resolves.toBeDefined();
      expect(
        await openssl(['ts', '-verify', '-digest', DIGEST, '-in', path, '-CAfile', tsa.rootPemPath]),
      ).toMatch(/Verification: OK/);
    },
  );
});

describe('Function: stampWithAll over HTTP', () => {
  it('returns the good TSA token and the down TSA failure', async () => {
    const down = await deadUrl();
    const result = await stampWithAll([authority(tsa.urlFor('honest')), authority(down)], DIGEST);
    expect(result.tokens.map((t) => t.url)).toEqual([tsa.urlFor('honest')]);
    expect(result.tokens[0]!.token.imprint.digestHex).toBe(DIGEST);
    expect(result.failures.map((f) => [f.url, f.reason])).toEqual([[down, 'network']]);
  });

  it('keeps stamping when one TSA hangs and another lies', async () => {
    const result = await stampWithAll(
      [
        authority(tsa.urlFor('hang'), { timeoutMs: 500 }),
        authority(tsa.urlFor('wrong-imprint')),
        authority(tsa.urlFor('honest')),
      ],
      DIGEST,
    );
    expect(result.failures.map((f) => f.reason).sort()).toEqual(['imprint', 'timeout']);
    expect(result.tokens.map((t) => t.url)).toEqual([tsa.urlFor('honest')]);
  });
});

describe('Function: tsaConfigFromEnv', () => {
  const files: Record<string, string> = {};
  const readFile = async (path: string) => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return text;
  };
  beforeAll(() => {
    files['/etc/redline/tsa-roots.pem'] = `${tsa.rootPem}\n${tsa.otherRootPem}`;
    files['/etc/redline/empty.pem'] = '# nothing here\n';
  });

  it('reads the URLs and the PEM roots, and builds one authority per URL', async () => {
    const config = await tsaConfigFromEnv(
      {
        REDLINE_TSA_URLS: ` ${tsa.urlFor('honest')} , https://tsa.example.org/tsr,`,
        REDLINE_TSA_CA_FILE: '/etc/redline/tsa-roots.pem',
      },
      readFile,
    );
    expect(config.urls).toEqual([tsa.urlFor('honest'), 'https://tsa.example.org/tsr']);
    expect(config.roots).toHaveLength(2);
    const [local] = authoritiesFromConfig(config);
    expect((await local!.stamp(DIGEST)).imprint.digestHex).toBe(DIGEST);
  });

  it('is off (no URLs, no roots) when nothing is set', async () => {
    expect(await tsaConfigFromEnv({}, readFile)).toEqual({ urls: [], roots: [], timeoutMs: 15_000 });
  });

  it.each([
    [
      'a URL that is not one',
      { REDLINE_TSA_URLS: 'not a url', REDLINE_TSA_CA_FILE: '/etc/redline/tsa-roots.pem' },
    ],
    [
      'a non-http scheme',
      { REDLINE_TSA_URLS: 'ftp://tsa.example/', REDLINE_TSA_CA_FILE: '/etc/redline/tsa-roots.pem' },
    ],
    ['URLs without a CA file', { REDLINE_TSA_URLS: 'https://tsa.example/' }],
    [
      'a CA file that cannot be read',
      { REDLINE_TSA_URLS: 'https://tsa.example/', REDLINE_TSA_CA_FILE: '/nope.pem' },
    ],
    [
      'a CA file without certificates',
      { REDLINE_TSA_URLS: 'https://tsa.example/', REDLINE_TSA_CA_FILE: '/etc/redline/empty.pem' },
    ],
    [
      'too many URLs',
      {
        REDLINE_TSA_URLS: Array.from({ length: 9 }, (_, i) => `https://t${i}.example/`).join(','),
        REDLINE_TSA_CA_FILE: '/etc/redline/tsa-roots.pem',
      },
    ],
    ['a timeout that is not a number', { REDLINE_TSA_TIMEOUT_MS: 'soon' }],
  ])('refuses %s with TimestampConfigError', async (_, env) => {
    await expect(tsaConfigFromEnv(env, readFile)).rejects.toThrow(TimestampConfigError);
  });
});
