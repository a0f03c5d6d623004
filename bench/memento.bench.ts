/**
 * Memento latency on the local server for a watch with 1,000 versions (records written directly to the
 * data dir's store), over HTTP on 127.0.0.1: TimeMap and TimeGate p50/p99 for a watched URL and for a
 * removed watch's kept history. A URI-R's version list is cached by its latest version number (one
 * one-item read per request says whether it is current); the first request (cold) reads the whole list.
 *
 *   npm run bench:memento              # 1,000 versions, 200 requests each
 *   npm run bench:memento -- 1000 500  # versions, requests
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServers } from '../functions/api/node-server.js';
import { sha256 } from '../functions/core/domain/digest.js';
import type { VersionRecord } from '../functions/core/domain/model.js';
import { watchIdFor } from '../functions/core/domain/url.js';
import { buildWatch } from '../functions/core/watches/watches.js';
import { localConfig } from '../functions/local/config.js';
import { openLocal } from '../functions/local/runtime.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const VERSIONS = Number(process.argv[2] ?? 1000);
const REQUESTS = Number(process.argv[3] ?? 200);
const T0 = Date.parse('2025-01-01T00:00:00Z');
const HOUR = 3_600_000;

const dataDir = await mkdtemp(join(tmpdir(), 'redline-bench-memento-'));
const rt = await openLocal(localConfig({}, { dataDir }));
try {
  const html = await rt.blobs.put(Buffer.from('<!doctype html><p>archived</p>'), 'text/html; charset=utf-8');
  /** A version record of a realistic size: a few edits with their text. */
  const record = (watchId: string, url: string, number: number): VersionRecord => ({
    watchId,
    number,
    captureId: `c${number}`,
    url,
    capturedAt: new Date(T0 + number * HOUR).toISOString(),
    title: `Story, version ${number}`,
    textHash: sha256(`text ${number}`),
    artifacts: { raw: html, rendered: html },
    edits:
      number === 1
        ? []
        : Array.from({ length: 3 }, (_, i) => ({
            kind: 'paragraph_changed' as const,
            field: 'body' as const,
            index: i,
            before: `The council voted ${number} to ${i} on Tuesday night to approve the barrier.`,
            after: `The council voted ${number + 1} to ${i} on Tuesday night to approve the barrier.`,
            significance: 'major' as const,
          })),
  });
  const seed = async (url: string, keepWatch: boolean) => {
    const id = watchIdFor(url);
    const load = performance.now();
    for (let start = 1; start <= VERSIONS; start += 25)
      await Promise.all(
        Array.from({ length: Math.min(25, VERSIONS - start + 1) }, (_, i) =>
          rt.versions.putVersion(record(id, url, start + i)),
        ),
      );
    if (keepWatch) {
      const watch = buildWatch(
        { url, cadenceSeconds: 3600, mode: 'auto', tags: [] },
        undefined,
        new Date(T0),
      );
      await rt.watches.upsertWatch({ ...watch, latestVersion: VERSIONS });
    }
    return performance.now() - load;
  };
  const watched = 'https://news.example/story?id=1000';
  const removed = 'https://news.example/removed-story';
  const loadMs = (await seed(watched, true)) + (await seed(removed, false));

  const servers = await startApiServers(rt, { host: '127.0.0.1', port: 0, archivePort: 0 });
  const app = servers.urls.app;

  const measure = async (label: string, request: (i: number) => Promise<Response>, expected: number) => {
    const times: number[] = [];
    // The first request reads the whole version list from the store and fills the cache.
    const coldStart = performance.now();
    await (await request(-1)).arrayBuffer();
    const coldMs = performance.now() - coldStart;
    for (let i = 0; i < REQUESTS; i++) {
      const start = performance.now();
      const response = await request(i);
      await response.arrayBuffer();
      times.push(performance.now() - start);
      if (response.status !== expected) throw new Error(`${label}: HTTP ${response.status}`);
    }
    times.sort((a, b) => a - b);
    const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!;
    console.log(
      `${label.padEnd(34)} p50 ${pct(50).toFixed(1).padStart(7)} ms   p99 ${pct(99).toFixed(1).padStart(7)} ms   max ${times.at(-1)!.toFixed(1).padStart(7)} ms   first (cold) ${coldMs.toFixed(0)} ms`,
    );
  };
  const acceptDatetime = (i: number) => new Date(T0 + ((i * 7919) % (VERSIONS + 20)) * HOUR).toUTCString();
  const timemap = (url: string) => () => fetch(`${app}/timemap/link/${url}`);
  const timegate = (url: string) => (i: number) =>
    fetch(`${app}/timegate/${url}`, {
      redirect: 'manual',
      headers: { 'accept-datetime': acceptDatetime(i) },
    });

  console.log(
    `Memento bench: ${VERSIONS} versions per URL-R (loaded in ${(loadMs / 1000).toFixed(1)} s), ${REQUESTS} requests each, on ${process.platform} ${process.arch}, Node ${process.versions.node}`,
  );
  await measure('TimeMap, watched URL', timemap(watched), 200);
  await measure('TimeGate, watched URL', timegate(watched), 302);
  await measure('TimeMap, removed watch', timemap(removed), 200);
  await measure('TimeGate, removed watch', timegate(removed), 302);
  await servers.close();
} finally {
  await rt.close();
  await rm(dataDir, { recursive: true, force: true });
}
