import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { WaczSignatureError } from '../domain/errors.js';

/** The WACZ auth spec's anonymous signature (`signedData` in datapackage-digest.json). */
export interface WaczSignedData {
  /** The `sha256:<hex>` of datapackage.json, the very string that is signed. */
  hash: string;
  /** Equal to datapackage.json's `created` (py-wacz checks this). */
  created: string;
  software: string;
  /** ECDSA P-256 over SHA-256 of the UTF-8 `hash`, IEEE P1363 (r‖s), base64. */
  signature: string;
  /** SubjectPublicKeyInfo DER, base64. */
  publicKey: string;
}

export interface WaczSigningKey {
  /** PKCS#8 PEM of an EC P-256 private key (`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`). */
  privateKeyPem: string;
}

function ecP256PrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw new WaczSignatureError('the WACZ signing key is not a readable PEM private key', { cause });
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || (curve !== 'prime256v1' && curve !== 'P-256')) {
    throw new WaczSignatureError(
      `the WACZ signing key must be ECDSA P-256, got ${key.asymmetricKeyType} ${curve ?? ''}`.trim(),
    );
  }
  return key;
}

/** Signs a datapackage.json hash as an anonymous WACZ signature. */
export function signWaczHash(
  hash: string,
  created: string,
  software: string,
  key: WaczSigningKey,
): WaczSignedData {
  const privateKey = ecP256PrivateKey(key.privateKeyPem);
  const signature = sign('sha256', Buffer.from(hash, 'utf8'), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const publicKey = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  return {
    hash,
    created,
    software,
    signature: signature.toString('base64'),
    publicKey: publicKey.toString('base64'),
  };
}

/** The base64 SPKI public key for a signing key: what a verifier must trust (out of band) for an anonymous signature. */
export function waczPublicKeyOf(key: WaczSigningKey): string {
  return createPublicKey(ecP256PrivateKey(key.privateKeyPem))
    .export({ type: 'spki', format: 'der' })
    .toString('base64');
}

export type WaczSignatureCheck = { valid: true } | { valid: false; problem: string };

/**
 * Checks an anonymous signature: the signature verifies over `hash` with the embedded public key, `hash`
 * is the expected datapackage.json hash, and (when given) the key is one the caller trusts.
 */
export function verifyWaczSignature(
  signedData: WaczSignedData,
  expected: { datapackageHash: string; trustedPublicKeys?: string[] },
): WaczSignatureCheck {
  if (signedData.hash !== expected.datapackageHash) {
    return { valid: false, problem: 'signedData.hash is not the hash of datapackage.json' };
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({
      key: Buffer.from(signedData.publicKey, 'base64'),
      format: 'der',
      type: 'spki',
    });
  } catch {
    return { valid: false, problem: 'signedData.publicKey is not a base64 SPKI public key' };
  }
  if (publicKey.asymmetricKeyType !== 'ec')
    return { valid: false, problem: 'signedData.publicKey is not an EC key' };
  const ok = verify(
    'sha256',
    Buffer.from(signedData.hash, 'utf8'),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signedData.signature, 'base64'),
  );
  if (!ok) return { valid: false, problem: 'signature does not verify with signedData.publicKey' };
  if (expected.trustedPublicKeys && !expected.trustedPublicKeys.includes(signedData.publicKey)) {
    return { valid: false, problem: 'signature is valid but made with a key that is not trusted' };
  }
  return { valid: true };
}
