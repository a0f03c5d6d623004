/**
 * What the evidence report says about one stored RFC 3161 token: read from the token itself (authority
 * name, genTime, serial, policy, the digest it stamps) and, when trusted roots are given, checked as
 * `redline verify` checks it. Never throws: a token that does not parse or verify is reported as such.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { TimestampError } from '../domain/errors.js';
import { formatGeneralName, verifyStoredToken } from './timestamp.js';

const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_TST_INFO = '1.2.840.113549.1.9.16.1.4';
const OID_SHA256 = '2.16.840.1.101.3.4.2.1';

export interface TokenInfo {
  /** Read from the token; absent when it does not parse. */
  genTime?: string;
  serialNumber?: string;
  tsaName?: string;
  policy?: string;
  /** The SHA-256 digest (hex) the token stamps, when its imprint is SHA-256. */
  imprintHex?: string;
  /** Why the token could not be read, when it could not. */
  unreadable?: string;
  /** The check against the trusted roots: `ok`, `failed` (with why), or `unchecked` (no roots given). */
  check: 'ok' | 'failed' | 'unchecked';
  checkDetail?: string;
}

const hex = (view: ArrayBuffer | Uint8Array) =>
  Buffer.from(view instanceof Uint8Array ? view : new Uint8Array(view)).toString('hex');

function readTstInfo(tokenDer: Uint8Array): Omit<TokenInfo, 'check'> {
  try {
    const asn = asn1js.fromBER(new Uint8Array(tokenDer));
    if (asn.offset === -1) return { unreadable: 'not DER' };
    const info = new pkijs.ContentInfo({ schema: asn.result });
    if (info.contentType !== OID_SIGNED_DATA) return { unreadable: `a ${info.contentType}, not SignedData` };
    const signed = new pkijs.SignedData({ schema: info.content });
    if (signed.encapContentInfo.eContentType !== OID_TST_INFO || !signed.encapContentInfo.eContent)
      return { unreadable: 'it signs no TSTInfo' };
    const tst = pkijs.TSTInfo.fromBER(new Uint8Array(signed.encapContentInfo.eContent.getValue()));
    const tsaName = formatGeneralName(tst.tsa);
    return {
      genTime: tst.genTime.toISOString(),
      serialNumber: hex(tst.serialNumber.valueBlock.valueHexView),
      ...(tsaName ? { tsaName } : {}),
      policy: tst.policy,
      ...(tst.messageImprint.hashAlgorithm.algorithmId === OID_SHA256
        ? { imprintHex: hex(tst.messageImprint.hashedMessage.valueBlock.valueHexView) }
        : {}),
    };
  } catch (error) {
    return { unreadable: `does not parse: ${(error as Error).message ?? String(error)}` };
  }
}

/** The token's fields, and whether it verifies for `manifestHex` under `roots` (when given). */
export async function describeToken(
  tokenDer: Uint8Array,
  manifestHex: string,
  roots: readonly pkijs.Certificate[] | undefined,
): Promise<TokenInfo> {
  const info = readTstInfo(tokenDer);
  if (!roots || roots.length === 0) return { ...info, check: 'unchecked' };
  try {
    await verifyStoredToken(tokenDer, { digestHex: manifestHex, roots });
    return { ...info, check: 'ok' };
  } catch (error) {
    const detail =
      error instanceof TimestampError
        ? `${error.code}: ${error.message}`
        : ((error as Error).message ?? 'failed');
    return { ...info, check: 'failed', checkDetail: detail };
  }
}
