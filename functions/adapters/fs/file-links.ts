import type { ArtifactRef } from '../../core/domain/model.js';
import type { BlobLinks } from '../../core/domain/ports.js';

/**
 * Local mode: links into the local server (`redline serve`) at `viewerUrl`. A diff is linked by its watch
 * and version numbers (the diff page, HTML), so the link lives as long as the archive; another blob by its
 * digest.
 */
export class ViewerLinks implements BlobLinks {
  private readonly base: string;
  constructor(viewerUrl: string) {
    this.base = viewerUrl.replace(/\/+$/, '');
  }

  async linkTo(ref: ArtifactRef, diff?: { watchId: string; from: number; to: number }): Promise<string> {
    if (diff)
      return `${this.base}/api/watches/${diff.watchId}/diff?from=${diff.from}&to=${diff.to}&format=html`;
    return `${this.base}/api/blobs/${ref.digest}`;
  }
}
