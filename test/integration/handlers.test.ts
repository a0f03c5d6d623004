import { CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDITED, type NewsSite, ORIGINAL, startNewsSite } from '../../demo/news-site.js';
import { DynamoCatalog } from '../../functions/adapters/dynamo/dynamo-catalog.js';
import { S3BlobStore } from '../../functions/adapters/s3/s3-blob-store.js';
import { SqsCaptureQueue } from '../../functions/adapters/sqs/sqs-capture-queue.js';
import type { CaptureDeps } from '../../functions/core/capture/capture.js';
import { sha256 } from '../../functions/core/domain/digest.js';
import { handleCaptureBatch } from '../../functions/handlers/capture-worker.js';
import { handlePlan } from '../../functions/handlers/planner.js';
import { handleWatchAdmin } from '../../functions/handlers/watch-admin.js';
import { emulatedWorker, startAwsEmulator, startDynalite, topicWithQueue } from '../support/emulators.js';

/**
 * The real handlers wired together on emulators: dynalite for the catalog, fauxqs for S3, SQS and SNS
 * (an SQS subscription reads what was published), real Chromium against a news site on 127.0.0.1.
 * The Lambda event source mapping is played by `deliver`: receive, invoke the worker with an SQS event,
 * delete what succeeded; failures come back after the visibility timeout.
 */
let db: Awaited<ReturnType<typeof startDynalite>>;
let aws: Awaited<ReturnType<typeof startAwsEmulator>>;
let site: NewsSite;
let deps: CaptureDeps;
let catalog: DynamoCatalog;
let captureQueue: string;
let deadLetters: string;
let edits: string;
let clockNow = new Date();

beforeAll(async () => {
  [db, aws, site] = await Promise.all([startDynalite(), startAwsEmulator(), startNewsSite()]);
  catalog = new DynamoCatalog(db.client, 'redline');
  await catalog.ensureTable();
  await aws.s3.send(new CreateBucketCommand({ Bucket: 'artifacts' }));
  const editsTopic = await topicWithQueue(aws, 'edits');
  const alertsTopic = await topicWithQueue(aws, 'alerts');
  edits = editsTopic.queueUrl;
  deadLetters = (await aws.sqs.send(new CreateQueueCommand({ QueueName: 'capture-dlq' }))).QueueUrl!;
  const dlqArn = (
    await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: deadLetters, AttributeNames: ['QueueArn'] }))
  ).Attributes!.QueueArn!;
  captureQueue = (
    await aws.sqs.send(
      new CreateQueueCommand({
        QueueName: 'capture',
        Attributes: {
          VisibilityTimeout: '1',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: '2' }),
        },
      }),
    )
  ).QueueUrl!;
  deps = emulatedWorker(
    db,
    aws,
    {
      table: 'redline',
      bucket: 'artifacts',
      editsTopicArn: editsTopic.topicArn,
      alertsTopicArn: alertsTopic.topicArn,
    },
    { now: () => clockNow },
  );
});
afterAll(async () => {
  await deps.renderer.close();
  await Promise.all([db.stop(), aws.stop(), site.close()]);
});

const plan = () =>
  handlePlan(
    { kind: 'tick' },
    { watches: catalog, queue: new SqsCaptureQueue(aws.sqs, captureQueue), clock: deps.clock },
    { limit: 100, leaseSeconds: 600 },
  );

/** One round of the event source mapping: returns the ids the worker reported as failed. */
async function deliver(worker: CaptureDeps = deps): Promise<{ received: number; failed: string[] }> {
  const { Messages = [] } = await aws.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: captureQueue, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  if (Messages.length === 0) return { received: 0, failed: [] };
  const event = {
    Records: Messages.map((m) => ({
      messageId: m.MessageId!,
      body: m.Body!,
      receiptHandle: m.ReceiptHandle,
    })),
  };
  const { batchItemFailures } = await handleCaptureBatch(event, worker);
  const failed = batchItemFailures.map((f) => f.itemIdentifier);
  for (const message of Messages) {
    if (!failed.includes(message.MessageId!)) {
      await aws.sqs.send(
        new DeleteMessageCommand({ QueueUrl: captureQueue, ReceiptHandle: message.ReceiptHandle! }),
      );
    }
  }
  return { received: Messages.length, failed };
}

/** Stands for a Lambda runtime killed mid-invocation: the error ends the invocation before any cleanup. */
class ProcessKilled extends Error {}

/** Blobs in the bucket that no capture record names. */
async function unreferencedBlobs(): Promise<string[]> {
  const named = new Set<string>();
  for (const watch of await catalog.listWatches())
    for (const capture of await catalog.listCaptures(watch.id))
      for (const ref of Object.values(capture.artifacts)) named.add(ref.digest.replace('sha256:', ''));
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await aws.s3.send(
      new ListObjectsV2Command({ Bucket: 'artifacts', Prefix: 'blobs/', ContinuationToken: token }),
    );
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
    token = page.NextContinuationToken;
  } while (token);
  return keys.filter((key) => !named.has(key.split('/').pop()!));
}

