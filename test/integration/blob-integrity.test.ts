import { mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsBlobStore } from '../../functions/adapters/fs/fs-blob-store.js';
import { S3BlobStore } from '../../functions/adapters/s3/s3-blob-store.js';
import { sha256 } from '../../functions/core/domain/digest.js';
import {
  BlobIntegrityError,
  BlobNotFoundError,
  BlobUnrepairableError,
  IntegrityError,
} from '../../functions/core/domain/errors.js';
import { startAwsEmulator } from '../support/emulators.js';
import { MemoryBlobStore } from '../support/memory.js';

/** Every blob read is checked against its digest; wrong bytes are repaired where storage allows, reported where not. */

const bytesOf = (seed: number, length = 100_000) =>
  new Uint8Array(length).map((_, i) => (i * seed + 3) % 251);

let root: string;
let aws: Awaited<ReturnType<typeof startAwsEmulator>>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'redline-blobs-'));
  aws = await startAwsEmulator();
  await aws.s3.send(new CreateBucketCommand({ Bucket: 'integrity' }));
});
afterAll(async () => {
  await aws.stop();
  await rm(root, { recursive: true, force: true });
});

/** Flips one byte of a stored file in place (same size: only the hash can tell). */
async function flipByte(path: string, at: number): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    const one = Buffer.alloc(1);
    await handle.read(one, 0, 1, at);
    one[0] = one[0]! ^ 0xff;
    await handle.write(one, 0, 1, at);
  } finally {
    await handle.close();
  }
}

describe('FsBlobStore verifies every read', () => {
  it('get throws BlobIntegrityError naming the digest and what it found when a byte is flipped', async () => {
    const store = new FsBlobStore(join(root, 'flip'));
    const bytes = bytesOf(7);
    const ref = await store.put(bytes, 'application/octet-stream');
    expect(await store.has(ref.digest)).toBe(true);
    await flipByte(store.pathOf(ref.digest), 50_000);
    const tampered = await readFile(store.pathOf(ref.digest));

    const error = await store.get(ref.digest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobIntegrityError);
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as BlobIntegrityError).digest).toBe(ref.digest);
    expect((error as BlobIntegrityError).found).toEqual({ digest: sha256(tampered), size: bytes.length });
    expect((error as Error).message).toContain(ref.digest);
    expect((error as Error).message).toContain(sha256(tampered));
    expect(await store.has(ref.digest)).toBe(false);
  });

  it('a put of the right bytes repairs a flipped byte or a truncated file, atomically', async () => {
    const store = new FsBlobStore(join(root, 'repair'));
    const bytes = bytesOf(11);
    const ref = await store.put(bytes, 'application/octet-stream');
    const path = store.pathOf(ref.digest);

    await flipByte(path, 10);
    expect(await store.put(bytes, 'application/octet-stream')).toEqual(ref);
    expect(Buffer.from(await store.get(ref.digest))).toEqual(Buffer.from(bytes));

    await writeFile(path, bytes.subarray(0, 1000));
    expect(await store.has(ref.digest)).toBe(false);
    await store.put(bytes, 'application/octet-stream');
    expect(await store.has(ref.digest)).toBe(true);
    expect((await stat(path)).size).toBe(bytes.length);
    // No temp file left beside it.
    expect(await readdir(dirname(path))).toEqual([path.slice(dirname(path).length + 1)]);
  });

  it('concurrent puts of the same bytes, over a corrupt file, all succeed and leave the right bytes', async () => {
    const store = new FsBlobStore(join(root, 'concurrent'));
    const bytes = bytesOf(13, 2_000_000);
    const ref = await store.put(bytes, 'application/octet-stream');
    await flipByte(store.pathOf(ref.digest), 1_999_999);
    const reads: Promise<unknown>[] = [];
    const puts = Array.from({ length: 12 }, (_, i) => {
      // Reads in between see either the corrupt file (an IntegrityError) or the whole right file, never a torn one.
      if (i % 3 === 0) reads.push(store.get(ref.digest).then(sha256, (e: unknown) => e));
      return store.put(bytes, 'application/octet-stream');
    });
    expect(await Promise.all(puts)).toEqual(Array(12).fill(ref));
    for (const read of await Promise.all(reads)) {
      if (typeof read === 'string') expect(read).toBe(ref.digest);
      else expect(read).toBeInstanceOf(BlobIntegrityError);
    }
    expect(sha256(await store.get(ref.digest))).toBe(ref.digest);
    expect(await readdir(dirname(store.pathOf(ref.digest)))).toHaveLength(1);
  });

  it('a missing blob is still BlobNotFoundError, not an integrity failure', async () => {
    const store = new FsBlobStore(join(root, 'missing'));
    const digest = sha256('never stored');
    await expect(store.get(digest)).rejects.toThrow(BlobNotFoundError);
    expect(await store.has(digest)).toBe(false);
  });
});

