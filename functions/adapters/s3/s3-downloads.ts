import { randomUUID } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Context } from 'hono';
import { attachment, type Download, type Downloads } from '../../api/downloads.js';
import { EXPORTS_PREFIX } from '../../contracts/storage.js';
import { RedlineError } from '../../core/domain/errors.js';

/** A download link is followed at once by the browser that asked: ten minutes is plenty. */
export const DOWNLOAD_LINK_SECONDS = 600;

export class DownloadStoreError extends RedlineError {}

/** The JSON answer (`Accept: application/json`): the presigned link and what it holds. */
export interface DownloadLink {
  /** The presigned GET: the file as an attachment under its name, no Authorization header needed. */
  href: string;
  name: string;
  bytes: number;
  /** When the link stops working (ISO 8601). */
  expiresAt: string;
}

/** The most media ranges of an Accept header looked at. */
const MAX_ACCEPT_RANGES = 50;

/**
 * Whether the request names `application/json` among its Accept media ranges (with a non-zero q).
 * Wildcards do not count: a browser or `curl -L` sending `*\/*` gets the redirect.
 */
export function acceptsJson(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept
    .split(',')
    .slice(0, MAX_ACCEPT_RANGES)
    .some((range) => {
      const [type = '', ...params] = range.split(';').map((part) => part.trim().toLowerCase());
      if (type !== 'application/json') return false;
      const q = params.find((p) => p.startsWith('q='));
      return q === undefined || Number(q.slice(2)) > 0;
    });
}

/**
 * On AWS a Lambda answers at most 6 MB, so a built file (WACZ, evidence bundle) is stored under
 * `exports/` in the exports bucket (expired by a lifecycle rule after a day) and the API answers
 * `303 See Other` to a presigned GET valid ten minutes, which names the file for the browser.
 * Asked for JSON (`Accept: application/json`) it answers `200` with the link instead
 * ({@link DownloadLink}): the viewer, whose requests carry a bearer token and whose CSP keeps its
 * script off the bucket, fetches that and then navigates to the link.
 */
export class S3Downloads implements Downloads {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly options: { expiresInSeconds?: number; now?: () => Date } = {},
  ) {}

  keyFor(name: string): string {
    const day = (this.options.now?.() ?? new Date()).toISOString().slice(0, 10);
    const safe = name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200) || 'download';
    return `${EXPORTS_PREFIX}${day}/${randomUUID()}/${safe}`;
  }

  async deliver(c: Context, file: Download): Promise<Response> {
    const expiresIn = this.options.expiresInSeconds ?? DOWNLOAD_LINK_SECONDS;
    // Signed at the real time (the `now` option only names the key's day), in whole seconds as
    // X-Amz-Date carries it, so expiresAt is exactly when S3 stops honouring the link.
    const signedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
    const key = this.keyFor(file.name);
    const disposition = attachment(file.name);
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: file.bytes,
          ContentType: file.contentType,
          ContentDisposition: disposition,
        }),
      );
    } catch (cause) {
      throw new DownloadStoreError(`could not store ${file.name} for download`, { cause });
    }
    const url = await getSignedUrl(
      this.client,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ResponseContentType: file.contentType,
        ResponseContentDisposition: disposition,
      }),
      { expiresIn, signingDate: signedAt },
    );
    const headers = { 'Cache-Control': 'no-store', Vary: 'Accept' };
    if (acceptsJson(c.req.header('accept'))) {
      const link: DownloadLink = {
        href: url,
        name: file.name,
        bytes: file.bytes.byteLength,
        expiresAt: new Date(signedAt.getTime() + expiresIn * 1000).toISOString(),
      };
      return c.json(link, 200, headers);
    }
    return c.body(null, 303, { ...headers, Location: url });
  }
}