async function published(queueUrl: string) {
  const { Messages = [] } = await aws.sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
  );
  for (const m of Messages)
    await aws.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
  return Messages.map((m) => JSON.parse(m.Body!));
}

describe('planner → SQS → capture worker → SNS, on emulators with real Chromium', () => {
  it('captures a due watch, leases it so the next tick does not queue it again, and publishes an edit', async () => {
    const added = await handleWatchAdmin(
      { action: 'add', url: site.articleUrl, every: '15m', tags: ['city'] },
      catalog,
    );
    expect(added).toMatchObject({ ok: true });
    const watchId = added.ok ? added.watch!.id : '';

    clockNow = new Date(Date.now() + 1000);
    expect(await plan()).toEqual({ due: 1, queued: 1 });
    expect(await plan()).toEqual({ due: 0, queued: 0 }); // leased
    expect(await deliver()).toEqual({ received: 1, failed: [] });
    expect((await catalog.listVersions(watchId)).map((v) => v.number)).toEqual([1]);

    clockNow = new Date(clockNow.getTime() + 16 * 60_000);
    site.setRound(2, EDITED);
    expect(await plan()).toEqual({ due: 1, queued: 1 });
    expect(await deliver()).toEqual({ received: 1, failed: [] });
    const sent = await published(edits);
    expect(sent).toEqual([
      expect.objectContaining({ url: site.articleUrl, oldVersion: 1, newVersion: 2, tags: ['city'] }),
    ]);

    const blobs = new S3BlobStore(aws.s3, 'artifacts');
    for (const version of await catalog.listVersions(watchId)) {
      for (const ref of Object.values(version.artifacts))
        expect(sha256(await blobs.get(ref.digest))).toBe(ref.digest);
    }
  });

  it('a poisoned message is retried and dead-lettered while the rest of its batch succeeds', async () => {
    clockNow = new Date(clockNow.getTime() + 16 * 60_000);
    site.setRound(3, ORIGINAL);
    await aws.sqs.send(
      new SendMessageCommand({ QueueUrl: captureQueue, MessageBody: '{"watchId": "not a watch"' }),
    );
    expect(await plan()).toEqual({ due: 1, queued: 1 });
    const first = await deliver();
    expect(first.received).toBe(2);
    expect(first.failed).toHaveLength(1);
    // After the visibility timeout the poisoned message comes back, fails again, and is dead-lettered.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect((await deliver()).failed).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await deliver();
    const dead = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: deadLetters, WaitTimeSeconds: 1 }));
    expect(dead.Messages?.map((m) => m.Body)).toEqual(['{"watchId": "not a watch"']);
    expect(await published(edits)).toHaveLength(1); // the good message's edit (back to the original)
  });

  it('the same message delivered twice captures once: one version, one notification', async () => {
    clockNow = new Date(clockNow.getTime() + 16 * 60_000);
    site.setRound(4, EDITED);
    const [watch] = await catalog.listWatches();
    const before = (await catalog.listVersions(watch!.id)).length;
    const request = JSON.stringify({ watchId: watch!.id, dueAt: watch!.nextDueAt });
    await aws.sqs.send(new SendMessageCommand({ QueueUrl: captureQueue, MessageBody: request }));
    await aws.sqs.send(new SendMessageCommand({ QueueUrl: captureQueue, MessageBody: request }));
    let received = 0;
    while (received < 2) received += (await deliver()).received;
    expect((await catalog.listVersions(watch!.id)).length).toBe(before + 1);
    expect(await published(edits)).toHaveLength(1);
  });

  it('a worker killed between its blob writes and its record writes: the redelivery finishes that capture, nothing orphaned or duplicated', async () => {
    clockNow = new Date(clockNow.getTime() + 7 * 3600_000); // a new alert window (3 alerts / 6 h / watch)
    site.setRound(5, ORIGINAL);
    const [watch] = await catalog.listWatches();
    const id = watch!.id;
    const versionsBefore = (await catalog.listVersions(id)).length;
    const capturesBefore = (await catalog.listCaptures(id)).length;
    const killedAtVersionWrite: CaptureDeps = {
      ...deps,
      versions: {
        listVersions: (watchId) => catalog.listVersions(watchId),
        latestVersion: (watchId) => catalog.latestVersion(watchId),
        putVersion: async () => {
          throw new ProcessKilled('Runtime exited with error: signal: killed');
        },
      },
    };
    expect(await plan()).toEqual({ due: 1, queued: 1 });
    expect((await deliver(killedAtVersionWrite)).failed).toHaveLength(1);
    const [entry] = await catalog.openEntries(id);
    const blobs = new S3BlobStore(aws.s3, 'artifacts');
    for (const ref of Object.values(entry!.capture.artifacts)) expect(await blobs.has(ref.digest)).toBe(true);
    expect(await published(edits)).toEqual([]);
    expect(await unreferencedBlobs()).not.toEqual([]);

    // SQS redelivers after the visibility timeout (6× the function's), by when the entry is stale.
    clockNow = new Date(clockNow.getTime() + 16 * 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(await deliver()).toEqual({ received: 1, failed: [] });
    const versions = await catalog.listVersions(id);
    expect(versions).toHaveLength(versionsBefore + 1);
    expect(versions.at(-1)!.captureId).toBe(entry!.captureId);
    expect(await catalog.listCaptures(id)).toHaveLength(capturesBefore + 1);
    expect(await published(edits)).toEqual([expect.objectContaining({ newVersion: versionsBefore + 1 })]);
    expect(await catalog.openEntries(id)).toEqual([]);
    expect(await unreferencedBlobs()).toEqual([]);
  });

  it('a worker killed midway through its blob writes: the interrupted capture is recorded as failed, then captured afresh', async () => {
    clockNow = new Date(clockNow.getTime() + 7 * 3600_000); // a new alert window (3 alerts / 6 h / watch)
    site.setRound(6, EDITED);
    const [watch] = await catalog.listWatches();
    const id = watch!.id;
    const versionsBefore = (await catalog.listVersions(id)).length;
    const s3 = new S3BlobStore(aws.s3, 'artifacts');
    let puts = 0;
    const killedAtThirdBlob: CaptureDeps = {
      ...deps,
      blobs: {
        get: (digest) => s3.get(digest),
        has: (digest) => s3.has(digest),
        put: async (bytes, contentType) => {
          if (++puts > 2) throw new ProcessKilled('Runtime exited with error: signal: killed');
          return s3.put(bytes, contentType);
        },
      },
    };
    expect(await plan()).toEqual({ due: 1, queued: 1 });
    expect((await deliver(killedAtThirdBlob)).failed).toHaveLength(1);
    const [entry] = await catalog.openEntries(id);

    clockNow = new Date(clockNow.getTime() + 16 * 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(await deliver()).toEqual({ received: 1, failed: [] });
    const interrupted = (await catalog.listCaptures(id)).find((c) => c.captureId === entry!.captureId);
    expect(interrupted).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^interrupted: /) });
    expect(await catalog.listVersions(id)).toHaveLength(versionsBefore + 1);
    expect(await published(edits)).toHaveLength(1);
    expect(await catalog.openEntries(id)).toEqual([]);
    expect(await unreferencedBlobs()).toEqual([]);
  });

  it('syncs a watch list: upserts each entry, leaves other watches alone', async () => {
    const before = (await catalog.listWatches()).length;
    const synced = await handleWatchAdmin(
      {
        action: 'sync',
        watches: [
          { url: 'https://news.example/feed.xml', feed: true, every: '15m', tags: ['feeds'] },
          { url: 'https://news.example/report.pdf', mode: 'http', every: '1d' },
        ],
      },
      catalog,
    );
    expect(synced).toMatchObject({
      ok: true,
      watches: [{ type: 'feed' }, { mode: 'http', cadenceSeconds: 86400 }],
    });
    expect((await catalog.listWatches()).length).toBe(before + 2);
    await handleWatchAdmin(
      { action: 'sync', watches: [{ url: 'https://news.example/feed.xml', feed: true }] },
      catalog,
    );
    expect((await catalog.listWatches()).length).toBe(before + 2);
  });

  it('lists watches a page at a time (Lambda responses stay under 6 MB), following the cursor to the end', async () => {
    const all = await catalog.listWatches();
    expect(all.length).toBeGreaterThan(2);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 50; pages++) {
      const page = await handleWatchAdmin(
        { action: 'list', limit: 2, ...(cursor ? { cursor } : {}) },
        catalog,
      );
      if (!page.ok) throw new Error(page.error);
      expect(page.watches!.length).toBeLessThanOrEqual(2);
      seen.push(...page.watches!.map((w) => w.id));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(all.map((w) => w.id).sort());
    expect(await handleWatchAdmin({ action: 'list', limit: 5000 }, catalog)).toMatchObject({ ok: false });
  });

  it('rejects malformed events and admin commands', async () => {
    const planDeps = {
      watches: catalog,
      queue: new SqsCaptureQueue(aws.sqs, captureQueue),
      clock: deps.clock,
    };
    await expect(handlePlan({ kind: 'nope' }, planDeps, { limit: 1, leaseSeconds: 60 })).rejects.toThrow();
    expect(await handleWatchAdmin({ action: 'add', url: 'file:///etc/passwd' }, catalog)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/unsupported URL scheme/),
    });
  });
});
