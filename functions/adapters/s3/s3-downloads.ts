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

/**
 * On AWS a Lambda answers at most 6 MB, so a built file (WACZ, evidence bundle) is stored under
 * `exports/` in the exports bucket (expired by a lifecycle rule after a day) and the API answers
 * `303 See Other` to a presigned GET valid ten minutes, which names the file for the browser.
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
      { expiresIn: this.options.expiresInSeconds ?? DOWNLOAD_LINK_SECONDS },
    );
    return c.body(null, 303, { Location: url, 'Cache-Control': 'no-store' });
  }
}
