import type { ArtifactRef, Artifacts, CaptureRecord, VersionRecord, Watch } from '../core/domain/model.js';
import type { ArchivedWatch } from '../core/history/archive.js';
import { mementoTimestamp } from '../core/history/archive.js';

/** Where the API's links point: the app origin (API, Memento) and the archive origin (archived bytes). */
export interface ApiUrls {
  /** e.g. `http://127.0.0.1:8080` (no trailing slash). */
  app: string;
  /** A different origin from `app`, serving only archived bytes with `Content-Security-Policy: sandbox`. */
  archive: string;
  /**
   * On AWS: turns a path and query on the archive origin into a capability link (functions/api/archive-token.ts).
   * Absent locally, where the archive origin is on 127.0.0.1 and links stay unsigned.
   */
  signArchive?: (pathAndQuery: string) => string;
}

/** A link to `pathAndQuery` on the archive origin, signed when the URLs carry a signer. */
export const archiveHref = (urls: ApiUrls, pathAndQuery: string) =>
  `${urls.archive}${urls.signArchive ? urls.signArchive(pathAndQuery) : pathAndQuery}`;

/** A watch's state as the list shows it. `status`: `anomaly` while its latest capture is one, else the latest capture's status. */
export type WatchStatus = 'pending' | 'complete' | 'partial' | 'failed' | 'anomaly';
export const WATCH_STATUSES: readonly WatchStatus[] = ['pending', 'complete', 'partial', 'failed', 'anomaly'];

export function watchStatus(watch: Watch): WatchStatus {
  if (watch.lastAnomaly) return 'anomaly';
  return watch.lastStatus ?? 'pending';
}

export const blobHref = (urls: ApiUrls, watchId: string, ref: ArtifactRef) =>
  archiveHref(urls, `/blobs/${ref.digest}?watch=${watchId}`);

export const mementoHref = (urls: ApiUrls, capturedAt: string, uri: string) =>
  archiveHref(urls, `/web/${mementoTimestamp(capturedAt)}/${uri}`);

export const watchHref = (urls: ApiUrls, id: string) => `${urls.app}/api/watches/${id}`;

function artifactsView(urls: ApiUrls, watchId: string, artifacts: Artifacts) {
  return Object.fromEntries(
    Object.entries(artifacts).map(([kind, ref]) => [kind, { ...ref, href: blobHref(urls, watchId, ref!) }]),
  );
}

export function watchView(
  urls: ApiUrls,
  archived: ArchivedWatch,
  latest: VersionRecord | undefined,
  versionCount: number,
) {
  const { watch } = archived;
  const common = {
    id: archived.id,
    url: archived.url,
    versionCount,
    ...(latest && latest.number > 1
      ? { lastEdit: { version: latest.number, capturedAt: latest.capturedAt } }
      : {}),
    links: {
      self: watchHref(urls, archived.id),
      versions: `${watchHref(urls, archived.id)}/versions`,
      captures: `${watchHref(urls, archived.id)}/captures`,
      timemap: `${urls.app}/timemap/link/${archived.url}`,
    },
  };
  if (!watch) return { ...common, removed: true as const };
  return {
    ...common,
    removed: false as const,
    type: watch.type,
    tags: watch.tags,
    cadenceSeconds: watch.cadenceSeconds,
    mode: watch.mode,
    status: watchStatus(watch),
    createdAt: watch.createdAt,
    nextDueAt: watch.nextDueAt,
    ...(watch.lastCapturedAt ? { lastCapturedAt: watch.lastCapturedAt } : {}),
    ...(watch.lastStatus ? { lastStatus: watch.lastStatus } : {}),
    ...(watch.lastAnomaly ? { lastAnomaly: watch.lastAnomaly } : {}),
    ...(watch.ignoreRobots ? { ignoreRobots: watch.ignoreRobots } : {}),
    ...(watch.linkPattern ? { linkPattern: watch.linkPattern } : {}),
    ...(watch.linkScope ? { linkScope: watch.linkScope } : {}),
    ...(watch.discoveredFrom ? { discoveredFrom: watch.discoveredFrom } : {}),
  };
}

export function versionView(urls: ApiUrls, version: VersionRecord) {
  return {
    ...version,
    artifacts: artifactsView(urls, version.watchId, version.artifacts),
    ...(version.diff
      ? { diff: { ...version.diff, href: blobHref(urls, version.watchId, version.diff) } }
      : {}),
    links: {
      self: `${watchHref(urls, version.watchId)}/versions/${version.number}`,
      memento: mementoHref(urls, version.capturedAt, version.url),
      ...(version.number > 1
        ? {
            diff: `${watchHref(urls, version.watchId)}/diff?from=${version.number - 1}&to=${version.number}`,
          }
        : {}),
    },
  };
}

export function captureView(urls: ApiUrls, capture: CaptureRecord) {
  return {
    ...capture,
    artifacts: artifactsView(urls, capture.watchId, capture.artifacts),
    links: {
      self: `${watchHref(urls, capture.watchId)}/captures/${encodeURIComponent(capture.captureId)}`,
      ...(capture.version
        ? { version: `${watchHref(urls, capture.watchId)}/versions/${capture.version}` }
        : {}),
    },
  };
}
