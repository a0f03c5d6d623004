import type { Context, Hono } from 'hono';
import type { ArtifactRef, VersionRecord } from '../core/domain/model.js';
import type { BlobStore, CaptureLog, VersionLog, WatchStore } from '../core/domain/ports.js';
import { normalizeUrl, watchIdFor } from '../core/domain/url.js';
import {
  mementoTimestamp,
  parseHttpDate,
  parseMementoTimestamp,
  versionAtOrFirst,
} from '../core/history/archive.js';
import { readVerified } from '../core/history/history.js';
import { ApiError, ARCHIVED_HEADERS, rawRest, uriFromPath } from './http.js';
import { type ApiUrls, archiveHref } from './views.js';

export interface MementoDeps {
  watches: WatchStore;
  versions: VersionLog;
  captures: CaptureLog;
  blobs: BlobStore;
}

/** What Memento needs of a version: its number, time (as an HTTP-date and a URI-M timestamp) and artifacts. */
interface Memento {
  number: number;
  capturedAt: string;
  time: number;
  datetime: string;
  stamp: string;
  artifacts: VersionRecord['artifacts'];
}

interface Indexed {
  url: string;
  latestVersion: number;
  mementos: Memento[];
  /** The TimeMap body, made once per list (it depends on the URI-R as asked only through `self`). */
  timemap?: { self: string; body: string };
}

const INDEX_CACHE_MAX = 256;

/**
 * A URI-R's versions, oldest first, cached by the latest version number: one read of the latest version
 * says whether the cached list is current (versions are write-once and numbered in order), for a watched
 * URL and a removed watch's kept history alike.
 */
export class MementoIndex {
  private readonly cache = new Map<string, Indexed>();
  constructor(private readonly deps: MementoDeps) {}

  async lookup(uriR: string): Promise<Indexed> {
    const id = watchIdFor(normalizeUrl(uriR));
    const latest = await this.deps.versions.latestVersion(id);
    if (!latest) throw new ApiError(404, 'not_archived', `nothing archived for ${normalizeUrl(uriR)}`);
    const cached = this.cache.get(id);
    if (cached && cached.latestVersion === latest.number) return cached;
    const versions = await this.deps.versions.listVersions(id);
    const indexed: Indexed = {
      url: latest.url,
      latestVersion: versions.at(-1)?.number ?? latest.number,
      mementos: versions.map((v) => ({
        number: v.number,
        capturedAt: v.capturedAt,
        time: Date.parse(v.capturedAt),
        datetime: httpDate(v.capturedAt),
        stamp: mementoTimestamp(v.capturedAt),
        artifacts: v.artifacts,
      })),
    };
    if (indexed.mementos.length === 0)
      throw new ApiError(404, 'not_archived', `nothing archived for ${latest.url}`);
    this.cache.delete(id);
    if (this.cache.size >= INDEX_CACHE_MAX) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(id, indexed);
    return indexed;
  }
}

const httpDate = (iso: string) => new Date(iso).toUTCString();
const timemapUrl = (urls: ApiUrls, uri: string) => `${urls.app}/timemap/link/${uri}`;
const timegateUrl = (urls: ApiUrls, uri: string) => `${urls.app}/timegate/${uri}`;
export const mementoUrl = (urls: ApiUrls, capturedAt: string, uri: string) =>
  archiveHref(urls, `/web/${mementoTimestamp(capturedAt)}/${uri}`);

/** `<…>` target of a Link header: the URI with the characters RFC 8288 cannot carry there escaped. */
const target = (uri: string) => `<${uri.replace(/[<>\s"]/g, (c) => encodeURIComponent(c))}>`;

/** The TimeMap in application/link-format (RFC 7089 §5.1.1), one memento per version. */
export function timemapBody(urls: ApiUrls, uriR: string, indexed: Indexed): string {
  const self = timemapUrl(urls, uriR);
  if (indexed.timemap?.self === self) return indexed.timemap.body;
  const { mementos, url } = indexed;
  const first = mementos[0]!;
  const last = mementos.at(-1)!;
  const lines = [
    `${target(url)}; rel="original"`,
    `${target(self)}; rel="self"; type="application/link-format"; from="${first.datetime}"; until="${last.datetime}"`,
    `${target(timegateUrl(urls, url))}; rel="timegate"`,
  ];
  for (const m of mementos) {
    const rel =
      mementos.length === 1
        ? 'first last memento'
        : m === first
          ? 'first memento'
          : m === last
            ? 'last memento'
            : 'memento';
    lines.push(
      `${target(mementoUrl(urls, m.capturedAt, url))}; rel="${rel}"; datetime="${httpDate(m.capturedAt)}"`,
    );
  }
  return `${lines.join(',\n')}\n`;
}

