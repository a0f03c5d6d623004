import { describe, expect, it } from 'vitest';
import { articlePage, EDITED, ORIGINAL } from '../../demo/news-site.js';
import { captureWatch } from '../../functions/core/capture/capture.js';
import { commitCapture, recoverInterrupted, StagedBlobs } from '../../functions/core/capture/commit.js';
import { captureRequested } from '../../functions/core/capture/run-due.js';
import { InvariantError } from '../../functions/core/domain/errors.js';
import { addWatch } from '../../functions/core/watches/watches.js';
import { memoryCaptureDeps } from '../support/memory.js';

const URL_A = 'https://news.example/2026/11/24/flood-barrier';

/** The process "dies": the error escapes the use case, as a killed Lambda's would end its invocation. */
class ProcessDied extends Error {}

async function watchedWithFirstVersion() {
  const env = memoryCaptureDeps();
  const { deps, catalog } = env;
  const { watch } = await addWatch(deps, { url: URL_A, cadenceSeconds: 900, mode: 'auto', tags: [] });
  deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 1) });
  await captureWatch(deps, watch);
  env.advance(15);
  deps.fetcher.pages.set(URL_A, { body: articlePage(EDITED, 2) });
  const due = (await catalog.getWatch(watch.id))!;
  return { ...env, watch: due, request: { watchId: due.id, dueAt: due.nextDueAt } };
}

/** Every stored blob is named by some capture record: nothing is orphaned. */
function unreferenced(env: ReturnType<typeof memoryCaptureDeps>): string[] {
  const named = new Set(
    [...env.catalog.captures.values()].flatMap((c) => Object.values(c.artifacts).map((a) => a.digest)),
  );
  return [...env.deps.blobs.blobs.keys()].filter((digest) => !named.has(digest));
}

describe('capture journal: a process that dies midway loses nothing and orphans nothing', () => {
  it('dies after its blobs, before its records: the redelivered request writes them as meant, once', async () => {
    const env = await watchedWithFirstVersion();
    const { deps, catalog, watch, request } = env;
    const putVersion = catalog.putVersion.bind(catalog);
    catalog.putVersion = async () => {
      throw new ProcessDied('killed');
    };
    await expect(captureWatch(deps, watch)).rejects.toThrow(ProcessDied);
    catalog.putVersion = putVersion;
    const [entry] = await catalog.openEntries(watch.id);
    expect(entry?.version?.number).toBe(2);
    expect(unreferenced(env).length).toBeGreaterThan(0); // the dead attempt's blobs, named only by its entry
    expect(deps.notifier.sent).toHaveLength(0);

    // Before the entry is stale its capture may still be running: it is left alone.
    env.advance(5);
    expect(await recoverInterrupted(deps, watch.id)).toBe(0);
    expect(catalog.journal.size).toBe(1);

    const fetches = deps.fetcher.requests.length;
    const captures = catalog.captures.size;
    env.advance(15);
    expect(await captureRequested(deps, request)).toBe('skipped');
    expect(deps.fetcher.requests.length).toBe(fetches); // finished from the entry, not captured again
    expect(catalog.journal.size).toBe(0);
    const versions = await catalog.listVersions(watch.id);
    expect(versions.map((v) => [v.number, v.captureId])).toEqual([
      [1, versions[0]!.captureId],
      [2, entry!.captureId],
    ]);
    expect(catalog.captures.size).toBe(captures + 1);
    expect(deps.notifier.sent).toEqual([expect.objectContaining({ oldVersion: 1, newVersion: 2 })]);
    expect(await catalog.getWatch(watch.id)).toMatchObject({
      latestVersion: 2,
      lastCapturedAt: entry!.capture.capturedAt,
    });
    expect(unreferenced(env)).toEqual([]);
  });

  it('dies midway through its blobs: recorded as failed with the blobs that made it, then captured afresh', async () => {
    const env = await watchedWithFirstVersion();
    const { deps, catalog, watch, request } = env;
    const put = deps.blobs.put.bind(deps.blobs);
    let puts = 0;
    deps.blobs.put = async (bytes, contentType) => {
      if (++puts > 2) throw new ProcessDied('killed');
      return put(bytes, contentType);
    };
    await expect(captureWatch(deps, watch)).rejects.toThrow(ProcessDied);
    deps.blobs.put = put;
    const [entry] = await catalog.openEntries(watch.id);

    env.advance(16);
    deps.fetcher.pages.set(URL_A, { body: articlePage(EDITED, 3) });
    const result = await captureRequested(deps, request);
    expect(result).not.toBe('skipped');
    const interrupted = catalog.captures.get(entry!.captureId)!;
    const [, stored, total] = /^interrupted: the process stopped after storing (\d+) of (\d+) artifacts$/
      .exec(interrupted.reason ?? '')!
      .map(Number);
    expect(interrupted.status).toBe('failed');
    expect(new Set(Object.values(interrupted.artifacts).map((a) => a.digest)).size).toBe(stored);
    expect(stored).toBeLessThan(total!);
    expect(interrupted.verdict).toBeUndefined();
    expect(interrupted.version).toBeUndefined();
    expect((await catalog.listVersions(watch.id)).map((v) => v.number)).toEqual([1, 2]);
    expect(deps.notifier.sent).toHaveLength(1);
    expect(catalog.journal.size).toBe(0);
    expect(unreferenced(env)).toEqual([]);
  });

  it('an entry finished after a later capture took its version number records the capture and no version', async () => {
    const env = await watchedWithFirstVersion();
    const { deps, catalog, watch } = env;
    const putCapture = catalog.putCapture.bind(catalog);
    catalog.putCapture = async () => {
      throw new ProcessDied('killed');
    };
    // Version 2 is written, then the process dies before the capture record.
    await expect(captureWatch(deps, watch)).rejects.toThrow(ProcessDied);
    catalog.putCapture = putCapture;
    const [entry] = await catalog.openEntries(watch.id);
    // Meanwhile (entry not stale yet) another capture records version 3 and moves the watch on.
    catalog.versions.set(`${watch.id}#2`, { ...entry!.version!, captureId: 'someone-else' });
    env.advance(16);
    await captureWatch(deps, (await catalog.getWatch(watch.id))!);
    const finished = catalog.captures.get(entry!.captureId)!;
    expect(finished.version).toBeUndefined();
    expect(finished.status).toBe('complete');
    expect(deps.notifier.sent.filter((n) => n.newVersion === 2)).toHaveLength(0);
    expect(unreferenced(env)).toEqual([]);
  });

  it('refuses to commit a staged blob that no record names (it would be orphaned)', async () => {
    const { deps } = memoryCaptureDeps();
    const staged = new StagedBlobs();
    const raw = staged.add(Buffer.from('<p>hello</p>'), 'text/html');
    staged.add(Buffer.from('stray'), 'text/plain');
    const capture = {
      watchId: 'w_00000000000000000000',
      captureId: 'c1',
      url: URL_A,
      startedAt: '2026-11-26T10:00:00.000Z',
      capturedAt: '2026-11-26T10:00:01.000Z',
      status: 'complete' as const,
      artifacts: { raw },
      steps: [],
    };
    const watchUpdate = { nextDueAt: '2026-11-26T11:00:00.000Z', latestVersion: 0 };
    await expect(commitCapture(deps, staged, { capture, watchUpdate }, 900)).rejects.toThrow(InvariantError);
    expect(deps.blobs.blobs.size).toBe(0);
  });
});