describe('MemoryBlobStore (the unit tests’ fake) checks like the real stores', () => {
  it('get throws, has is false, put repairs', async () => {
    const store = new MemoryBlobStore();
    const bytes = bytesOf(17, 1000);
    const ref = await store.put(bytes, 'text/plain');
    store.blobs.set(ref.digest, new Uint8Array(bytes.length));
    await expect(store.get(ref.digest)).rejects.toThrow(BlobIntegrityError);
    expect(await store.has(ref.digest)).toBe(false);
    await store.put(bytes, 'text/plain');
    expect(Buffer.from(await store.get(ref.digest))).toEqual(Buffer.from(bytes));
  });
});

describe('S3BlobStore on fauxqs verifies every read', () => {
  const bucket = 'integrity';

  it('an object under a digest with the wrong bytes: get throws, has is false, put reports it', async () => {
    const store = new S3BlobStore(aws.s3, bucket);
    const right = bytesOf(19);
    const wrong = bytesOf(23);
    const digest = sha256(right);
    // Written raw with the SDK, as a bug or another tool could: the key names bytes it does not hold.
    await aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: store.keyOf(digest), Body: wrong }));

    const error = await store.get(digest).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobIntegrityError);
    expect((error as BlobIntegrityError).digest).toBe(digest);
    expect((error as BlobIntegrityError).found).toEqual({ digest: sha256(wrong), size: wrong.length });

    expect(await store.has(digest)).toBe(false);

    const reported = await store.put(right, 'application/octet-stream').catch((e: unknown) => e);
    expect(reported).toBeInstanceOf(BlobUnrepairableError);
    expect((reported as BlobUnrepairableError).digest).toBe(digest);
    expect((reported as BlobUnrepairableError).found.digest).toBe(sha256(wrong));
    expect((reported as Error).message).toMatch(/create-only/);
    // Still the wrong bytes (create-only: the put did not overwrite), still not counted as stored.
    await expect(store.get(digest)).rejects.toThrow(BlobIntegrityError);
    expect(await store.has(digest)).toBe(false);
  });

  it('fauxqs returns no ChecksumSHA256 on HEAD, so has() falls back to reading and hashing', async () => {
    const store = new S3BlobStore(aws.s3, bucket);
    const bytes = bytesOf(29);
    const ref = await store.put(bytes, 'application/octet-stream');
    const head = await aws.s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: store.keyOf(ref.digest), ChecksumMode: 'ENABLED' }),
    );
    // If a later fauxqs starts returning it, the HEAD path is taken instead; this records which one ran.
    expect(head.ChecksumSHA256).toBeUndefined();
    expect(await store.has(ref.digest)).toBe(true);
    expect(sha256(await store.get(ref.digest))).toBe(ref.digest);
  });

  it('a HEAD checksum that disagrees with the key marks the object corrupt without reading it', async () => {
    const store = new S3BlobStore(aws.s3, bucket);
    const right = bytesOf(31, 500);
    const wrong = bytesOf(37, 500);
    const digest = sha256(right);
    // fauxqs keeps no checksum, so this object's HEAD has none; the S3 behaviour is exercised by a client
    // whose HEAD answers carry the SHA-256 S3 recorded on upload (the wrong object's own).
    await aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: store.keyOf(digest), Body: wrong }));
    const withChecksum = new S3BlobStore(
      withHeadChecksum(aws.s3, Buffer.from(sha256(wrong).slice(7), 'hex').toString('base64')),
      bucket,
    );
    expect(await withChecksum.has(digest)).toBe(false);
    const reported = await withChecksum.put(right, 'text/plain').catch((e: unknown) => e);
    expect(reported).toBeInstanceOf(BlobUnrepairableError);
    expect((reported as BlobUnrepairableError).found).toEqual({ digest: sha256(wrong), size: wrong.length });
  });
});

/** The real client, with HeadObject answers given the ChecksumSHA256 that S3 would return for the object. */
function withHeadChecksum(client: typeof aws.s3, checksum: string): typeof aws.s3 {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return async (command: unknown) => {
        const output = await target.send(command as never);
        return command instanceof HeadObjectCommand
          ? { ...(output as object), ChecksumSHA256: checksum, ChecksumType: 'FULL_OBJECT' }
          : output;
      };
    },
  });
}
