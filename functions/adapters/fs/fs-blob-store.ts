import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BLOB_ALGORITHM } from '../../contracts/storage.js';
import { type Digest, digestHex, sha256 } from '../../core/domain/digest.js';
import { BlobIntegrityError, BlobNotFoundError } from '../../core/domain/errors.js';
import type { ArtifactRef } from '../../core/domain/model.js';
import type { BlobStore } from '../../core/domain/ports.js';

/** What is stored under a digest: nothing, the right bytes, or other bytes (with their size and digest). */
type Held = { state: 'missing' } | { state: 'ok' } | { state: 'corrupt'; size: number; digest?: Digest };

/**
 * Blobs as files named by their SHA-256 under `root/sha256/ab/abcdef…`, written atomically (temp +
 * rename). Nothing read is trusted: `get` and `has` hash the file, and `put` replaces a file whose bytes
 * are wrong (a flipped bit, a truncated copy) with the right ones, atomically. Safe with several
 * processes writing the same blob: each writes its own temp file and renames it over the name; rename(2)
 * is atomic, so a reader sees a whole blob or none.
 */
export class FsBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  pathOf(digest: Digest): string {
    const hex = digestHex(digest);
    return join(this.root, BLOB_ALGORITHM, hex.slice(0, 2), hex);
  }

  async put(bytes: Uint8Array, contentType: string): Promise<ArtifactRef> {
    const digest = sha256(bytes);
    const path = this.pathOf(digest);
    if ((await this.held(digest, bytes.byteLength)).state !== 'ok') {
      // A missing or wrong file: write the right bytes beside it and rename over it. Concurrent puts of
      // the same bytes each write their own temp file; every rename installs identical, complete bytes.
      await mkdir(dirname(path), { recursive: true });
      const temp = `${path}.${randomUUID()}.tmp`;
      try {
        await writeFile(temp, bytes, { flag: 'wx' });
        await rename(temp, path);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    }
    return { digest, size: bytes.byteLength, contentType };
  }

  async get(digest: Digest): Promise<Uint8Array> {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(this.pathOf(digest)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(digest);
      throw error;
    }
    const found = sha256(bytes);
    if (found !== digest) throw new BlobIntegrityError(digest, { digest: found, size: bytes.byteLength });
    return bytes;
  }

  /** Whether the right bytes are stored: a file under the digest that hashes to it. */
  async has(digest: Digest): Promise<boolean> {
    return (await this.held(digest)).state === 'ok';
  }

  /** The file under `digest`, checked: its size first when the expected one is known, then its hash. */
  private async held(digest: Digest, expectedSize?: number): Promise<Held> {
    const path = this.pathOf(digest);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
      throw error;
    }
    if (expectedSize !== undefined && size !== expectedSize) return { state: 'corrupt', size };
    try {
      const found = await hashFile(path);
      return found === digest ? { state: 'ok' } : { state: 'corrupt', size, digest: found };
    } catch (error) {
      // Replaced or removed between stat and read: as good as missing; a put writes it again.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'missing' };
      throw error;
    }
  }
}

/** SHA-256 of a file, streamed (blobs can be larger than one read should hold). */
async function hashFile(path: string): Promise<Digest> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}