/** The archived document a memento serves: the rendered HTML, else the raw response, else the PDF. */
export function mementoArtifact(
  memento: Pick<Memento, 'artifacts'>,
  flavour: 'rendered' | 'raw',
): ArtifactRef {
  const a = memento.artifacts;
  const ref = flavour === 'raw' ? (a.raw ?? a.rendered ?? a.pdf) : (a.rendered ?? a.raw ?? a.pdf);
  if (!ref) throw new ApiError(404, 'no_memento_bytes', 'this version kept no document to replay');
  return ref;
}

/** The Memento routes on the app origin: TimeMap, TimeGate, and URI-Ms redirected to the archive origin. */
export function mountMemento(app: Hono, index: MementoIndex, urls: () => ApiUrls): void {
  app.get('/timemap/link/*', async (c) => {
    const uriR = uriFromPath(rawRest(c, '/timemap/link/'));
    const indexed = await index.lookup(uriR);
    return c.body(timemapBody(urls(), uriR, indexed), 200, {
      'Content-Type': 'application/link-format',
      'X-Memento-Count': String(indexed.mementos.length),
    });
  });
  app.get('/timegate/*', async (c) => {
    const uriR = uriFromPath(rawRest(c, '/timegate/'));
    const header = c.req.header('accept-datetime');
    const at = header === undefined ? undefined : parseHttpDate(header);
    if (header !== undefined && !at)
      throw new ApiError(400, 'invalid_accept_datetime', `Accept-Datetime is not an HTTP-date: ${header}`);
    const indexed = await index.lookup(uriR);
    const chosen = at ? versionAtOrFirst(indexed.mementos, at) : indexed.mementos.at(-1)!;
    const u = urls();
    return c.body(null, 302, {
      Location: mementoUrl(u, chosen.capturedAt, indexed.url),
      Vary: 'accept-datetime',
      Link: `${target(indexed.url)}; rel="original", ${target(timemapUrl(u, indexed.url))}; rel="timemap"; type="application/link-format"`,
    });
  });
  // URI-Ms live on the archive origin: archived HTML is never served from the app's origin.
  app.get('/web/*', (c) => c.redirect(archiveHref(urls(), `/web/${rawRest(c, '/web/')}`), 302));
}

const MEMENTO_PATH = /^(\d{14})(id_)?\/(.+)$/s;

/** A memento (URI-M) on the archive origin: `/web/{YYYYMMDDhhmmss}[id_]/{URI-R}`; `id_` asks for the raw response. */
export function mountMementoBytes(app: Hono, deps: MementoDeps, index: MementoIndex, urls: () => ApiUrls) {
  app.get('/web/*', async (c: Context) => {
    const match = MEMENTO_PATH.exec(rawRest(c, '/web/'));
    if (!match) throw new ApiError(400, 'invalid_memento', 'expected /web/{YYYYMMDDhhmmss}/{URI-R}');
    const [, stamp, raw, rest] = match;
    const at = parseMementoTimestamp(stamp!);
    if (!at) throw new ApiError(400, 'invalid_memento', `not a timestamp: ${stamp}`);
    const uriR = uriFromPath(rest!);
    const indexed = await index.lookup(uriR);
    const chosen = versionAtOrFirst(indexed.mementos, at);
    const u = urls();
    const canonical = mementoTimestamp(chosen.capturedAt);
    // A time between mementos redirects to the memento in force then, so a URI-M names one version.
    if (canonical !== stamp)
      return c.redirect(archiveHref(u, `/web/${canonical}${raw ?? ''}/${indexed.url}`), 302);
    const ref = mementoArtifact(chosen, raw ? 'raw' : 'rendered');
    const bytes = await readVerified(deps.blobs, ref.digest);
    return c.body(Buffer.from(bytes), 200, {
      ...ARCHIVED_HEADERS,
      'Content-Type': ref.contentType || 'application/octet-stream',
      'Memento-Datetime': httpDate(chosen.capturedAt),
      Link: `${target(indexed.url)}; rel="original", ${target(timegateUrl(u, indexed.url))}; rel="timegate", ${target(timemapUrl(u, indexed.url))}; rel="timemap"; type="application/link-format"`,
      ETag: `"${ref.digest}"`,
      'Cache-Control': 'public, max-age=31536000, immutable',
    });
  });
}
