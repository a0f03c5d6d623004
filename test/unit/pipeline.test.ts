import { describe, expect, it } from 'vitest';
import { articlePage, EDITED, ORIGINAL } from '../../demo/news-site.js';
import { CAPTURE_PIPELINE, captureWatch } from '../../functions/core/capture/capture.js';
import { raceAbort } from '../../functions/core/capture/pipeline.js';
import { sha256 } from '../../functions/core/domain/digest.js';
import { IntegrityError } from '../../functions/core/domain/errors.js';
import { PIPELINE_STEPS, StepNameSchema } from '../../functions/core/domain/model.js';
import type { FetchedResponse, RenderedPage } from '../../functions/core/domain/ports.js';
import { addWatch } from '../../functions/core/watches/watches.js';
import { memoryCaptureDeps } from '../support/memory.js';

const URL_A = 'https://news.example/2026/11/24/flood-barrier';

/** A promise that never settles and never looks at any signal: the worst step there can be. */
const never = <T>() => new Promise<T>(() => {});

async function watched(deps: ReturnType<typeof memoryCaptureDeps>['deps'], mode: 'auto' | 'http' = 'auto') {
  return (await addWatch(deps, { url: URL_A, cadenceSeconds: 3600, mode, tags: [] })).watch;
}

describe('the capture pipeline', () => {
  it('runs its steps in the order of the closed set of step names, the record step last', () => {
    expect([...CAPTURE_PIPELINE.map((step) => step.name), 'record']).toEqual([...PIPELINE_STEPS]);
    for (const name of PIPELINE_STEPS) expect(StepNameSchema.parse(name)).toBe(name);
    expect(() => StepNameSchema.parse('frobnicate')).toThrow();
  });

  it('records every step it ran, with its time', async () => {
    const { deps } = memoryCaptureDeps();
    deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 1) });
    const { capture } = await captureWatch(deps, await watched(deps));
    expect(capture.steps.map((s) => s.name)).toEqual([
      'fetch',
      'navigate', // the browser's own steps, inside render
      'render',
      'extract',
      'detect',
      'warc',
      'version',
    ]);
    for (const step of capture.steps) expect(step.ms).toBeGreaterThanOrEqual(0);
  });

  it('ends a fetch that never answers, even one deaf to its signal, at the fetch budget: failed, with why', async () => {
    const { deps, catalog } = memoryCaptureDeps();
    deps.fetcher.fetch = () => never<FetchedResponse>();
    const watch = await watched(deps);
    const { capture } = await captureWatch({ ...deps, options: { time: { steps: { fetch: 150 } } } }, watch);
    expect(capture.status).toBe('failed');
    expect(capture.reason).toMatch(/^fetch: the fetch step budget of 150 ms ran out/);
    expect(capture.steps).toEqual([expect.objectContaining({ name: 'fetch', status: 'failed' })]);
    expect(await catalog.listCaptures(watch.id)).toHaveLength(1);
    expect(deps.notifier.failures).toHaveLength(1);
  });

  it('ends a capture whose browser hangs at the capture deadline, recording what it had', async () => {
    const { deps, catalog } = memoryCaptureDeps();
    deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 1) });
    deps.renderer.render = () => never<RenderedPage>();
    const watch = await watched(deps);
    const { capture } = await captureWatch(
      { ...deps, options: { time: { captureMs: 400, recordReserveMs: 100 } } },
      watch,
    );
    // The render step is cut by the capture's deadline; nothing after it has time to run.
    expect(capture.status).toBe('failed');
    expect(capture.steps.find((s) => s.name === 'render')).toMatchObject({
      status: 'failed',
      detail: expect.stringMatching(/the capture budget of 300 ms ran out/),
    });
    expect(capture.reason).toMatch(/^extract: the capture budget of 300 ms ran out/);
    // The fetched body is kept: the record names it and the blob is stored.
    expect(capture.artifacts.raw).toBeDefined();
    expect(await deps.blobs.has(capture.artifacts.raw!.digest)).toBe(true);
    expect((await catalog.getWatch(watch.id))?.lastStatus).toBe('failed');
  });

  it('goes on without a render that fails inside its budget: partial, with the article from the fetched body', async () => {
    const { deps } = memoryCaptureDeps();
    deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 1) });
    deps.renderer.render = async () => {
      throw new Error('the browser crashed');
    };
    const { capture } = await captureWatch(deps, await watched(deps));
    expect(capture).toMatchObject({ status: 'partial', verdict: 'first', version: 1 });
    expect(capture.reason).toBe('render: the browser crashed');
  });

  it("stops when the caller's signal aborts", async () => {
    const { deps } = memoryCaptureDeps();
    deps.fetcher.fetch = () => never<FetchedResponse>();
    const controller = new AbortController();
    const pending = captureWatch(deps, await watched(deps), { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('shutting down')), 20);
    const { capture } = await pending;
    expect(capture).toMatchObject({ status: 'failed', reason: 'fetch: shutting down' });
  });

  it('takes the tighter of its own time and the time the caller has left (a Lambda)', async () => {
    const { deps } = memoryCaptureDeps();
    deps.fetcher.fetch = () => never<FetchedResponse>();
    const { capture } = await captureWatch(
      { ...deps, options: { time: { recordReserveMs: 50 } } },
      await watched(deps),
      { deadlineMs: 250 },
    );
    expect(capture.reason).toMatch(/the capture budget of 200 ms ran out/);
  });

  it('reads the baseline through its digest: a tampered article blob is read again from its HTML, no false edit', async () => {
    const { deps, advance } = memoryCaptureDeps();
    deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 1) });
    const watch = await watched(deps);
    const first = await captureWatch(deps, watch);
    const articleRef = first.capture.artifacts.article!;
    // Someone rewrites the stored article to say something else: its bytes no longer match its digest.
    const forged = JSON.parse(Buffer.from(deps.blobs.blobs.get(articleRef.digest)!).toString('utf8'));
    forged.title = 'A headline the publisher never wrote';
    deps.blobs.blobs.set(articleRef.digest, Buffer.from(JSON.stringify(forged)));
    await expect(deps.blobs.get(articleRef.digest)).rejects.toBeInstanceOf(IntegrityError);

    advance(60);
    deps.fetcher.pages.set(URL_A, { body: articlePage(ORIGINAL, 2) });
    const again = await captureWatch(deps, (await deps.watches.getWatch(watch.id))!);
    expect(again.capture).toMatchObject({ status: 'partial', verdict: 'unchanged' });
    expect(again.capture.reason).toMatch(/baseline v1 article sha256:[0-9a-f]{64}.*read again from its HTML/);
    expect(deps.notifier.sent).toHaveLength(0);

    advance(60);
    deps.fetcher.pages.set(URL_A, { body: articlePage(EDITED, 3) });
    const edited = await captureWatch(deps, (await deps.watches.getWatch(watch.id))!);
    expect(edited.capture.verdict).toBe('edited');
    // The diff is against what the page said, not against the forged article.
    expect(deps.notifier.sent[0]?.diff).not.toContain('never wrote');
    // The capture that made the same article again stored its right bytes over the forged ones (repaired).
    expect(sha256(deps.blobs.blobs.get(articleRef.digest)!)).toBe(articleRef.digest);
  });
});

describe('raceAbort', () => {
  it('settles with the work when it finishes first, and with the reason when the signal aborts first', async () => {
    await expect(raceAbort(Promise.resolve(1), new AbortController().signal)).resolves.toBe(1);
    const controller = new AbortController();
    const raced = raceAbort(never<number>(), controller.signal);
    controller.abort(new Error('late'));
    await expect(raced).rejects.toThrow('late');
    const aborted = new AbortController();
    aborted.abort(new Error('before'));
    await expect(raceAbort(Promise.reject(new Error('ignored')), aborted.signal)).rejects.toThrow('before');
  });
});
