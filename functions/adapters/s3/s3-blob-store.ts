import {
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { type Digest, digestHex, sha256 } from '../../core/domain/digest.js';
import { BlobNotFoundError } from '../../core/domain/errors.js';
import type { ArtifactRef } from '../../core/domain/model.js';
import type { BlobStore } from '../../core/domain/ports.js';

/** Blobs in S3 under `blobs/sha256/<hex>`, put create-only with the SHA-256 checked by S3 on upload. */
export class S3BlobStore implements BlobStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix = 'blobs/',
  ) {}

  keyOf(digest: Digest): string {
    return `${this.prefix}sha256/${digestHex(digest)}`;
  }

  async put(bytes: Uint8Array, contentType: string): Promise<ArtifactRef> {
    const digest = sha256(bytes);
    if (!(await this.has(digest))) {
      try {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.keyOf(digest),
            Body: bytes,
            ContentType: contentType,
            ChecksumSHA256: Buffer.from(digestHex(digest), 'hex').toString('base64'),
            IfNoneMatch: '*',
          }),
        );
      } catch (error) {
        // 412: another writer stored the same bytes first. Same key, same content: done.
        if (!(error instanceof S3ServiceException && error.$metadata.httpStatusCode === 412)) throw error;
      }
    }
    return { digest, size: bytes.byteLength, contentType };
  }

  async get(digest: Digest): Promise<Uint8Array> {
    try {
      const result = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(digest) }),
      );
      if (!result.Body) throw new BlobNotFoundError(digest);
      return await result.Body.transformToByteArray();
    } catch (error) {
      if (error instanceof NoSuchKey) throw new BlobNotFoundError(digest);
      throw error;
    }
  }

  async has(digest: Digest): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(digest) }));
      return true;
    } catch (error) {
      if (
        error instanceof NotFound ||
        (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)
      )
        return false;
      throw error;
    }
  }
}
