import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePage, EDITED, ORIGINAL } from '../../demo/news-site.js';
import { DynamoCatalog, itemBytes } from '../../functions/adapters/dynamo/dynamo-catalog.js';
import { DYNAMODB_ITEM_MAX_BYTES, jsonBytes } from '../../functions/contracts/aws-limits.js';
import { type CaptureDeps, captureWatch } from '../../functions/core/capture/capture.js';
import { pendingFor } from '../../functions/core/capture/deliveries.js';
import { fitRecords, JOURNAL_RECORDS_MAX_BYTES } from '../../functions/core/capture/fit.js';
import { sha256 } from '../../functions/core/domain/digest.js';
import { ConflictError } from '../../functions/core/domain/errors.js';
import type {
  CaptureRecord,
  Edit,
  EditNotification,
  JournalEntry,
  VersionRecord,
  Watch,
} from '../../functions/core/domain/model.js';
import { addWatch, buildWatch } from '../../functions/core/watches/watches.js';
import { startDynalite } from '../support/emulators.js';
import { memoryCaptureDeps } from '../support/memory.js';

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

/** Text that gzip cannot shrink much: random code points from several scripts. */
function incompressible(chars: number): string {
  const bytes = randomBytes(chars * 2);
  let text = '';
  for (let i = 0; i < chars; i++) text += String.fromCodePoint(0x4e00 + (bytes.readUInt16LE(i * 2) % 0x5000));
  return text;
}

const rewriteEdits = (count: number, chars: number): Edit[] =>
  Array.from({ length: count }, (_, i) => ({
    kind: 'paragraph_changed',
    index: i,
    before: incompressible(chars),
    after: incompressible(chars),
    significance: 'major',
  }));

