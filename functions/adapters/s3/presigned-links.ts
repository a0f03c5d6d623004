import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ArtifactRef } from '../../core/domain/model.js';
import type { BlobLinks } from '../../core/domain/ports.js';
import type { S3BlobStore } from './s3-blob-store.js';

/**
 * Presigned GET URLs for blobs, served with their stored content type. Signed with the function's
 * role: such a URL stops working when the role's session ends, even before `expiresInSeconds`.
 */
export class PresignedLinks implements BlobLinks {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly blobs: Pick<S3BlobStore, 'keyOf'>,
    private readonly expiresInSeconds: number,
  ) {}

  linkTo(ref: ArtifactRef): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.blobs.keyOf(ref.digest),
      ResponseContentType: ref.contentType,
    });
    return getSignedUrl(this.client, command, { expiresIn: this.expiresInSeconds });
  }
}
