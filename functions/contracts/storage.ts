/**
 * Where blobs live in the artifact bucket: `blobs/sha256/<hex>`, the key named by the SHA-256 of the
 * bytes (docs/adr). Shared by the S3 blob store and the IAM policies in infra, which scope the worker to
 * this prefix. No SDK import: infra reads it too.
 */

/** Every blob key starts with this; nothing else is stored under it. */
export const BLOB_PREFIX = 'blobs/';

/** The digest algorithm's segment of a blob key (and of the local blob folder). */
export const BLOB_ALGORITHM = 'sha256';

/** `blobs/sha256/<hex>` for the lowercase hex SHA-256 of a blob's bytes. */
export function blobKey(hex: string, prefix: string = BLOB_PREFIX): string {
  return `${prefix}${BLOB_ALGORITHM}/${hex}`;
}

/** An IAM resource or `s3:prefix` pattern matching every blob key. */
export const BLOB_KEY_PATTERN = `${BLOB_PREFIX}*`;

/** Built files handed over for download on AWS (functions/adapters/s3/s3-downloads.ts), in the exports bucket. */
export const EXPORTS_PREFIX = 'exports/';
