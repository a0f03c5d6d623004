import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { attachment } from '../../api/downloads.js';
import { blobKey } from '../../contracts/storage.js';
import { type Digest, digestHex } from '../../core/domain/digest.js';

/** A link to an oversized artifact is followed at once by the browser the archive origin answered. */
export const BLOB_LINK_SECONDS = 600;

/**
 * A presigned GET of a stored blob, as a download: `application/octet-stream` and `attachment`, so the
 * bucket's origin never renders archived bytes (it cannot send `Content-Security-Policy: sandbox`).
 * The archive origin answers with it for artifacts larger than a Lambda response carries.
 */
export function s3BlobLinks(
  client: S3Client,
  bucket: string,
  expiresIn = BLOB_LINK_SECONDS,
): (digest: Digest) => Promise<string> {
  return (digest) =>
    getSignedUrl(
      client,
      new GetObjectCommand({
        Bucket: bucket,
        Key: blobKey(digestHex(digest)),
        ResponseContentType: 'application/octet-stream',
        ResponseContentDisposition: attachment(`sha256-${digestHex(digest)}.bin`),
      }),
      { expiresIn },
    );
}