describe('DynamoDB item limit on dynalite', () => {
  it('a journal entry at its worst case (incompressible text everywhere), fitted, is stored under 400 KB and read back whole', async () => {
    const id = 'w_55555555555555555555';
    const edits = rewriteEdits(2000, 300);
    const ref = { digest: sha256('x'), size: 1, contentType: 'text/html' };
    const notification: EditNotification = {
      type: 'redline.edit',
      watchId: id,
      url: 'https://news.example/w',
      title: incompressible(5000),
      capturedAt: '2026-11-26T10:00:01.000Z',
      oldVersion: 1,
      newVersion: 2,
      oldTextHash: sha256('1'),
      newTextHash: sha256('2'),
      edits,
      significance: 'major',
      silent: false,
      diff: incompressible(10_000),
      tags: [],
    };
    const records = fitRecords({
      capture: {
        watchId: id,
        captureId: 'c-worst',
        url: 'https://news.example/w',
        startedAt: '2026-11-26T10:00:00.000Z',
        capturedAt: '2026-11-26T10:00:01.000Z',
        status: 'partial',
        reason: incompressible(50_000),
        artifacts: { raw: ref },
        steps: Array.from({ length: 200 }, (_, i) => ({
          name: i % 2 ? ('navigate' as const) : ('render' as const),
          status: 'failed' as const,
          ms: 1,
          detail: incompressible(5000),
        })),
        http: {
          status: 200,
          finalUrl: 'https://news.example/w',
          contentType: 'text/html',
          headers: Object.fromEntries(
            Array.from({ length: 200 }, (_, i) => [`x-${i}`, incompressible(2000)]),
          ),
        },
      },
      version: { ...version(id, 2, 'c-worst'), title: incompressible(5000), edits: edits.slice(0, 30) },
      edit: notification,
      watchUpdate: {
        nextDueAt: '2026-11-26T11:00:00.000Z',
        latestVersion: 2,
        volatile: Array.from({ length: 200 }, () => incompressible(1500)),
      },
    });
    expect(jsonBytes(records)).toBeLessThanOrEqual(JOURNAL_RECORDS_MAX_BYTES);
    const entry: JournalEntry = {
      watchId: id,
      captureId: 'c-worst',
      openedAt: '2026-11-26T10:00:01.000Z',
      staleAfter: '2026-11-26T10:15:01.000Z',
      ...records,
    };
    await catalog.openEntry(entry);
    const stored = await db.client.send(
      new GetItemCommand({
        TableName: 'redline-test',
        Key: marshall({ pk: `WATCH#${id}`, sk: 'JOURNAL#c-worst' }),
      }),
    );
    const bytes = itemBytes(stored.Item!);
    expect(bytes).toBeLessThanOrEqual(DYNAMODB_ITEM_MAX_BYTES);
    expect(await catalog.openEntries(id)).toEqual([entry]);

    // The same notification kept for delivery: its own item, also under the limit.
    const pending = pendingFor('c-worst', records.edit!, new Date('2026-11-26T10:00:02.000Z'));
    await catalog.addPending(pending);
    const kept = await db.client.send(
      new GetItemCommand({
        TableName: 'redline-test',
        Key: marshall({ pk: `WATCH#${id}`, sk: 'NOTIFY#c-worst#edit' }),
      }),
    );
    expect(itemBytes(kept.Item!)).toBeLessThanOrEqual(DYNAMODB_ITEM_MAX_BYTES);
    expect(await catalog.pendingNotifications(id, 10)).toEqual([pending]);
    console.info(
      `worst-case journal entry: ${jsonBytes(records)} B of JSON, ${bytes} B stored; pending item ${itemBytes(kept.Item!)} B`,
    );
  });

  it('keeps pending notifications: added once, changed only by the holder of the expected attempt, removed', async () => {
    const id = 'w_66666666666666666666';
    const now = new Date('2026-11-26T10:00:00.000Z');
    const failure = pendingFor(
      'c1',
      {
        type: 'redline.failure',
        watchId: id,
        url: 'https://news.example/f',
        capturedAt: now.toISOString(),
        reason: 'dns',
        tags: [],
      },
      now,
    );
    await catalog.addPending(failure);
    await catalog.addPending({ ...failure, attempts: 5 }); // a roll-forward writing it again: the kept one stands
    expect(await catalog.pendingNotifications(id, 10)).toEqual([failure]);
    const change = { status: 'pending' as const, attempts: 1, nextAttemptAt: '2026-11-26T10:01:00.000Z' };
    expect(await catalog.updatePending(failure, 0, change)).toBe(true);
    expect(await catalog.updatePending(failure, 0, change)).toBe(false); // the attempt is taken
    expect(await catalog.updatePending(failure, 1, { ...change, lastError: 'throttled' })).toBe(true);
    expect(await catalog.pendingNotifications(id, 10)).toEqual([
      { ...failure, ...change, lastError: 'throttled' },
    ]);
    expect(await catalog.updatePending(failure, 1, { ...change, status: 'undeliverable' })).toBe(true);
    expect(await catalog.pendingNotifications(id, 10)).toEqual([]); // kept, never returned for delivery
    await catalog.removePending(id, failure.id);
    await catalog.removePending(id, failure.id);
    expect(await catalog.pendingNotifications(id, 10)).toEqual([]);
  });

  it('counts attempts at finishing a journal entry; an entry closed meanwhile stays closed', async () => {
    const id = 'w_77777777777777777777';
    const entry: JournalEntry = {
      watchId: id,
      captureId: 'c-count',
      openedAt: '2026-11-26T10:00:00.000Z',
      staleAfter: '2026-11-26T10:15:00.000Z',
      capture: {
        watchId: id,
        captureId: 'c-count',
        url: 'https://news.example/c',
        startedAt: '2026-11-26T10:00:00.000Z',
        capturedAt: '2026-11-26T10:00:00.000Z',
        status: 'complete',
        artifacts: {},
        steps: [],
      },
      watchUpdate: { nextDueAt: '2026-11-26T11:00:00.000Z', latestVersion: 0 },
    };
    await catalog.openEntry(entry);
    await catalog.noteRecoveryAttempt(id, 'c-count', 2);
    expect(await catalog.openEntries(id)).toEqual([{ ...entry, recoveryAttempts: 2 }]);
    await catalog.closeEntry(id, 'c-count');
    await catalog.noteRecoveryAttempt(id, 'c-count', 3);
    expect(await catalog.openEntries(id)).toEqual([]);
  });

  it('an edit whose publishing fails twice is delivered by the third capture after it; the watch captures throughout', async () => {
    const env = memoryCaptureDeps();
    let refusals = 2;
    const publishEdit = env.deps.notifier.publishEdit.bind(env.deps.notifier);
    env.deps.notifier.publishEdit = async (n) => {
      if (refusals-- > 0) throw new Error('InvalidParameterException: Message too long');
      await publishEdit(n);
    };
    const deps: CaptureDeps = {
      ...env.deps,
      journal: catalog,
      watches: catalog,
      captures: catalog,
      versions: catalog,
    };
    const url = 'https://news.example/2026/11/26/retried';
    const { watch } = await addWatch(deps, { url, cadenceSeconds: 900, mode: 'auto', tags: [] });
    env.deps.fetcher.pages.set(url, { body: articlePage(ORIGINAL, 1) });
    await captureWatch(deps, watch);
    const sentAfter: number[] = [];
    for (let round = 2; round <= 5; round++) {
      env.advance(15);
      env.deps.fetcher.pages.set(url, { body: articlePage(EDITED, round) });
      const result = await captureWatch(deps, (await catalog.getWatch(watch.id))!);
      expect(result.capture.status).toBe('complete');
      sentAfter.push(env.deps.notifier.sent.length);
    }
    expect(sentAfter).toEqual([0, 0, 1, 1]);
    expect(env.deps.notifier.sent).toEqual([expect.objectContaining({ newVersion: 2 })]);
    expect(await catalog.pendingNotifications(watch.id, 10)).toEqual([]);
    expect((await catalog.listCaptures(watch.id)).length).toBe(5);
  });
});
