import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as pkijs from 'pkijs';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, TimestampError } from '../../functions/core/domain/errors.js';
import {
  buildTimestampRequest,
  parsePemCertificates,
  verifyStoredToken,
} from '../../functions/core/proof/timestamp.js';

const DIGEST = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

describe('Function: buildTimestampRequest', () => {
  it('encodes version 1, a SHA-256 imprint of the digest as given, the nonce and certReq TRUE', () => {
    // Act
    const request = buildTimestampRequest(DIGEST, 0x1234567890abcdef12n);

    // Assess: parse the DER back
    const parsed = pkijs.TimeStampReq.fromBER(new Uint8Array(request.der));
    expect(parsed.version).toBe(1);
    expect(parsed.messageImprint.hashAlgorithm.algorithmId).toBe('2.16.840.1.101.3.4.2.1');
    expect(Buffer.from(parsed.messageImprint.hashedMessage.valueBlock.valueHexView).toString('hex')).toBe(
      DIGEST,
    );
    expect(parsed.nonce?.toBigInt()).toBe(0x1234567890abcdef12n);
    expect(request.nonce).toBe(0x1234567890abcdef12n);
    expect(parsed.certReq).toBe(true);
    expect(parsed.reqPolicy).toBeUndefined();
  });

  it('draws a fresh random nonce of more than 64 bits each time', () => {
    const nonces = Array.from({ length: 20 }, () => buildTimestampRequest(DIGEST).nonce);
    expect(new Set(nonces).size).toBe(20);
    for (const nonce of nonces) expect(nonce.toString(2).length).toBeGreaterThan(64);
  });

  it('takes a nonce given as bytes (unsigned, big-endian), high bit set included', () => {
    const request = buildTimestampRequest(DIGEST, Uint8Array.from([0xff, 0x00, 0x01]));
    expect(request.nonce).toBe(0xff0001n);
    expect(pkijs.TimeStampReq.fromBER(new Uint8Array(request.der)).nonce?.toBigInt()).toBe(0xff0001n);
  });

  it('refuses a digest that is not 64 hex characters, and a nonce that is not positive', () => {
    expect(() => buildTimestampRequest(`sha256:${DIGEST}`)).toThrow(InvalidInputError);
    expect(() => buildTimestampRequest(DIGEST.slice(2))).toThrow(InvalidInputError);
    expect(() => buildTimestampRequest(DIGEST, 0n)).toThrow(InvalidInputError);
    expect(() => buildTimestampRequest(DIGEST, -5n)).toThrow(InvalidInputError);
  });

  it('is read by `openssl ts -query -text` with the same digest and nonce', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'redline-tsq-'));
    try {
      const request = buildTimestampRequest(DIGEST, 0xabcdef0123456789abn);
      await writeFile(join(dir, 'req.tsq'), request.der);

      // Act
      const { stdout } = await promisify(execFile)('openssl', [
        'ts',
        '-query',
        '-in',
        join(dir, 'req.tsq'),
        '-text',
      ]);

      // Assess: openssl prints the imprint as hex bytes separated by spaces or dashes
      expect(stdout).toMatch(/Version: 1/);
      expect(stdout).toMatch(/Hash Algorithm: sha256/);
      const dumped = [...stdout.matchAll(/^\s*[0-9a-f]{4} - ((?:[0-9a-f]{2}[ -]){1,16})/gim)]
        .map((m) => m[1]!.replace(/[ -]/g, ''))
        .join('');
      expect(dumped).toBe(DIGEST);
      expect(stdout).toMatch(/Nonce: 0xABCDEF0123456789AB/i);
      expect(stdout).toMatch(/Certificate required: yes/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Function: parsePemCertificates', () => {
  it('refuses text without a certificate and a block that is not one', () => {
    expect(() => parsePemCertificates('hello')).toThrow(InvalidInputError);
    expect(() =>
      parsePemCertificates('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
    ).toThrow(InvalidInputError);
  });
});

describe('Function: verifyStoredToken', () => {
  const check = { digestHex: DIGEST, roots: [] };

  it.each([
    ['empty bytes', new Uint8Array(0)],
    ['random bytes', Uint8Array.from({ length: 200 }, (_, i) => (i * 37 + 11) % 256)],
    ['a DER NULL', Uint8Array.from([0x05, 0x00])],
    ['a DER sequence with trailing bytes', Uint8Array.from([0x30, 0x00, 0x00])],
    ['a request instead of a token', buildTimestampRequest(DIGEST).der],
  ])('calls %s malformed', async (_, bytes) => {
    const error = await verifyStoredToken(bytes, check).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimestampError);
    expect((error as TimestampError).code).toBe('malformed');
  });
});
