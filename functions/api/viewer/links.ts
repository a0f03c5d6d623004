import type { ArtifactRef } from '../../core/domain/model.js';
import type { BlobLinks } from '../../core/domain/ports.js';

/** The viewer's hash route of the diff between two versions of a watch (client.ts `diffLink`). */
export const viewerDiffRoute = (watchId: string, from: number, to: number) =>
  `#/w/${encodeURIComponent(watchId)}/diff/${from}/${to}`;

/**
 * Locally and on AWS: notification links open the viewer's diff page (after login), which lives as long as the
 * archive; no link carries a credential. The worker only links diffs; anything else links the viewer.
 */
export class ViewerHashLinks implements BlobLinks {
  private readonly base: string;
  constructor(viewerUrl: string) {
    this.base = viewerUrl.replace(/\/+$/, '');
  }

  async linkTo(_ref: ArtifactRef, diff?: { watchId: string; from: number; to: number }): Promise<string> {
    if (diff) return `${this.base}/${viewerDiffRoute(diff.watchId, diff.from, diff.to)}`;
    return `${this.base}/`;
  }
}
