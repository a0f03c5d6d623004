import { Hono } from 'hono';
import { z } from 'zod';
import { renderDiffPage } from '../core/detect/diff-html.js';
import type { Clock } from '../core/domain/clock.js';
import { CaptureModeSchema, type VersionRecord, type Watch } from '../core/domain/model.js';
import {
  type BlobStore,
  type CaptureLog,
  type Logger,
  silentLogger,
  type VersionLog,
  type WatchStore,
} from '../core/domain/ports.js';
import { parseCadence } from '../core/domain/url.js';
import { type ArchivedWatch, findHistory } from '../core/history/archive.js';
import { diffVersions, selectVersion } from '../core/history/history.js';
import { CadenceSchema, LinkPatternSchema, parseWatchSpec } from '../core/watches/watch-spec.js';
import { addOrUpdateWatch, updateWatch, type WatchChanges } from '../core/watches/watches.js';
import { serveBlob } from './blobs.js';
import type { Downloads } from './downloads.js';
import { type ExportsDeps, mountExports } from './exports.js';
import { ApiError, errorResponse, parseInput } from './http.js';
import { MementoIndex, mountMemento, mountMementoBytes } from './memento.js';
import { type ApiUrls, captureView, versionView, WATCH_STATUSES, watchStatus, watchView } from './views.js';

/** The core ports the API reads and writes through: the same on the local server and on AWS. */
export interface ApiDeps {
  watches: WatchStore;
  captures: CaptureLog;
  versions: VersionLog;
  blobs: BlobStore;
  clock: Clock;
  logger?: Logger;
  /** How built files (WACZ, evidence bundles) reach the analyst; inline in the response unless given. */
  downloads?: Downloads;
}

/** The base URLs, or a function giving them (a server listening on port 0 knows its URL only once it listens). */
export type UrlsSource = ApiUrls | (() => ApiUrls);
const urlsOf = (source: UrlsSource) => (typeof source === 'function' ? source : () => source);

/** How many watches the list reads the latest version of at once. */
const LIST_CONCURRENCY = 8;
/** The most watches one list answers with. */
export const MAX_LIST = 5000;

const ListQuerySchema = z
  .object({
    tag: z.string().min(1).optional(),
    status: z.enum(WATCH_STATUSES as [string, ...string[]]).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_LIST).default(1000),
  })
  .strict();

/** PATCH body: only the fields given change; `null` clears an optional setting. */
const WatchPatchSchema = z
  .object({
    every: CadenceSchema.optional(),
    mode: CaptureModeSchema.optional(),
    tags: z.array(z.string().min(1).max(100)).max(100).optional(),
    ignoreRobots: z.string().trim().min(1).nullable().optional(),
    feed: z.boolean().optional(),
    linkPattern: LinkPatternSchema.nullable().optional(),
    linkScope: z.enum(['site', 'any']).nullable().optional(),
  })
  .strict();
type WatchPatch = z.infer<typeof WatchPatchSchema>;

const WatchKeySchema = z.string().min(1).max(4096);
const VersionNumberSchema = z.coerce.number().int().min(1);
const DiffQuerySchema = z
  .object({
    from: z.coerce.number().int().min(1).optional(),
    to: z.coerce.number().int().min(1).optional(),
    format: z.enum(['json', 'html']).default('json'),
  })
  .strict();

function changesOf(patch: WatchPatch): WatchChanges {
  return {
    ...(patch.every !== undefined ? { cadenceSeconds: parseCadence(patch.every) } : {}),
    ...(patch.mode !== undefined ? { mode: patch.mode } : {}),
    ...(patch.tags !== undefined ? { tags: patch.tags } : {}),
    ...(patch.ignoreRobots !== undefined ? { ignoreRobots: patch.ignoreRobots } : {}),
    ...(patch.feed !== undefined ? { feed: patch.feed } : {}),
    ...(patch.linkPattern !== undefined ? { linkPattern: patch.linkPattern } : {}),
    ...(patch.linkScope !== undefined ? { linkScope: patch.linkScope } : {}),
  };
}

