import { describe, expect, it } from 'vitest';
import { articlePage, EDITED, ORIGINAL } from '../../demo/news-site.js';
import { captureWatch } from '../../functions/core/capture/capture.js';
import { MAX_RECOVERY_ATTEMPTS } from '../../functions/core/capture/commit.js';
import { backoffSeconds, DEFAULT_DELIVERY_SETTINGS } from '../../functions/core/capture/deliveries.js';
import { captureRequested } from '../../functions/core/capture/run-due.js';
import type { EditNotification } from '../../functions/core/domain/model.js';
import { addWatch } from '../../functions/core/watches/watches.js';
import { memoryCaptureDeps } from '../support/memory.js';

const URL_A = 'https://news.example/2026/11/24/flood-barrier';

/** SNS refusing a Publish, as the SDK would throw it. */
class PublishRefused extends Error {
  override name = 'InvalidParameterException';
}

/** A watch with version 1 and the page now edited; publishing edits fails `rejections` times. */
async function editedWatchWithFlakyEdits(rejections: number) {
  const env = memoryCaptureDeps();
  const { deps, catalog } = env;
  const { watch } = await addWatch(deps, { url: URL_A, cadenceSeconds: 900, mode: 'auto', tags: ['city'] });
  deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 1) });
  await captureWatch(deps, watch);
  const attempts: string[] = [];
  const publishEdit = deps.notifier.publishEdit.bind(deps.notifier);
  deps.notifier.publishEdit = async (notification: EditNotification) => {
    attempts.push(deps.clock.now().toISOString());
    if (attempts.length <= rejections) throw new PublishRefused('Invalid parameter: Message too long');
    await publishEdit(notification);
  };
  let round = 2;
  /** Moves the clock on and captures the watch again (the page's noise changes, its words do not). */
  const captureLater = async (minutes: number) => {
    env.advance(minutes);
    deps.fetcher.pages.set(URL_A, { body: articlePage(EDITED, round++) });
    return captureWatch(deps, (await catalog.getWatch(watch.id))!);
  };
  const pending = () => [...catalog.pending.values()];
  return { ...env, watch, attempts, captureLater, pending };
}

