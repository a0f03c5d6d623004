import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/domain/clock.js';
import { RedlineError } from '../core/domain/errors.js';

/**
 * Capability links to the archive origin on AWS. An iframe or an `<img>` cannot send a bearer token, so
 * the authenticated API hands out archive links that carry their own proof: `/k/{expiry}.{signature}`
 * before the path, where the signature is HMAC-SHA256 (base64url) over the expiry and the exact path and
 * query that follow. A link opens one blob or one memento, until its expiry; any other path, a changed
 * query, a later expiry or another key fails. The prefix is in the path, not the query, because a
 * memento's path ends with a URI-R that keeps its own query string.
 */
export const TOKEN_PREFIX = '/k/';

/** Links expire on these boundaries (seconds), so one page's links stay the same URL for a while (caches). */
export const EXPIRY_GRANULARITY_SECONDS = 300;
/** The shortest key accepted: 256 bits, HMAC-SHA256's block of security. */
export const MIN_KEY_BYTES = 32;

export class ArchiveKeyError extends RedlineError {}

export type TokenCheck =
  | { ok: true; rest: string; expiresAt: number }
  | { ok: false; reason: 'missing' | 'malformed' | 'expired' | 'forged' };

function checkKey(key: Uint8Array): void {
  if (key.byteLength < MIN_KEY_BYTES)
    throw new ArchiveKeyError(
      `the archive signing key has ${key.byteLength} bytes; at least ${MIN_KEY_BYTES}`,
    );
}

function mac(key: Uint8Array, expiresAt: number, rest: string): Buffer {
  return createHmac('sha256', key).update(`${expiresAt}\n${rest}`, 'utf8').digest();
}

/** `pathAndQuery` (starting with `/`) with the token prefix for a link valid until `expiresAt` (epoch seconds). */
export function signArchivePath(key: Uint8Array, pathAndQuery: string, expiresAt: number): string {
  checkKey(key);
  if (!pathAndQuery.startsWith('/')) throw new ArchiveKeyError(`not a path: ${pathAndQuery}`);
  if (!Number.isSafeInteger(expiresAt) || expiresAt <= 0)
    throw new ArchiveKeyError(`bad expiry ${expiresAt}`);
  return `${TOKEN_PREFIX}${expiresAt}.${mac(key, expiresAt, pathAndQuery).toString('base64url')}${pathAndQuery}`;
}

const TOKEN = /^\/k\/(\d{1,12})\.([A-Za-z0-9_-]{43})(\/.*)$/s;

/** Checks a request's path and query as received; `rest` is what the link opens once the token is valid. */
export function verifyArchivePath(key: Uint8Array, pathAndQuery: string, nowSeconds: number): TokenCheck {
  checkKey(key);
  if (!pathAndQuery.startsWith(TOKEN_PREFIX)) return { ok: false, reason: 'missing' };
  const match = TOKEN.exec(pathAndQuery);
  if (!match) return { ok: false, reason: 'malformed' };
  const [, expiry, signature, rest] = match;
  const expiresAt = Number(expiry);
  const given = Buffer.from(signature!, 'base64url');
  const expected = mac(key, expiresAt, rest!);
  // Forged before expired: an attacker learns nothing about expiry from a bad signature.
  if (given.byteLength !== expected.byteLength || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'forged' };
  if (expiresAt <= nowSeconds) return { ok: false, reason: 'expired' };
  return { ok: true, rest: rest!, expiresAt };
}

/** Signs archive links for `ttlSeconds` (rounded up to the granularity) from the clock's now. */
export class ArchiveSigner {
  constructor(
    private readonly key: Uint8Array,
    private readonly ttlSeconds: number,
    private readonly clock: Clock,
  ) {
    checkKey(key);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 60) throw new ArchiveKeyError(`bad ttl ${ttlSeconds}`);
  }

  expiry(): number {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    const g = EXPIRY_GRANULARITY_SECONDS;
    return Math.ceil((now + this.ttlSeconds) / g) * g;
  }

  sign(pathAndQuery: string): string {
    return signArchivePath(this.key, pathAndQuery, this.expiry());
  }
}
