import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acceptsJson,
  DOWNLOAD_LINK_SECONDS,
  type DownloadLink,
  S3Downloads,
} from '../../functions/adapters/s3/s3-downloads.js';
import { EXPORTS_PREFIX } from '../../functions/contracts/storage.js';
import { sha256 } from '../../functions/core/domain/digest.js';
import { startAwsEmulator } from '../support/emulators.js';

/**
 * The AWS Downloads adapter against fauxqs's S3: the file is stored under exports/ and answered with a 303,
 * or, asked for JSON (the viewer, which sends a bearer token), with the same link in a JSON body.
 */
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

  it('asked for JSON, answers 200 with the presigned link, the name, the size and when the link expires', async () => {
    const bytes = new Uint8Array(300_000).map((_, i) => (i * 17 + 3) % 253);
    const downloads = new S3Downloads(aws.s3, BUCKET);
    const before = Date.now();
    const response = await appWith(downloads, bytes).request('/export', {
      headers: { accept: 'application/json' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('vary')).toBe('Accept');
    expect(response.headers.get('location')).toBeNull();
    const link = (await response.json()) as DownloadLink;
    expect(Object.keys(link).sort()).toEqual(['bytes', 'expiresAt', 'href', 'name']);
    expect(link.name).toBe('redline-news.example-v1-v3 «draft».zip');
    expect(link.bytes).toBe(bytes.byteLength);

    const href = new URL(link.href);
    expect(href.pathname.startsWith(`/${BUCKET}/${EXPORTS_PREFIX}`)).toBe(true);
    expect(href.searchParams.get('X-Amz-Expires')).toBe(String(DOWNLOAD_LINK_SECONDS));
    // expiresAt is the signature's own date plus its lifetime (X-Amz-Date is yyyymmddThhmmssZ).
    const signed = href.searchParams
      .get('X-Amz-Date')!
      .replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6.000Z');
    expect(link.expiresAt).toBe(new Date(Date.parse(signed) + DOWNLOAD_LINK_SECONDS * 1000).toISOString());
    expect(Date.parse(link.expiresAt)).toBeGreaterThanOrEqual(before - 1000 + DOWNLOAD_LINK_SECONDS * 1000);

    // The link names the file as an attachment (S3 answers with this Content-Disposition; fauxqs does not
    // echo it, so the parameter is checked) and gives the bytes without any Authorization header.
    expect(href.searchParams.get('response-content-disposition')).toBe(
      `attachment; filename="redline-news.example-v1-v3 _draft_.zip"; filename*=UTF-8''${encodeURIComponent(link.name)}`,
    );
    const followed = await fetch(href);
    expect(followed.status).toBe(200);
    expect(sha256(new Uint8Array(await followed.arrayBuffer()))).toBe(sha256(bytes));
  });

  it('answers JSON only when application/json is named with a non-zero q; wildcards and no Accept get the 303', async () => {
    const downloads = new S3Downloads(aws.s3, BUCKET);
    const app = appWith(downloads, new Uint8Array([1, 2, 3]));
    const statusFor = async (accept?: string) =>
      (await app.request('/export', accept === undefined ? {} : { headers: { accept } })).status;
    expect(await statusFor()).toBe(303);
    expect(await statusFor('*/*')).toBe(303);
    expect(await statusFor('text/html,application/xhtml+xml,*/*;q=0.8')).toBe(303);
    expect(await statusFor('application/json;q=0')).toBe(303);
    expect(await statusFor('text/html, Application/JSON; q=0.5')).toBe(200);
    expect(acceptsJson('application/jsonp')).toBe(false);
    expect(acceptsJson('application/json')).toBe(true);
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
