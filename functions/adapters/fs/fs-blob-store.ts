import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Digest, digestHex, sha256 } from '../../core/domain/digest.js';
import { BlobNotFoundError } from '../../core/domain/errors.js';
import type { ArtifactRef } from '../../core/domain/model.js';
import type { BlobStore } from '../../core/domain/ports.js';

/**
 * Blobs as files named by their SHA-256 under `root/sha256/ab/abcdef…`; written once, atomically (temp + rename).
 * Safe with several processes writing the same blob: each writes its own temp file and renames it over the
 * name; rename(2) is atomic, and both files hold the same bytes, so a reader sees a whole blob or none.
 */
export class FsBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  pathOf(digest: Digest): string {
    const hex = digestHex(digest);
    return join(this.root, 'sha256', hex.slice(0, 2), hex);
  }

  async put(bytes: Uint8Array, contentType: string): Promise<ArtifactRef> {
    const digest = sha256(bytes);
    const path = this.pathOf(digest);
    if (!(await this.has(digest))) {
      await mkdir(dirname(path), { recursive: true });
      const temp = `${path}.${randomUUID()}.tmp`;
      await writeFile(temp, bytes, { flag: 'wx' });
      await rename(temp, path);
    }
    return { digest, size: bytes.byteLength, contentType };
  }

  async get(digest: Digest): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(this.pathOf(digest)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new BlobNotFoundError(digest);
      throw error;
    }
  }

  async has(digest: Digest): Promise<boolean> {
    try {
      await stat(this.pathOf(digest));
      return true;
    } catch {
      return false;
    }
  }
}
