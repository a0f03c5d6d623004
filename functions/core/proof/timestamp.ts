import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { InvalidInputError, TimestampError, type TimestampErrorCode } from '../domain/errors.js';

/**
 * RFC 3161 trusted timestamps: build a request for a SHA-256 digest we already hold, and verify a reply
 * (or a stored token) without trusting anything the authority sent except through the configured roots.
 * Pure: WebCrypto (`globalThis.crypto`) through pkijs, no network, no clock (callers pass `now`).
 */

const OID = {
  sha256: '2.16.840.1.101.3.4.2.1',
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentTypeAttr: '1.2.840.113549.1.9.3',
  messageDigestAttr: '1.2.840.113549.1.9.4',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  timeStamping: '1.3.6.1.5.5.7.3.8',
} as const;

/** Digests a signer may use over its signed attributes (SHA-1 and MD5 are refused). */
const SIGNER_DIGESTS = new Map([
  ['2.16.840.1.101.3.4.2.1', 'SHA-256'],
  ['2.16.840.1.101.3.4.2.2', 'SHA-384'],
  ['2.16.840.1.101.3.4.2.3', 'SHA-512'],
]);
/** Digests an ESSCertID(v2) may use to name the signer's certificate (v1 is SHA-1 by definition). */
const ESS_DIGESTS = new Map([['1.3.14.3.2.26', 'SHA-1'], ...SIGNER_DIGESTS]);

/** Caps on what a token may carry; a real one holds a handful of certificates and one signer. */
const MAX_TOKEN_BYTES = 64 * 1024;
const MAX_CERTIFICATES = 16;
const MAX_PEM_CERTIFICATES = 200;
const MAX_SIGNED_ATTRIBUTES = 32;

export const DEFAULT_MAX_SKEW_MS = 5 * 60_000;

export interface CertificateSummary {
  subject: string;
  issuer: string;
  /** Hex, as printed by `openssl x509 -serial`. */
  serialNumber: string;
  /** SHA-256 of the certificate's DER, hex. */
  sha256: string;
  notBefore: Date;
  notAfter: Date;
}

/** A timestamp token that passed every check. `tokenDer` is what to store; the rest is read from it. */
export interface TimestampToken {
  /** The TimeStampToken: a CMS ContentInfo (SignedData over TSTInfo), DER. `openssl ts -verify -token_in` reads it. */
  tokenDer: Uint8Array;
  genTime: Date;
  /** The TSA's serial number for this token, hex. */
  serialNumber: string;
  /** The TSA's name from TSTInfo, when it gives one. */
  tsaName?: string;
  policy: string;
  imprint: { algorithm: 'sha256'; digestHex: string };
  signer: CertificateSummary;
  /** Signer first, trusted root last. */
  chain: CertificateSummary[];
}

export interface TimestampRequest {
  der: Uint8Array;
  nonce: bigint;
}

export interface StoredTokenCheck {
  digestHex: string;
  roots: readonly pkijs.Certificate[];
}

export interface ReplyCheck extends StoredTokenCheck {
  nonce: bigint;
  now: Date;
  maxSkewMs?: number;
}

function cryptoEngine(): pkijs.ICryptoEngine {
  return new pkijs.CryptoEngine({ name: 'webcrypto', crypto: globalThis.crypto });
}

function fail(code: TimestampErrorCode, message: string, cause?: unknown): never {
  throw new TimestampError(code, message, cause === undefined ? undefined : { cause });
}

function hexToBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

function toHex(bytes: ArrayBuffer | Uint8Array): string {
  return Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('hex');
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((v, i) => v === b[i]);
}

function checkDigestHex(digestHex: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(digestHex)) {
    throw new InvalidInputError(
      `expected a SHA-256 digest as 64 hex characters, got ${JSON.stringify(digestHex)}`,
    );
  }
  return digestHex.toLowerCase();
}

function unsignedToBigInt(bytes: Uint8Array): bigint {
  return bytes.byteLength === 0 ? 0n : BigInt(`0x${toHex(bytes)}`);
}

