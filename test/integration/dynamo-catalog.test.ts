import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCatalog } from '../../functions/adapters/dynamo/dynamo-catalog.js';
import { sha256 } from '../../functions/core/digest.js';
import { ConflictError } from '../../functions/core/errors.js';
import type { CaptureRecord, JournalEntry, VersionRecord, Watch } from '../../functions/core/model.js';
import { buildWatch } from '../../functions/core/watches.js';
import { startDynalite } from '../support/emulators.js';

let db: Awaited<ReturnType<typeof startDynalite>>;
let catalog: DynamoCatalog;

beforeAll(async () => {
  db = await startDynalite();
  catalog = new DynamoCatalog(db.client, 'redline-test');
  await catalog.ensureTable();
  await catalog.ensureTable(); // idempotent
});
afterAll(() => db.stop());

const watchAt = (url: string, due: string): Watch => ({
  ...buildWatch({ url, cadenceSeconds: 900, mode: 'auto', tags: ['a'] }, undefined, new Date(due)),
  nextDueAt: due,
});

const version = (watchId: string, number: number, captureId = `c${number}`): VersionRecord => ({
  watchId,
  number,
  captureId,
  url: 'https://news.example/v',
  capturedAt: `2026-11-0${number}T00:00:00.000Z`,
  title: `Title ${number}`,
  textHash: sha256(`text ${number}`),
  artifacts: { raw: { digest: sha256(`raw ${number}`), size: 10, contentType: 'text/html' } },
  edits: number === 1 ? [] : [{ kind: 'headline_changed', before: 'a', after: 'b', significance: 'major' }],
});

/** Words drawn at random from a 2,000-word vocabulary: compresses about as well as real prose. */
function prose(chars: number, seed: number): string {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state;
  };
  const vocabulary = Array.from({ length: 2000 }, () =>
    Array.from({ length: 3 + (next() % 8) }, () => String.fromCharCode(97 + (next() % 26))).join(''),
  );
  const words: string[] = [];
  for (let length = 0; length < chars; length += words.at(-1)!.length + 1)
    words.push(vocabulary[next() % vocabulary.length]!);
  return words.join(' ');
}