async function mapLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function readJson(c: { req: { json(): Promise<unknown> } }): Promise<unknown> {
  try {
    return await c.req.json();
  } catch (cause) {
    throw new ApiError(400, 'invalid_json', 'the body is not JSON', { cause });
  }
}

/**
 * The API and Memento on the app origin: JSON under /api/, TimeMap and TimeGate, and URI-Ms redirected to
 * the archive origin. No Node server, no AWS SDK: `@hono/node-server` runs it locally, `hono/aws-lambda` on AWS.
 * Watches are addressed by `{watch}`: the watch id (`w_` + 20 hex) or the watched URL percent-encoded as one
 * path segment; a removed watch's history answers to either.
 */
export function createApp(deps: ExportsDeps, urlsSource: UrlsSource): Hono {
  const urls = urlsOf(urlsSource);
  const logger = deps.logger ?? silentLogger;
  const index = new MementoIndex(deps);
  const app = new Hono();
  app.onError((error, c) => errorResponse(error, c, logger));
  app.notFound((c) =>
    c.json({ error: { status: 404, code: 'not_found', message: `no route for ${c.req.path}` } }, 404),
  );

  // A JSON body only with its content type: a cross-site form or `text/plain` fetch (no preflight) cannot change watches.
  app.use('/api/*', async (c, next) => {
    if (c.req.method === 'POST' || c.req.method === 'PATCH') {
      const type = c.req.header('content-type') ?? '';
      if (!/^application\/json\s*(;|$)/i.test(type))
        throw new ApiError(415, 'unsupported_media_type', 'send the body as Content-Type: application/json');
    }
    await next();
  });

  const history = (key: string) => findHistory(deps, parseInput(WatchKeySchema, key, 'watch'));
  const view = async (archived: ArchivedWatch) => {
    const latest = await deps.versions.latestVersion(archived.id);
    return watchView(urls(), archived, latest, latest?.number ?? 0);
  };
  const watched = async (key: string): Promise<Watch> => {
    const archived = await history(key);
    if (!archived.watch)
      throw new ApiError(404, 'watch_removed', `${archived.url} is no longer watched (its history is kept)`);
    return archived.watch;
  };

  app.get('/api/watches', async (c) => {
    const query = parseInput(ListQuerySchema, c.req.query(), 'query');
    const all = await deps.watches.listWatches();
    const matching = all
      .filter((w) => (query.tag ? w.tags.includes(query.tag) : true))
      .filter((w) => (query.status ? watchStatus(w) === query.status : true))
      .sort((a, b) => a.url.localeCompare(b.url));
    const page = matching.slice(0, query.limit);
    const watches = await mapLimited(page, LIST_CONCURRENCY, (watch) =>
      view({ id: watch.id, url: watch.url, watch }),
    );
    return c.json({ total: matching.length, watches });
  });

  app.post('/api/watches', async (c) => {
    const body = await readJson(c);
    const settings = parseWatchSpec(body);
    const given = parseInput(WatchPatchSchema, omitUrl(body), 'watch');
    const { watch, created } = await addOrUpdateWatch(deps, settings, changesOf(given));
    return c.json(await view({ id: watch.id, url: watch.url, watch }), created ? 201 : 200, {
      Location: `${urls().app}/api/watches/${watch.id}`,
    });
  });

  app.get('/api/watches/:watch', async (c) => c.json(await view(await history(c.req.param('watch')))));

  app.patch('/api/watches/:watch', async (c) => {
    const patch = parseInput(WatchPatchSchema, await readJson(c), 'watch');
    const watch = await watched(c.req.param('watch'));
    const updated = await updateWatch(deps, watch.id, changesOf(patch));
    return c.json(await view({ id: updated.id, url: updated.url, watch: updated }));
  });

  app.delete('/api/watches/:watch', async (c) => {
    const watch = await watched(c.req.param('watch'));
    await deps.watches.removeWatch(watch.id);
    return c.json(await view({ id: watch.id, url: watch.url }));
  });

  app.get('/api/watches/:watch/versions', async (c) => {
    const archived = await history(c.req.param('watch'));
    const versions = await deps.versions.listVersions(archived.id);
    return c.json({
      watch: archived.id,
      url: archived.url,
      versions: versions.map((v) => versionView(urls(), v)),
    });
  });

  app.get('/api/watches/:watch/versions/:number', async (c) => {
    const archived = await history(c.req.param('watch'));
    const number = parseInput(VersionNumberSchema, c.req.param('number'), 'version number');
    const version = selectVersion(
      await deps.versions.listVersions(archived.id),
      { version: number },
      archived.url,
    );
    return c.json(versionView(urls(), version));
  });

  app.get('/api/watches/:watch/captures', async (c) => {
    const archived = await history(c.req.param('watch'));
    const captures = await deps.captures.listCaptures(archived.id);
    return c.json({
      watch: archived.id,
      url: archived.url,
      captures: captures.map((r) => captureView(urls(), r)),
    });
  });

  app.get('/api/watches/:watch/captures/:capture', async (c) => {
    const archived = await history(c.req.param('watch'));
    const id = parseInput(z.string().min(1).max(200), c.req.param('capture'), 'capture id');
    const capture = (await deps.captures.listCaptures(archived.id)).find((r) => r.captureId === id);
    if (!capture) throw new ApiError(404, 'capture_not_found', `${archived.url} has no capture ${id}`);
    return c.json(captureView(urls(), capture));
  });

  app.get('/api/watches/:watch/diff', async (c) => {
    const archived = await history(c.req.param('watch'));
    const query = parseInput(DiffQuerySchema, c.req.query(), 'query');
    const diff = await diffVersions(deps, archived, {
      ...(query.from !== undefined ? { from: query.from } : {}),
      ...(query.to !== undefined ? { to: query.to } : {}),
    });
    if (query.format === 'html') {
      const html = renderDiffPage({
        url: archived.url,
        title: diff.to.title,
        from: pick(diff.from),
        to: pick(diff.to),
        edits: diff.edits,
        ...(diff.to.silent !== undefined ? { silent: diff.to.silent } : {}),
      });
      return c.html(html, 200, {
        'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
        'X-Content-Type-Options': 'nosniff',
      });
    }
    const base = `${urls().app}/api/watches/${archived.id}/diff?from=${diff.from.number}&to=${diff.to.number}`;
    return c.json({
      watch: archived.id,
      url: archived.url,
      from: versionView(urls(), diff.from),
      to: versionView(urls(), diff.to),
      edits: diff.edits,
      summary: diff.summary,
      links: { self: base, html: `${base}&format=html` },
    });
  });

  app.get('/api/blobs/:digest', (c) => serveBlob(c, deps));
  mountExports(app, deps);

  mountMemento(app, index, urls);
  return app;
}

const pick = (v: VersionRecord) => ({ number: v.number, capturedAt: v.capturedAt, textHash: v.textHash });

function omitUrl(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const { url: _url, ...rest } = body as Record<string, unknown>;
  return rest;
}

/**
 * The archive origin: archived bytes only (`/blobs/{digest}`, and mementos at `/web/{timestamp}/{URI-R}`),
 * every one with `Content-Security-Policy: sandbox`. Serve it from a different origin than the app.
 */
export function createArchiveApp(deps: ApiDeps, urlsSource: UrlsSource): Hono {
  const urls = urlsOf(urlsSource);
  const logger = deps.logger ?? silentLogger;
  const app = new Hono();
  app.onError((error, c) => errorResponse(error, c, logger));
  app.notFound((c) =>
    c.json({ error: { status: 404, code: 'not_found', message: `no route for ${c.req.path}` } }, 404),
  );
  app.get('/blobs/:digest', (c) => serveBlob(c, deps));
  mountMementoBytes(app, deps, new MementoIndex(deps), urls);
  return app;
}
