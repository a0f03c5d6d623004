import {
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { BLOB_PREFIX, blobKey } from '../../contracts/storage.js';
import { type Digest, digestHex, sha256 } from '../../core/domain/digest.js';
import { BlobIntegrityError, BlobNotFoundError, BlobUnrepairableError } from '../../core/domain/errors.js';
import type { ArtifactRef } from '../../core/domain/model.js';
import type { BlobStore } from '../../core/domain/ports.js';

/** What is stored under a digest: nothing, the right bytes, or other bytes (with what is known of them). */
type Held = { state: 'missing' } | { state: 'ok' } | { state: 'corrupt'; size?: number; digest?: string };

const base64Of = (digest: Digest) => Buffer.from(digestHex(digest), 'hex').toString('base64');
const digestOfBase64 = (checksum: string) => `sha256:${Buffer.from(checksum, 'base64').toString('hex')}`;

/**
 * Blobs in S3 under `blobs/sha256/<hex>` (functions/contracts/storage.ts), put create-only with the
 * SHA-256 checked by S3 on upload. Nothing read is trusted:
 * - `get` hashes what it read;
 * - `has` compares the SHA-256 S3 recorded for the object (HeadObject, ChecksumMode ENABLED) and, when
 *   the object has none (written without one, or an emulator that keeps none), reads it and hashes it;
 * - `put` of bytes whose key already holds other bytes throws BlobUnrepairableError: the object cannot
 *   be replaced (If-None-Match, Object Lock), so it is reported and never counted as stored.
 */
export class S3BlobStore implements BlobStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix = BLOB_PREFIX,
  ) {}

  keyOf(digest: Digest): string {
    return blobKey(digestHex(digest), this.prefix);
  }

  async put(bytes: Uint8Array, contentType: string): Promise<ArtifactRef> {
    const digest = sha256(bytes);
    let held = await this.held(digest);
    if (held.state === 'missing') {
      try {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.keyOf(digest),
            Body: bytes,
            ContentType: contentType,
            ChecksumSHA256: base64Of(digest),
            IfNoneMatch: '*',
          }),
        );
        held = { state: 'ok' };
      } catch (error) {
        // 412: another writer stored an object under this key first; it counts only if its bytes are right.
        if (!(error instanceof S3ServiceException && error.$metadata.httpStatusCode === 412)) throw error;
        held = await this.held(digest);
      }
    }
    if (held.state === 'corrupt') {
      throw new BlobUnrepairableError(digest, {
        ...(held.digest ? { digest: held.digest } : {}),
        ...(held.size !== undefined ? { size: held.size } : {}),
      });
    }
    if (held.state === 'missing') throw new BlobNotFoundError(digest);
    return { digest, size: bytes.byteLength, contentType };
  }

  async get(digest: Digest): Promise<Uint8Array> {
    const bytes = await this.read(digest);
    if (!bytes) throw new BlobNotFoundError(digest);
    const found = sha256(bytes);
    if (found !== digest) throw new BlobIntegrityError(digest, { digest: found, size: bytes.byteLength });
    return bytes;
  }

  /** Whether the right bytes are stored under the digest (a corrupt object is not). */
  async has(digest: Digest): Promise<boolean> {
    return (await this.held(digest)).state === 'ok';
  }

  private async held(digest: Digest): Promise<Held> {
    let head: { ChecksumSHA256?: string; ChecksumType?: string; ContentLength?: number };
    try {
      head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(digest), ChecksumMode: 'ENABLED' }),
      );
    } catch (error) {
      if (isNotFound(error)) return { state: 'missing' };
      throw error;
    }
    // A whole-object SHA-256 (every put of this store sends one, and S3 checks it on upload). A multipart
    // object's composite checksum (`…-N`) is not the SHA-256 of the bytes: read those.
    const checksum = head.ChecksumSHA256;
    if (checksum && head.ChecksumType !== 'COMPOSITE' && !checksum.includes('-')) {
      if (checksum === base64Of(digest)) return { state: 'ok' };
      return {
        state: 'corrupt',
        digest: digestOfBase64(checksum),
        ...(head.ContentLength !== undefined ? { size: head.ContentLength } : {}),
      };
    }
    const bytes = await this.read(digest);
    if (!bytes) return { state: 'missing' };
    const found = sha256(bytes);
    return found === digest ? { state: 'ok' } : { state: 'corrupt', digest: found, size: bytes.byteLength };
  }

  /** The object's bytes, or undefined when there is none. */
  private async read(digest: Digest): Promise<Uint8Array | undefined> {
    try {
      const result = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(digest) }),
      );
      return result.Body ? await result.Body.transformToByteArray() : undefined;
    } catch (error) {
      if (error instanceof NoSuchKey || isNotFound(error)) return undefined;
      throw error;
    }
  }
}

function isNotFound(error: unknown): boolean {
  return (
    error instanceof NotFound ||
    (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)
  );
}