describe('DynamoCatalog on dynalite', () => {
  it('creates, reads, updates and removes watches', async () => {
    const watch = watchAt('https://news.example/one', '2026-11-26T10:00:00.000Z');
    expect(await catalog.upsertWatch(watch)).toEqual({ created: true });
    expect(await catalog.upsertWatch({ ...watch, tags: ['b'] })).toEqual({ created: false });
    expect(await catalog.getWatch(watch.id)).toEqual({ ...watch, tags: ['b'] });
    expect((await catalog.listWatches()).map((w) => w.url)).toContain('https://news.example/one');
    await catalog.updateWatch(watch.id, {
      lastCapturedAt: '2026-11-26T10:00:05.000Z',
      nextDueAt: '2026-11-26T10:15:00.000Z',
      lastStatus: 'complete',
      latestVersion: 3,
    });
    expect(await catalog.getWatch(watch.id)).toMatchObject({ latestVersion: 3, lastStatus: 'complete' });
    expect(await catalog.removeWatch(watch.id)).toBe(true);
    expect(await catalog.removeWatch(watch.id)).toBe(false);
    expect(await catalog.getWatch(watch.id)).toBeUndefined();
    // Marking a removed watch is a no-op, not an error, and does not resurrect it.
    await catalog.updateWatch(watch.id, {
      lastCapturedAt: '2026-11-26T10:00:05.000Z',
      nextDueAt: '2026-11-26T10:15:00.000Z',
      lastStatus: 'complete',
      latestVersion: 3,
    });
    expect(await catalog.getWatch(watch.id)).toBeUndefined();
  });

  it('reads only due watches from the due index, oldest first', async () => {
    const early = watchAt('https://due.example/early', '2026-11-26T09:00:00.000Z');
    const exact = watchAt('https://due.example/exact', '2026-11-26T10:00:00.000Z');
    const later = watchAt('https://due.example/later', '2026-11-26T11:00:00.000Z');
    for (const w of [later, exact, early]) await catalog.upsertWatch(w);
    const due = await catalog.dueWatches(new Date('2026-11-26T10:00:00.000Z'), 100);
    expect(due.map((w) => w.url)).toEqual([early.url, exact.url]);
    expect((await catalog.dueWatches(new Date('2026-11-26T12:00:00.000Z'), 1)).map((w) => w.url)).toEqual([
      early.url,
    ]);
  });

  it('writes a version number once; a second writer gets a ConflictError', async () => {
    const id = 'w_11111111111111111111';
    await catalog.putVersion(version(id, 1));
    await catalog.putVersion(version(id, 2));
    await expect(catalog.putVersion(version(id, 2, 'other'))).rejects.toThrow(ConflictError);
    expect((await catalog.listVersions(id)).map((v) => [v.number, v.captureId])).toEqual([
      [1, 'c1'],
      [2, 'c2'],
    ]);
    expect((await catalog.latestVersion(id))?.number).toBe(2);
    expect(await catalog.latestVersion('w_22222222222222222222')).toBeUndefined();
  });

  it('keeps one capture record per capture id', async () => {
    const id = 'w_33333333333333333333';
    const capture: CaptureRecord = {
      watchId: id,
      captureId: '20261126T100000000Z-abc',
      url: 'https://news.example/c',
      startedAt: '2026-11-26T10:00:00.000Z',
      capturedAt: '2026-11-26T10:00:01.000Z',
      status: 'failed',
      reason: 'could not resolve news.example',
      artifacts: {},
      steps: [{ name: 'fetch', status: 'failed', ms: 3, detail: 'could not resolve news.example' }],
    };
    await catalog.putCapture(capture);
    await catalog.putCapture(capture);
    expect(await catalog.listCaptures(id)).toEqual([capture]);
  });

  it('keeps journal entries apart from captures and versions, gzipped, oldest first, closed idempotently', async () => {
    const id = 'w_44444444444444444444';
    const entry = (captureId: string, openedAt: string): JournalEntry => ({
      watchId: id,
      captureId,
      openedAt,
      staleAfter: '2026-11-26T10:15:00.000Z',
      capture: {
        watchId: id,
        captureId,
        url: 'https://news.example/j',
        startedAt: openedAt,
        capturedAt: openedAt,
        status: 'complete',
        artifacts: { raw: { digest: sha256(captureId), size: 3, contentType: 'text/html' } },
        steps: [],
      },
      // A long article rewritten whole: 2 × 150 KB of text in the version, again in the notification.
      version: {
        ...version(id, 2, captureId),
        edits: [
          {
            kind: 'paragraph_changed',
            before: prose(150_000, 1),
            after: prose(150_000, 2),
            significance: 'major',
          },
        ],
      },
      watchUpdate: { nextDueAt: '2026-11-26T11:00:00.000Z', latestVersion: 2, volatile: [] },
    });
    const withEdit = (e: JournalEntry): JournalEntry => ({
      ...e,
      edit: {
        type: 'redline.edit',
        watchId: id,
        url: e.capture.url,
        title: 'Title 2',
        capturedAt: e.capture.capturedAt,
        oldVersion: 1,
        newVersion: 2,
        oldTextHash: sha256('text 1'),
        newTextHash: sha256('text 2'),
        edits: e.version!.edits,
        significance: 'major',
        silent: false,
        diff: 'the whole text',
        tags: [],
      },
    });
    const later = withEdit(entry('c-later', '2026-11-26T10:00:05.000Z'));
    const earlier = withEdit(entry('c-earlier', '2026-11-26T10:00:01.000Z'));
    await catalog.openEntry(later);
    await catalog.openEntry(earlier);
    expect(await catalog.openEntries(id)).toEqual([earlier, later]);
    expect(await catalog.listCaptures(id)).toEqual([]);
    expect(await catalog.listVersions(id)).toEqual([]);
    await catalog.closeEntry(id, 'c-earlier');
    await catalog.closeEntry(id, 'c-earlier');
    expect((await catalog.openEntries(id)).map((e) => e.captureId)).toEqual(['c-later']);
  });

  it('persists across restarts when given a path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'redline-dynalite-'));
    const path = join(dir, 'db');
    const first = await startDynalite(path);
    const a = new DynamoCatalog(first.client, 'redline');
    await a.ensureTable();
    const watch = watchAt('https://persist.example/', '2026-11-26T10:00:00.000Z');
    await a.upsertWatch(watch);
    await first.stop();
    // LevelDB releases its lock a moment after the server closes: reopen until it is free (at most 2 s).
    let second: Awaited<ReturnType<typeof startDynalite>> | undefined;
    let b: DynamoCatalog | undefined;
    for (let attempt = 0; !b && attempt < 40; attempt++) {
      second = await startDynalite(path);
      const catalog = new DynamoCatalog(second.client, 'redline');
      try {
        await catalog.ensureTable();
        b = catalog;
      } catch {
        await second.stop();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    expect(await b!.getWatch(watch.id)).toEqual(watch);
    await second!.stop();
    await rm(dir, { recursive: true, force: true });
  });
});