describe('notifications that cannot be published never hold the watch back', () => {
  it('backs off: 1, 2, 4, 8 … minutes after each failed attempt, capped', () => {
    const s = DEFAULT_DELIVERY_SETTINGS;
    expect([1, 2, 3, 4, 5].map((n) => backoffSeconds(n, s))).toEqual([60, 120, 240, 480, 960]);
    expect(backoffSeconds(30, s)).toBe(s.maxBackoffSeconds);
  });

  it('a notifier that rejects five times then accepts: delivered once, on the 6th attempt, after backoff; captures go on meanwhile', async () => {
    const env = await editedWatchWithFlakyEdits(5);
    const { deps, catalog, watch, attempts, captureLater, pending } = env;

    const edit = await captureLater(15);
    expect(edit.version?.number).toBe(2);
    expect(attempts).toHaveLength(1);
    expect(pending()).toEqual([
      expect.objectContaining({
        status: 'pending',
        attempts: 1,
        lastError: expect.stringContaining('Message too long'),
      }),
    ]);

    // Every 15 minutes a capture; each first delivers what is due. Backoff after attempt n: 2^(n-1) minutes.
    const attemptsAfter: number[] = [];
    for (let i = 0; i < 5; i++) {
      const result = await captureLater(15);
      expect(result.capture).toMatchObject({ status: 'complete', verdict: 'unchanged', version: 2 });
      attemptsAfter.push(attempts.length);
    }
    // Attempt 5 failed at +60 min, so attempt 6 is due at +76: the capture at +75 does not try, the one at +90 does.
    expect(attemptsAfter).toEqual([2, 3, 4, 5, 5]);
    await captureLater(15);
    expect(attempts).toHaveLength(6);
    expect(deps.notifier.sent).toEqual([expect.objectContaining({ oldVersion: 1, newVersion: 2 })]);
    expect(pending()).toEqual([]);

    // Nothing is published twice, and the watch kept its schedule throughout.
    await captureLater(15);
    expect(attempts).toHaveLength(6);
    expect(deps.notifier.sent).toHaveLength(1);
    expect((await catalog.listCaptures(watch.id)).length).toBe(9);
    expect((await catalog.listVersions(watch.id)).map((v) => v.number)).toEqual([1, 2]);
    expect(deps.notifier.failures).toEqual([]);
  });

  it('a notifier that always rejects: undeliverable after the last attempt, reported on alerts once, the watch keeps capturing', async () => {
    const env = await editedWatchWithFlakyEdits(Number.POSITIVE_INFINITY);
    const { deps, catalog, watch, attempts, captureLater, pending } = env;
    await captureLater(15);
    let captures = 1;
    while (pending()[0]?.status === 'pending' && captures < 30) {
      await captureLater(60);
      captures++;
    }
    const max = DEFAULT_DELIVERY_SETTINGS.maxAttempts;
    expect(attempts).toHaveLength(max);
    expect(pending()).toEqual([expect.objectContaining({ status: 'undeliverable', attempts: max })]);
    expect(await catalog.pendingNotifications(watch.id, 10)).toEqual([]); // kept for inspection, never retried
    expect(deps.notifier.failures).toEqual([
      expect.objectContaining({
        type: 'redline.failure',
        watchId: watch.id,
        reason: expect.stringMatching(
          /^notification undeliverable: redline\.edit of capture .+ after 8 attempts/,
        ),
      }),
    ]);

    for (let i = 0; i < 3; i++) {
      const result = await captureLater(60);
      expect(result.capture.status).toBe('complete');
    }
    expect(attempts).toHaveLength(max);
    expect(deps.notifier.failures).toHaveLength(1);
    expect(deps.notifier.sent).toEqual([]);
    expect((await catalog.getWatch(watch.id))?.lastCapturedAt).toBe(deps.clock.now().toISOString());
    expect((await catalog.listVersions(watch.id)).map((v) => v.number)).toEqual([1, 2]);
  });

  it('a failure alert goes out through the same kept record, once when the watch starts failing', async () => {
    const { deps, catalog, advance } = memoryCaptureDeps();
    const { watch } = await addWatch(deps, { url: URL_A, cadenceSeconds: 900, mode: 'auto', tags: [] });
    let refusals = 1;
    const publishFailure = deps.notifier.publishFailure.bind(deps.notifier);
    deps.notifier.publishFailure = async (n) => {
      if (refusals-- > 0) throw new PublishRefused('throttled');
      await publishFailure(n);
    };
    // No page served: the fetch fails.
    const failed = await captureWatch(deps, watch);
    expect(failed.capture.status).toBe('failed');
    expect(deps.notifier.failures).toEqual([]);
    advance(15);
    await captureWatch(deps, (await catalog.getWatch(watch.id))!);
    expect(deps.notifier.failures).toEqual([
      expect.objectContaining({ capturedAt: failed.capture.capturedAt }),
    ]);
    expect(catalog.pending.size).toBe(0);
  });

  it(`a journal entry whose finishing keeps failing is given up after ${MAX_RECOVERY_ATTEMPTS} attempts; the watch captures again`, async () => {
    const env = memoryCaptureDeps();
    const { deps, catalog } = env;
    const { watch } = await addWatch(deps, { url: URL_A, cadenceSeconds: 900, mode: 'auto', tags: [] });
    deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 1) });
    await captureWatch(deps, watch);
    env.advance(15);
    deps.fetcher.pages.set(URL_A, { body: articlePage(EDITED, 2) });
    // Writing this capture's version fails every time (as an over-limit item did before records were fitted).
    const putVersion = catalog.putVersion.bind(catalog);
    let doomed: string | undefined;
    catalog.putVersion = async (record) => {
      doomed ??= record.number === 2 ? record.captureId : undefined;
      if (record.captureId === doomed)
        throw new Error('ValidationException: Item size has exceeded the maximum allowed size');
      return putVersion(record);
    };
    await expect(captureWatch(deps, (await catalog.getWatch(watch.id))!)).rejects.toThrow(/Item size/);
    const request = { watchId: watch.id, dueAt: deps.clock.now().toISOString() };

    for (let attempt = 1; attempt <= MAX_RECOVERY_ATTEMPTS; attempt++) {
      env.advance(16);
      await expect(captureRequested(deps, request)).rejects.toThrow(/Item size/);
      expect((await catalog.openEntries(watch.id))[0]?.recoveryAttempts).toBe(attempt);
    }
    env.advance(16);
    const result = await captureRequested(deps, request);
    expect(result).not.toBe('skipped');
    expect(catalog.journal.size).toBe(0);
    const givenUp = catalog.captures.get(doomed!)!;
    expect(givenUp).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/failed 3 times; given up/),
    });
    expect(Object.keys(givenUp.artifacts).length).toBeGreaterThan(0); // its stored blobs stay referenced
    expect((await catalog.listVersions(watch.id)).map((v) => v.number)).toEqual([1, 2]);
    expect((await catalog.listVersions(watch.id))[1]?.captureId).not.toBe(doomed);
  });
});