/**
 * A DER `TimeStampReq` for a SHA-256 digest we already hold (the digest goes in as given, it is not
 * hashed again), with a nonce (random 126 bits unless given) and certReq TRUE so the reply carries the
 * signer's certificate.
 */
export function buildTimestampRequest(digestHex: string, nonce?: bigint | Uint8Array): TimestampRequest {
  const digest = hexToBytes(checkDigestHex(digestHex));
  let value: bigint;
  if (nonce === undefined) {
    const random = globalThis.crypto.getRandomValues(new Uint8Array(16));
    random[0] = ((random[0] ?? 0) & 0x3f) | 0x40;
    value = unsignedToBigInt(random);
  } else {
    value = typeof nonce === 'bigint' ? nonce : unsignedToBigInt(nonce);
  }
  if (value <= 0n) throw new InvalidInputError('a timestamp nonce must be a positive integer');
  const request = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 }),
      hashedMessage: new asn1js.OctetString({ valueHex: digest }),
    }),
    nonce: asn1js.Integer.fromBigInt(value),
    certReq: true,
  });
  return { der: new Uint8Array(request.toSchema().toBER(false)), nonce: value };
}

/** The `CERTIFICATE` blocks of a PEM text, in order (other blocks are ignored). */
export function pemCertificateBlocks(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

/** The DER bytes of one PEM certificate block, or undefined when its body is not base64. */
export function pemBlockDer(block: string): Uint8Array<ArrayBuffer> | undefined {
  const body = block.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return /^[A-Za-z0-9+/]+={0,2}$/.test(body) ? Uint8Array.from(Buffer.from(body, 'base64')) : undefined;
}

/** Every certificate in a PEM text (other blocks are ignored). */
export function parsePemCertificates(pem: string): pkijs.Certificate[] {
  const blocks = pemCertificateBlocks(pem);
  if (blocks.length === 0) throw new InvalidInputError('no PEM certificate found');
  if (blocks.length > MAX_PEM_CERTIFICATES) {
    throw new InvalidInputError(`more than ${MAX_PEM_CERTIFICATES} certificates in one PEM file`);
  }
  return blocks.map((block, index) => {
    const der = pemBlockDer(block);
    if (!der) throw new InvalidInputError(`PEM certificate ${index + 1} is not valid base64`);
    try {
      return pkijs.Certificate.fromBER(der);
    } catch (error) {
      throw new InvalidInputError(`PEM certificate ${index + 1} is not a valid X.509 certificate`, {
        cause: error,
      });
    }
  });
}

const DN_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

/** `O=…, CN=…`: the first 20 attributes of a distinguished name, with the usual short names. */
function formatName(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues
    .slice(0, 20)
    .map((tv) => {
      const value: unknown = tv.value?.valueBlock?.value;
      return `${DN_NAMES[tv.type] ?? tv.type}=${typeof value === 'string' ? value : '?'}`;
    })
    .join(', ');
}

async function summarize(cert: pkijs.Certificate, crypto: pkijs.ICryptoEngine): Promise<CertificateSummary> {
  const der = certificateDer(cert);
  return {
    subject: formatName(cert.subject),
    issuer: formatName(cert.issuer),
    serialNumber: toHex(cert.serialNumber.valueBlock.valueHexView),
    sha256: toHex(await crypto.digest('SHA-256', der)),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
  };
}

function certificateDer(cert: pkijs.Certificate): Uint8Array<ArrayBuffer> {
  return new Uint8Array(cert.toSchema().toBER(false));
}

function parseDer(bytes: Uint8Array, what: string): asn1js.AsnType {
  if (bytes.byteLength === 0) fail('malformed', `${what} is empty`);
  if (bytes.byteLength > MAX_TOKEN_BYTES)
    fail('malformed', `${what} is larger than ${MAX_TOKEN_BYTES} bytes`);
  const parsed = asn1js.fromBER(bytes);
  if (parsed.offset === -1) fail('malformed', `${what} is not DER: ${parsed.result.error}`);
  if (parsed.offset !== bytes.byteLength) fail('malformed', `${what} has trailing bytes after its DER`);
  return parsed.result;
}

const PKI_STATUS = [
  'granted',
  'grantedWithMods',
  'rejection',
  'waiting',
  'revocationWarning',
  'revocationNotification',
];
const FAIL_INFO = [
  'badAlg',
  '',
  'badRequest',
  '',
  '',
  'badDataFormat',
  '',
  '',
  '',
  '',
  '',
  '',
  '',
  '',
  'timeNotAvailable',
  'unacceptedPolicy',
  'unacceptedExtension',
  'addInfoNotAvailable',
  '',
  '',
  '',
  '',
  '',
  '',
  '',
  'systemFailure',
];

function describeStatus(info: pkijs.PKIStatusInfo): string {
  const parts = [PKI_STATUS[info.status] ?? `status ${info.status}`];
  if (info.failInfo) {
    const bits = info.failInfo.valueBlock.valueHexView;
    FAIL_INFO.forEach((name, bit) => {
      if (name && ((bits[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1) parts.push(name);
    });
  }
  for (const text of (info.statusStrings ?? []).slice(0, 4))
    parts.push(JSON.stringify(text.valueBlock.value));
  return parts.join(', ');
}

/** The TimeStampToken's exact bytes out of a TimeStampResp, once the status says it was granted. */
function tokenFromReply(replyDer: Uint8Array): Uint8Array {
  const schema = parseDer(replyDer, 'the timestamp reply');
  let reply: pkijs.TimeStampResp;
  try {
    reply = new pkijs.TimeStampResp({ schema });
  } catch (error) {
    fail('malformed', 'the reply is not a TimeStampResp', error);
  }
  if (reply.status.status !== 0 && reply.status.status !== 1) {
    fail('status', `the authority did not grant the timestamp (${describeStatus(reply.status)})`);
  }
  const token = (schema as asn1js.Sequence).valueBlock.value[1];
  if (!reply.timeStampToken || !token) fail('malformed', 'the reply was granted but carries no token');
  return new Uint8Array(token.valueBeforeDecodeView);
}

interface ParsedToken {
  signed: pkijs.SignedData;
  eContent: Uint8Array<ArrayBuffer>;
  tst: pkijs.TSTInfo;
}

function parseToken(tokenDer: Uint8Array): ParsedToken {
  const schema = parseDer(tokenDer, 'the timestamp token');
  let signed: pkijs.SignedData;
  let eContent: Uint8Array<ArrayBuffer>;
  let tst: pkijs.TSTInfo;
  try {
    const info = new pkijs.ContentInfo({ schema });
    if (info.contentType !== OID.signedData)
      fail('malformed', `the token is ${info.contentType}, not SignedData`);
    signed = new pkijs.SignedData({ schema: info.content });
  } catch (error) {
    if (error instanceof TimestampError) throw error;
    fail('malformed', 'the token is not a CMS SignedData', error);
  }
  if (signed.encapContentInfo.eContentType !== OID.tstInfo) {
    fail('malformed', `the token signs ${signed.encapContentInfo.eContentType}, not a TSTInfo`);
  }
  const content = signed.encapContentInfo.eContent;
  if (!content) fail('malformed', 'the token carries no TSTInfo');
  try {
    eContent = new Uint8Array(content.getValue());
    tst = pkijs.TSTInfo.fromBER(eContent);
  } catch (error) {
    fail('malformed', 'the token TSTInfo does not parse', error);
  }
  if (tst.version !== 1) fail('malformed', `TSTInfo version ${tst.version}, expected 1`);
  return { signed, eContent, tst };
}

function checkImprint(tst: pkijs.TSTInfo, digestHex: string): void {
  const algorithm = tst.messageImprint.hashAlgorithm.algorithmId;
  if (algorithm !== OID.sha256) fail('imprint', `the token's imprint uses ${algorithm}, not SHA-256`);
  const got = toHex(tst.messageImprint.hashedMessage.valueBlock.valueHexView);
  if (got !== digestHex) fail('imprint', `the token stamps ${got}, not ${digestHex}`);
}

function findSigner(info: pkijs.SignerInfo, certs: pkijs.Certificate[]): pkijs.Certificate {
  const sid: unknown = info.sid;
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    const match = certs.find((c) => c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber));
    if (match) return match;
  } else if (sid instanceof asn1js.Primitive) {
    // [0] SubjectKeyIdentifier: compare with each certificate's SKI extension.
    const keyId = sid.valueBlock.valueHexView;
    const match = certs.find((c) => {
      const ski = c.extensions?.find((e) => e.extnID === OID.subjectKeyIdentifier)?.parsedValue;
      return ski instanceof asn1js.OctetString && bytesEqual(ski.valueBlock.valueHexView, keyId);
    });
    if (match) return match;
  }
  return fail('signature', "the token does not include its signer's certificate");
}

/**
 * The ESS signing-certificate attribute (v1 SHA-1 or v2) must be there (RFC 3161 §2.4.1, RFC 5816; as
 * `openssl ts -verify` requires) and name the certificate that verified the signature: without it, a
 * token could be re-dressed with another certificate for the same key.
 */
async function checkSigningCertificateBinding(
  attrs: pkijs.Attribute[],
  signer: pkijs.Certificate,
  crypto: pkijs.ICryptoEngine,
): Promise<void> {
  const bindings = attrs.filter(
    (a) => a.type === OID.signingCertificate || a.type === OID.signingCertificateV2,
  );
  if (bindings.length === 0) {
    fail('signature', 'the signer signed no ESS signing-certificate attribute (RFC 3161 §2.4.1)');
  }
  for (const attr of bindings) {
    const v2 = attr.type === OID.signingCertificateV2;
    const value = attr.values[0];
    const certIds = value instanceof asn1js.Sequence ? value.valueBlock.value[0] : undefined;
    const first = certIds instanceof asn1js.Sequence ? certIds.valueBlock.value[0] : undefined;
    if (!(first instanceof asn1js.Sequence))
      fail('malformed', 'the signing-certificate attribute does not parse');
    const fields = [...first.valueBlock.value];
    let hashOid = v2 ? OID.sha256 : '1.3.14.3.2.26';
    if (v2 && fields[0] instanceof asn1js.Sequence) {
      hashOid = new pkijs.AlgorithmIdentifier({ schema: fields.shift() }).algorithmId;
    }
    const hashName = ESS_DIGESTS.get(hashOid);
    if (!hashName)
      fail('signature', `the signing-certificate attribute uses an unsupported digest ${hashOid}`);
    const certHash = fields[0];
    if (!(certHash instanceof asn1js.OctetString))
      fail('malformed', 'the signing-certificate hash does not parse');
    const actual = new Uint8Array(await crypto.digest(hashName, certificateDer(signer)));
    if (!bytesEqual(actual, certHash.valueBlock.valueHexView)) {
      fail('signature', "the signing-certificate attribute names a different certificate than the signer's");
    }
    const issuerSerial = fields[1];
    if (issuerSerial instanceof asn1js.Sequence) {
      const [names, serial] = issuerSerial.valueBlock.value;
      if (!(serial instanceof asn1js.Integer) || !serial.isEqual(signer.serialNumber)) {
        fail('signature', 'the signing-certificate attribute names a different serial number');
      }
      const general = new pkijs.GeneralNames({ schema: names });
      const directory = general.names.find((n) => n.type === 4);
      if (directory && !(directory.value as pkijs.RelativeDistinguishedNames).isEqual(signer.issuer)) {
        fail('signature', 'the signing-certificate attribute names a different issuer');
      }
    }
  }
}

async function checkSignature(parsed: ParsedToken, crypto: pkijs.ICryptoEngine): Promise<pkijs.Certificate> {
  const { signed, eContent } = parsed;
  if (signed.signerInfos.length !== 1)
    fail('malformed', `the token has ${signed.signerInfos.length} signers, not 1`);
  const certs = (signed.certificates ?? []).filter(
    (c): c is pkijs.Certificate => c instanceof pkijs.Certificate,
  );
  if (certs.length > MAX_CERTIFICATES)
    fail('malformed', `the token carries more than ${MAX_CERTIFICATES} certificates`);
  const info = signed.signerInfos[0]!;
  const signer = findSigner(info, certs);
  const attrs = info.signedAttrs?.attributes ?? [];
  if (!info.signedAttrs || attrs.length === 0) fail('signature', 'the signer signed no attributes');
  if (attrs.length > MAX_SIGNED_ATTRIBUTES) fail('malformed', 'the signer has too many signed attributes');
  const hashName = SIGNER_DIGESTS.get(info.digestAlgorithm.algorithmId);
  if (!hashName)
    fail('signature', `the signer uses an unsupported digest ${info.digestAlgorithm.algorithmId}`);
  const contentType = attrs.filter((a) => a.type === OID.contentTypeAttr);
  const messageDigest = attrs.filter((a) => a.type === OID.messageDigestAttr);
  const typeValue = contentType[0]?.values[0];
  if (
    contentType.length !== 1 ||
    !(typeValue instanceof asn1js.ObjectIdentifier) ||
    typeValue.valueBlock.toString() !== OID.tstInfo
  ) {
    fail('signature', 'the signed content-type attribute is missing or is not TSTInfo');
  }
  const digestValue = messageDigest[0]?.values[0];
  if (messageDigest.length !== 1 || !(digestValue instanceof asn1js.OctetString)) {
    fail('signature', 'the signed message-digest attribute is missing');
  }
  const actual = new Uint8Array(await crypto.digest(hashName, eContent));
  if (!bytesEqual(actual, digestValue.valueBlock.valueHexView)) {
    fail('signature', 'the TSTInfo does not match the digest the signer signed (altered after signing)');
  }
  let verified: boolean;
  try {
    verified = await crypto.verifyWithPublicKey(
      info.signedAttrs.encodedValue,
      info.signature,
      signer.subjectPublicKeyInfo,
      info.signatureAlgorithm,
      hashName,
    );
  } catch (error) {
    fail('signature', 'the signature could not be checked', error);
  }
  if (!verified) fail('signature', "the signature does not verify with the signer certificate's key");
  await checkSigningCertificateBinding(attrs, signer, crypto);
  return signer;
}

/** RFC 3161 §2.3: exactly one EKU extension, critical, naming id-kp-timeStamping only. */
function checkTimestampingEku(signer: pkijs.Certificate): void {
  const ekus = (signer.extensions ?? []).filter((e) => e.extnID === OID.extKeyUsage);
  if (ekus.length !== 1)
    fail('eku', 'the signer certificate has no extendedKeyUsage (id-kp-timeStamping required)');
  const eku = ekus[0]!;
  const purposes = eku.parsedValue instanceof pkijs.ExtKeyUsage ? eku.parsedValue.keyPurposes : [];
  if (purposes.length !== 1 || purposes[0] !== OID.timeStamping) {
    fail(
      'eku',
      `the signer certificate's extendedKeyUsage is ${purposes.join(', ') || 'empty'}, not timeStamping only`,
    );
  }
  if (!eku.critical) fail('eku', "the signer certificate's extendedKeyUsage is not critical");
  const keyUsage = (signer.extensions ?? []).find((e) => e.extnID === OID.keyUsage)?.parsedValue;
  if (keyUsage instanceof asn1js.BitString) {
    const first = keyUsage.valueBlock.valueHexView[0] ?? 0;
    if ((first & 0xc0) === 0)
      fail('eku', "the signer certificate's keyUsage allows neither digitalSignature nor nonRepudiation");
  }
}

async function checkChain(
  signed: pkijs.SignedData,
  signer: pkijs.Certificate,
  roots: readonly pkijs.Certificate[],
  at: Date,
  crypto: pkijs.ICryptoEngine,
): Promise<pkijs.Certificate[]> {
  if (roots.length === 0) fail('chain', 'no trusted timestamp roots are configured');
  const others = (signed.certificates ?? []).filter(
    (c): c is pkijs.Certificate => c instanceof pkijs.Certificate && c !== signer,
  );
  // The engine treats the last certificate as the one to validate.
  const engine = new pkijs.CertificateChainValidationEngine({
    trustedCerts: [...roots],
    certs: [...others, signer],
    checkDate: at,
  });
  let result: pkijs.CertificateChainValidationEngineVerifyResult;
  try {
    result = await engine.verify({}, crypto);
  } catch (error) {
    const message = (error as { resultMessage?: string })?.resultMessage ?? String(error);
    fail('chain', `the signer certificate does not chain to a trusted root: ${message}`, error);
  }
  if (!result.result) {
    fail(
      'chain',
      `the signer certificate does not chain to a trusted root at ${at.toISOString()}: ${result.resultMessage}`,
    );
  }
  return result.certificatePath ?? [signer];
}

/** A GeneralName as text: a directory name formatted, a string form as it is, anything else undefined. */
export function formatGeneralName(name: pkijs.GeneralName | undefined): string | undefined {
  if (!name) return undefined;
  if (name.type === 4) return formatName(name.value as pkijs.RelativeDistinguishedNames);
  return typeof name.value === 'string' ? name.value : undefined;
}

async function verifyToken(
  tokenDer: Uint8Array,
  check: StoredTokenCheck,
  nonce?: bigint,
): Promise<TimestampToken> {
  const digestHex = checkDigestHex(check.digestHex);
  const crypto = cryptoEngine();
  const parsed = parseToken(tokenDer);
  const { tst } = parsed;
  checkImprint(tst, digestHex);
  if (nonce !== undefined) {
    if (!tst.nonce) fail('nonce', 'the token carries no nonce (one was sent)');
    const got = tst.nonce.toBigInt();
    if (got !== nonce)
      fail('nonce', `the token's nonce ${got.toString(16)} is not the one sent (${nonce.toString(16)})`);
  }
  const signer = await checkSignature(parsed, crypto);
  checkTimestampingEku(signer);
  const path = await checkChain(parsed.signed, signer, check.roots, tst.genTime, crypto);
  const tsaName = formatGeneralName(tst.tsa);
  return {
    tokenDer: tokenDer.slice(),
    genTime: tst.genTime,
    serialNumber: toHex(tst.serialNumber.valueBlock.valueHexView),
    ...(tsaName ? { tsaName } : {}),
    policy: tst.policy,
    imprint: { algorithm: 'sha256', digestHex },
    signer: await summarize(signer, crypto),
    chain: await Promise.all(path.map((c) => summarize(c, crypto))),
  };
}

/**
 * Verifies a fresh TimeStampResp for the request we sent: granted status, imprint, nonce, signature
 * (with the ESS signing-certificate binding), the signer's timeStamping EKU, the chain to `roots` at
 * genTime, and genTime within `maxSkewMs` of `now`. Throws a TimestampError naming the first failure.
 */
export async function verifyTimestampReply(replyDer: Uint8Array, check: ReplyCheck): Promise<TimestampToken> {
  const token = await verifyToken(tokenFromReply(replyDer), check, check.nonce);
  const maxSkewMs = check.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
  const skew = token.genTime.getTime() - check.now.getTime();
  if (!Number.isFinite(skew) || Math.abs(skew) > maxSkewMs) {
    fail(
      'time',
      `genTime ${token.genTime.toISOString()} is ${Math.round(skew / 1000)} s from the local clock ${check.now.toISOString()} (allowed ±${Math.round(maxSkewMs / 1000)} s)`,
    );
  }
  return token;
}

/**
 * Re-verifies a stored TimeStampToken offline (as `redline verify` does): every check of
 * `verifyTimestampReply` except the nonce and the clock, which only mean something at stamping time.
 */
export function verifyStoredToken(tokenDer: Uint8Array, check: StoredTokenCheck): Promise<TimestampToken> {
  return verifyToken(tokenDer, check);
}
