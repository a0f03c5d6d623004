import { pathToFileURL } from 'node:url';
import type { ArtifactRef } from '../../core/domain/model.js';
import type { BlobLinks } from '../../core/domain/ports.js';
import type { FsBlobStore } from './fs-blob-store.js';

/** Local mode: a file:// URL to the blob in the data dir. */
export class FileLinks implements BlobLinks {
  constructor(private readonly blobs: Pick<FsBlobStore, 'pathOf'>) {}

  async linkTo(ref: ArtifactRef): Promise<string> {
    return pathToFileURL(this.blobs.pathOf(ref.digest)).href;
  }
}
