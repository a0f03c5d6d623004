import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { articlePage, EDITED, ORIGINAL } from '../../demo/news-site.js';
import { type ApiServers, startApiServers } from '../../functions/api/node-server.js';
import type { CaptureDeps } from '../../functions/core/capture/capture.js';
import { captureUrl } from '../../functions/core/capture/capture.js';
import { addWatch, removeWatch } from '../../functions/core/watches/watches.js';
import { localConfig } from '../../functions/local/config.js';
import { type LocalRuntime, openLocal } from '../../functions/local/runtime.js';
import { EchoRenderer, StaticFetcher } from './memory.js';

/** A watched URL with a query string: Memento must keep it in the URI-R. */
export const URL_A = 'https://news.example/story?id=1';
/** A page that turned into a 404 after its first version: an open anomaly. */
export const URL_B = 'https://news.example/b';
/** Watched, captured twice, then removed: its history stays readable. */
export const URL_C = 'https://news.example/c';

export const THIRD = { ...EDITED, headline: 'Council approves flood barrier; mayor to sign next month' };

export const T0 = new Date('2026-11-20T10:00:00.000Z');
export const hours = (n: number) => new Date(T0.getTime() + n * 3_600_000);

export interface ApiArchive {
  rt: LocalRuntime;
  servers: ApiServers;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * A data dir (the real local store process and blob folder) holding versions made by the capture pipeline
 * with a canned fetcher and a clock the setup moves, served by the real API servers on ports 0.
 *
 * URL_A: v1 at T0, unchanged at +1h, v2 at +2h, a 404 anomaly at +3h, v3 at +4h, a failed fetch at +5h.
 * URL_B: v1 at T0, a 404 at +1h (open anomaly). URL_C: v1 at T0, v2 at +2h, then removed.
 */
export async function startApiArchive(): Promise<ApiArchive> {
  const dataDir = await mkdtemp(join(tmpdir(), 'redline-api-'));
  const rt = await openLocal(localConfig({}, { dataDir }));
  let now = T0;
  const fetcher = new StaticFetcher();
  const { politeness: _politeness, ...rest } = rt;
  const deps: CaptureDeps = { ...rest, fetcher, renderer: new EchoRenderer(), clock: { now: () => now } };
  const at = (n: number) => {
    now = hours(n);
  };
  await addWatch(deps, { url: URL_A, cadenceSeconds: 900, mode: 'auto', tags: ['city', 'council'] });
  await addWatch(deps, { url: URL_B, cadenceSeconds: 3600, mode: 'http', tags: ['county'] });
  await addWatch(deps, { url: URL_C, cadenceSeconds: 3600, mode: 'auto', tags: [] });
  const page = (url: string, body: string, status?: number) =>
    fetcher.pages.set(url, { body, ...(status ? { status } : {}) });

  at(0);
  page(URL_A, articlePage(ORIGINAL, 1));
  page(URL_B, articlePage(ORIGINAL, 1));
  page(URL_C, articlePage(ORIGINAL, 1));
  for (const url of [URL_A, URL_B, URL_C]) await captureUrl(deps, url);
  at(1);
  page(URL_A, articlePage(ORIGINAL, 2));
  page(URL_B, '<html><body><h1>Not Found</h1></body></html>', 404);
  await captureUrl(deps, URL_A);
  await captureUrl(deps, URL_B);
  at(2);
  page(URL_A, articlePage(EDITED, 3));
  page(URL_C, articlePage(EDITED, 3));
  await captureUrl(deps, URL_A);
  await captureUrl(deps, URL_C);
  at(3);
  page(URL_A, '<html><body><h1>Not Found</h1></body></html>', 404);
  await captureUrl(deps, URL_A);
  at(4);
  page(URL_A, articlePage(THIRD, 4));
  await captureUrl(deps, URL_A);
  at(5);
  fetcher.pages.delete(URL_A);
  await captureUrl(deps, URL_A);
  await removeWatch(deps, URL_C);

  const servers = await startApiServers(rt, { host: '127.0.0.1', port: 0, archivePort: 0 });
  return {
    rt,
    servers,
    dataDir,
    async close() {
      await servers.close();
      await rt.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
