import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOWNLOAD_LINK_SECONDS, S3Downloads } from '../../functions/adapters/s3/s3-downloads.js';
import { EXPORTS_PREFIX } from '../../functions/contracts/storage.js';
import { sha256 } from '../../functions/core/domain/digest.js';
import { startAwsEmulator } from '../support/emulators.js';

/** The AWS Downloads adapter against fauxqs's S3: the file is stored under exports/ and answered with a 303. */
let aws: Awaited<ReturnType<typeof startAwsEmulator>>;
const BUCKET = 'redline-exports-test';

beforeAll(async () => {
  aws = await startAwsEmulator();
  await aws.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});
afterAll(async () => aws?.stop());

function appWith(downloads: S3Downloads, bytes: Uint8Array) {
  const app = new Hono();
  app.get('/export', (c) =>
    downloads.deliver(c, {
      name: 'redline-news.example-v1-v3 «draft».zip',
      contentType: 'application/zip',
      bytes,
    }),
  );
  return app;
}

describe('S3Downloads', () => {
  it('stores the file under exports/ and answers 303 to a presigned GET valid ten minutes that returns its bytes', async () => {
    // 7 MB: more than a Lambda response may carry, which is why the adapter exists.
    const bytes = new Uint8Array(7 * 1024 * 1024).map((_, i) => (i * 31 + 7) % 251);
    const downloads = new S3Downloads(aws.s3, BUCKET, { now: () => new Date('2026-11-26T12:00:00Z') });
    const response = await appWith(downloads, bytes).request('/export');
    expect(response.status).toBe(303);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.text()).toBe('');
    const location = new URL(response.headers.get('location')!);
    const key = decodeURIComponent(location.pathname.replace(`/${BUCKET}/`, ''));
    expect(key).toMatch(
      new RegExp(`^${EXPORTS_PREFIX}2026-11-26/[0-9a-f-]{36}/redline-news.example-v1-v3__draft_.zip$`),
    );
    expect(location.searchParams.get('X-Amz-Expires')).toBe(String(DOWNLOAD_LINK_SECONDS));
    expect(location.searchParams.get('response-content-disposition')).toContain('attachment;');
    expect(location.searchParams.get('response-content-disposition')).toContain("filename*=UTF-8''");

    // Stored whole, with its type and name.
    const head = await aws.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ContentLength).toBe(bytes.byteLength);
    expect(head.ContentType).toBe('application/zip');
    const stored = await aws.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(sha256(await stored.Body!.transformToByteArray())).toBe(sha256(bytes));

    // The link itself, followed as a browser would.
    const followed = await fetch(location);
    expect(followed.status).toBe(200);
    expect(sha256(new Uint8Array(await followed.arrayBuffer()))).toBe(sha256(bytes));
  });

  it('gives each download its own key, even for the same name', async () => {
    const downloads = new S3Downloads(aws.s3, BUCKET);
    const a = downloads.keyFor('same.zip');
    const b = downloads.keyFor('same.zip');
    expect(a).not.toBe(b);
    expect(a.startsWith(EXPORTS_PREFIX)).toBe(true);
    expect(downloads.keyFor('../../etc/passwd')).toMatch(/\/\.\._\.\._etc_passwd$/);
  });
});
