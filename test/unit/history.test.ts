import { describe, expect, it } from 'vitest';
import { sha256 } from '../../functions/core/domain/digest.js';
import { IntegrityError, VersionNotFoundError } from '../../functions/core/domain/errors.js';
import type { VersionRecord } from '../../functions/core/domain/model.js';
import { artifactFor, readVerified, selectVersion } from '../../functions/core/history/history.js';
import { MemoryBlobStore } from '../support/memory.js';

const digest = sha256('x');
const version = (number: number, capturedAt: string): VersionRecord => ({
  watchId: 'w_00000000000000000000',
  number,
  captureId: `c${number}`,
  url: 'https://news.example/a',
  capturedAt,
  title: 'A',
  textHash: digest,
  artifacts: { raw: { digest, size: 1, contentType: 'text/html' } },
  edits: [],
});
const versions = [version(1, '2026-11-01T00:00:00.000Z'), version(2, '2026-11-05T00:00:00.000Z')];

describe('selectVersion', () => {
  it('selects by number, by time, or the latest', () => {
    expect(selectVersion(versions, { version: 1 }, 'u').number).toBe(1);
    expect(selectVersion(versions, { at: new Date('2026-11-04T00:00:00Z') }, 'u').number).toBe(1);
    expect(selectVersion(versions, { at: new Date('2026-11-05T00:00:00Z') }, 'u').number).toBe(2);
    expect(selectVersion(versions, {}, 'u').number).toBe(2);
  });

  it('says clearly when there is no such version', () => {
    expect(() => selectVersion(versions, { version: 9 }, 'u')).toThrow(/no version 9 \(versions 1–2\)/);
    expect(() => selectVersion(versions, { at: new Date('2026-10-01T00:00:00Z') }, 'u')).toThrow(
      VersionNotFoundError,
    );
    expect(() => selectVersion([], {}, 'u')).toThrow(/no versions/);
  });
});

describe('artifactFor', () => {
  it('serves a PDF document as its own pdf format, and refuses a missing artifact', () => {
    const pdf = version(1, '2026-11-01T00:00:00.000Z');
    pdf.artifacts = { raw: { digest, size: 1, contentType: 'application/pdf' } };
    expect(artifactFor(pdf, 'pdf').contentType).toBe('application/pdf');
    expect(() => artifactFor(versions[0]!, 'png')).toThrow(/no png artifact/);
  });
});

describe('readVerified', () => {
  it('returns bytes whose hash matches and refuses tampered bytes', async () => {
    const blobs = new MemoryBlobStore();
    const ref = await blobs.put(Buffer.from('evidence'), 'text/plain');
    expect(Buffer.from(await readVerified(blobs, ref.digest)).toString()).toBe('evidence');
    blobs.blobs.set(ref.digest, Buffer.from('tampered'));
    await expect(readVerified(blobs, ref.digest)).rejects.toThrow(IntegrityError);
  });
});
