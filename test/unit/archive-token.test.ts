import { describe, expect, it } from 'vitest';
import {
  ArchiveKeyError,
  ArchiveSigner,
  EXPIRY_GRANULARITY_SECONDS,
  signArchivePath,
  TOKEN_PREFIX,
  verifyArchivePath,
} from '../../functions/api/archive-token.js';

const KEY = Buffer.from('k'.repeat(64), 'utf8');
const OTHER = Buffer.from('o'.repeat(64), 'utf8');
const NOW = 1_795_000_000; // 2026-11-18
const BLOB = `/blobs/sha256:${'a'.repeat(64)}?watch=w_0123456789abcdef0123`;
const MEMENTO = '/web/20261120100000/https://news.example/story?id=1&x=//y';

describe('archive capability links', () => {
  it('a signed path verifies until its expiry and gives back exactly the path and query asked', () => {
    for (const path of [BLOB, MEMENTO]) {
      const signed = signArchivePath(KEY, path, NOW + 3600);
      expect(signed.startsWith(TOKEN_PREFIX)).toBe(true);
      expect(signed.endsWith(path)).toBe(true);
      expect(verifyArchivePath(KEY, signed, NOW)).toEqual({ ok: true, rest: path, expiresAt: NOW + 3600 });
      expect(verifyArchivePath(KEY, signed, NOW + 3599)).toMatchObject({ ok: true });
      expect(verifyArchivePath(KEY, signed, NOW + 3600)).toEqual({ ok: false, reason: 'expired' });
    }
  });

  it('refuses a missing token, a malformed one, another key, another path, a changed query or a later expiry', () => {
    const signed = signArchivePath(KEY, MEMENTO, NOW + 3600);
    const [, , token] = signed.split('/');
    const [expiry, signature] = token!.split('.');
    expect(verifyArchivePath(KEY, MEMENTO, NOW)).toEqual({ ok: false, reason: 'missing' });
    expect(verifyArchivePath(KEY, `/k/${expiry}${MEMENTO}`, NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyArchivePath(KEY, `/k/${expiry}.short${MEMENTO}`, NOW)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(verifyArchivePath(OTHER, signed, NOW)).toEqual({ ok: false, reason: 'forged' });
    // The same token on another blob, on the same memento with another query, or with a later expiry.
    expect(verifyArchivePath(KEY, `/k/${expiry}.${signature}${BLOB}`, NOW)).toEqual({
      ok: false,
      reason: 'forged',
    });
    expect(verifyArchivePath(KEY, `${signed}&more=1`, NOW)).toEqual({ ok: false, reason: 'forged' });
    expect(verifyArchivePath(KEY, `/k/${Number(expiry) + 86_400}.${signature}${MEMENTO}`, NOW)).toEqual({
      ok: false,
      reason: 'forged',
    });
    // A forged link says forged even when its claimed expiry has passed: no oracle on expiry.
    expect(verifyArchivePath(OTHER, signed, NOW + 99_999)).toEqual({ ok: false, reason: 'forged' });
    // One flipped signature character.
    const flipped = signature!.startsWith('A') ? `B${signature!.slice(1)}` : `A${signature!.slice(1)}`;
    expect(verifyArchivePath(KEY, `/k/${expiry}.${flipped}${MEMENTO}`, NOW)).toEqual({
      ok: false,
      reason: 'forged',
    });
  });

  it('refuses keys shorter than 256 bits', () => {
    expect(() => signArchivePath(Buffer.alloc(16), BLOB, NOW)).toThrow(ArchiveKeyError);
    expect(() => verifyArchivePath(Buffer.alloc(31), BLOB, NOW)).toThrow(ArchiveKeyError);
  });

  it('the signer rounds expiry up, so one page’s links keep one URL for a few minutes (browser cache)', () => {
    let now = new Date(NOW * 1000);
    const signer = new ArchiveSigner(KEY, 3600, { now: () => now });
    const first = signer.sign(BLOB);
    const expiry = signer.expiry();
    expect(expiry % EXPIRY_GRANULARITY_SECONDS).toBe(0);
    expect(expiry - NOW).toBeGreaterThanOrEqual(3600);
    expect(expiry - NOW).toBeLessThan(3600 + EXPIRY_GRANULARITY_SECONDS);
    now = new Date((expiry - 3600 - 1) * 1000);
    expect(signer.sign(BLOB)).toBe(first);
    now = new Date((expiry - 3600 + 1) * 1000);
    expect(signer.sign(BLOB)).not.toBe(first);
    expect(verifyArchivePath(KEY, first, NOW)).toMatchObject({ ok: true, rest: BLOB });
  });
});
