import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CDXIndexer } from 'warcio';
import { buildWarc } from '../../functions/core/capture/warc.js';
import { sha256 } from '../../functions/core/domain/digest.js';
import { WaczBuildError, WaczSignatureError } from '../../functions/core/domain/errors.js';
import { cdxjIndex, cdxjLine, indexWarc, surtOf } from '../../functions/core/proof/wacz-index.js';
import { signWaczHash, verifyWaczSignature } from '../../functions/core/proof/wacz-sign.js';

async function* once(bytes: Uint8Array) {
  yield bytes;
}

const body = Buffer.from('<html><title>x</title><p>hello</p></html>');
const exchange = (url: string, status = 200) => ({
  url,
  requestHeaders: {},
  status,
  headers: { 'content-type': 'text/html; charset=utf-8' },
  wireBody: status === 200 ? body : new Uint8Array(),
});

describe('Function: indexWarc', () => {
  it('agrees with warcio’s own CDX indexer on url, offset, length, status and mime', async () => {
    // Prepare
    const warc = await buildWarc({
      date: '2026-11-20T10:00:00Z',
      exchanges: [exchange('http://a.example/x', 302), exchange('https://a.example/x')],
      metadata: {},
      software: 't',
    });
    // Act
    const ours = await indexWarc('w.warc.gz', once(warc));
    const theirs: Record<string, unknown>[] = [];
    for await (const line of new CDXIndexer({ format: 'json' }).iterIndex([
      { filename: 'w.warc.gz', reader: once(warc) },
    ])) {
      theirs.push(line);
    }
    // Assess
    const pick = (rows: Record<string, unknown>[]) =>
      rows
        .filter((row) => row.mime !== 'application/json')
        .map((row) => ({
          url: row.url,
          offset: Number(row.offset),
          length: Number(row.length),
          status: Number(row.status),
          mime: row.mime,
        }));
    expect(pick(ours.entries as unknown as Record<string, unknown>[])).toEqual(pick(theirs));
    expect(ours.entries.map((e) => e.status)).toEqual([302, 200]);
    expect(ours.hash).toBe(sha256(warc));
  });

  it('refuses input that is not gzip', async () => {
    await expect(indexWarc('plain.warc.gz', once(Buffer.from('WARC/1.1\r\n\r\n')))).rejects.toBeInstanceOf(
      WaczBuildError,
    );
  });
});

describe('Function: cdxjIndex', () => {
  it('sorts lines bytewise, as LC_ALL=C sort does', () => {
    const base = {
      timestamp: '20261120100000',
      filename: 'w.warc.gz',
      offset: 0,
      length: 10,
      warcType: 'response',
    };
    const entries = ['https://b.example/', 'https://a.example/Z', 'https://a.example/a'].map((url) => ({
      ...base,
      url,
      surt: surtOf(url),
    }));
    const lines = Buffer.from(cdxjIndex(entries)).toString().trim().split('\n');
    expect(lines.map((line) => line.split(' ')[0])).toEqual(
      ['example,a)/z', 'example,a)/a', 'example,b)/'].sort(),
    );
    expect(lines).toEqual([...lines].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
    expect(
      cdxjLine({ ...base, url: 'https://a.example/', surt: 'example,a)/', status: 200, digest: 'sha256:00' }),
    ).toBe(
      'example,a)/ 20261120100000 {"url":"https://a.example/","digest":"sha256:00","offset":"0","length":"10","status":"200","filename":"w.warc.gz"}',
    );
  });
});

describe('Function: signWaczHash', () => {
  const pem = (type: 'ec' | 'rsa', curve?: string) => {
    const { privateKey } =
      type === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: curve ?? 'P-256' })
        : generateKeyPairSync('rsa', { modulusLength: 2048 });
    return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  };

  it('signs and verifies, and a changed hash fails', () => {
    const signed = signWaczHash('sha256:ab', '2026-11-26T12:00:00.000Z', 'redline', {
      privateKeyPem: pem('ec'),
    });
    expect(verifyWaczSignature(signed, { datapackageHash: 'sha256:ab' })).toEqual({ valid: true });
    expect(
      verifyWaczSignature({ ...signed, hash: 'sha256:ac' }, { datapackageHash: 'sha256:ac' }),
    ).toMatchObject({ valid: false });
    expect(verifyWaczSignature(signed, { datapackageHash: 'sha256:ac' })).toMatchObject({ valid: false });
  });

  it('refuses keys that are not ECDSA P-256, and text that is not a key', () => {
    expect(() => signWaczHash('h', 'c', 's', { privateKeyPem: pem('rsa') })).toThrow(WaczSignatureError);
    expect(() => signWaczHash('h', 'c', 's', { privateKeyPem: pem('ec', 'P-384') })).toThrow(
      WaczSignatureError,
    );
    expect(() => signWaczHash('h', 'c', 's', { privateKeyPem: 'not a key' })).toThrow(WaczSignatureError);
  });
});
