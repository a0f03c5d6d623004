import { randomBytes } from 'node:crypto';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3BlobLinks } from '../../functions/adapters/s3/blob-links.js';
import { S3BlobStore } from '../../functions/adapters/s3/s3-blob-store.js';
import { archiveGate, MAX_ARCHIVE_BODY_BYTES } from '../../functions/api/archive-gate.js';
import { signArchivePath } from '../../functions/api/archive-token.js';
import { sha256 } from '../../functions/core/domain/digest.js';
import { type ApiArchive, startApiArchive } from '../support/api-archive.js';
import { startAwsEmulator } from '../support/emulators.js';

/**
 * An artifact larger than a Lambda response carries (a long PDF report) on the AWS archive origin: the
 * gate reads and checks it, then answers 303 to a ten-minute presigned GET of the blob itself, as an
 * octet-stream attachment (the bucket's origin cannot send CSP sandbox, so it must never render it).
 * S3 is fauxqs; the catalog is a real local archive.
 */
const KEY = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_', 'utf8');
const BUCKET = 'redline-large-test';
let aws: Awaited<ReturnType<typeof startAwsEmulator>>;
let archive: ApiArchive;
let blobs: S3BlobStore;
const clock = { now: () => new Date() };

beforeAll(async () => {
  [aws, archive] = await Promise.all([startAwsEmulator(), startApiArchive()]);
  await aws.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  blobs = new S3BlobStore(aws.s3, BUCKET);
}, 300_000);
afterAll(async () => Promise.all([aws?.stop(), archive?.close()]));

const signed = (path: string) =>
  `https://archive.example${signArchivePath(KEY, path, Math.floor(Date.now() / 1000) + 600)}`;

describe('an artifact over the Lambda response limit', () => {
  it('is answered 303 to a presigned download of the verified blob, bytes equal to the digest', async () => {
    const bytes = randomBytes(MAX_ARCHIVE_BODY_BYTES + 1024);
    const ref = await blobs.put(bytes, 'application/pdf');
    const deps = { ...archive.rt, blobs };
    const gate = archiveGate(deps, {
      appUrl: 'https://app.example',
      key: KEY,
      clock,
      blobLink: s3BlobLinks(aws.s3, BUCKET),
    });
    const answer = await gate(new Request(signed(`/blobs/${ref.digest}`)));
    expect(answer.status).toBe(303);
    expect(answer.headers.get('content-security-policy')).toBe('sandbox');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const location = new URL(answer.headers.get('location')!);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('600');
    expect(location.searchParams.get('response-content-type')).toBe('application/octet-stream');
    expect(location.searchParams.get('response-content-disposition')).toMatch(
      /^attachment; filename="sha256-[0-9a-f]{64}\.bin"/,
    );
    const followed = await fetch(location);
    expect(followed.status).toBe(200);
    expect(sha256(new Uint8Array(await followed.arrayBuffer()))).toBe(ref.digest);

    // Without a link maker (the local server never needs one) it stays a named 502, never a cut body.
    const bare = archiveGate(deps, { appUrl: 'https://app.example', key: KEY, clock });
    const refused = await bare(new Request(signed(`/blobs/${ref.digest}`)));
    expect(refused.status).toBe(502);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('too_large_for_lambda');
  });

  it('a corrupted large blob is never linked: the check before the link fails it', async () => {
    const bytes = randomBytes(MAX_ARCHIVE_BODY_BYTES + 1024);
    const ref = await blobs.put(bytes, 'application/pdf');
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    bytes[100] = (bytes[100] ?? 0) ^ 0xff;
    await aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: blobs.keyOf(ref.digest), Body: bytes }));
    const gate = archiveGate(
      { ...archive.rt, blobs },
      { appUrl: 'https://app.example', key: KEY, clock, blobLink: s3BlobLinks(aws.s3, BUCKET) },
    );
    const answer = await gate(new Request(signed(`/blobs/${ref.digest}`)));
    expect(answer.status).toBe(500);
    expect(answer.headers.get('location')).toBeNull();
  });
});
