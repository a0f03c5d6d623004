import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDITED, type NewsSite, ORIGINAL, startNewsSite } from '../../demo/news-site.js';
import { DynamoCatalog } from '../../functions/adapters/dynamo/dynamo-catalog.js';
import { S3BlobStore } from '../../functions/adapters/s3/s3-blob-store.js';
import type { CaptureDeps } from '../../functions/core/capture.js';
import { sha256 } from '../../functions/core/digest.js';
import { silentLogger } from '../../functions/core/ports.js';
import { awsCaptureDeps } from '../../functions/handlers/aws-context.js';
import { handleTick } from '../../functions/handlers/capture.js';
import { CaptureEnvSchema } from '../../functions/handlers/env.js';
import { handleWatchAdmin } from '../../functions/handlers/watch-admin.js';
import { startAwsEmulator, startDynalite, topicWithQueue } from '../support/emulators.js';

let db: Awaited<ReturnType<typeof startDynalite>>;
let aws: Awaited<ReturnType<typeof startAwsEmulator>>;
let site: NewsSite;
let deps: CaptureDeps;
let catalog: DynamoCatalog;
let queueUrl: string;

beforeAll(async () => {
  [db, aws, site] = await Promise.all([startDynalite(), startAwsEmulator(), startNewsSite()]);
  catalog = new DynamoCatalog(db.client, 'redline');
  await catalog.ensureTable();
  await aws.s3.send(new CreateBucketCommand({ Bucket: 'artifacts' }));
  const subscribed = await topicWithQueue(aws, 'edits');
  const TopicArn = subscribed.topicArn;
  queueUrl = subscribed.queueUrl;
  const env = CaptureEnvSchema.parse({
    TABLE_NAME: 'redline',
    BUCKET_NAME: 'artifacts',
    TOPIC_ARN: TopicArn,
    REDLINE_CONTACT_URL: 'https://example.org/redline',
    REDLINE_ALLOW_PRIVATE_NETWORK: '1', // the fixture site is on 127.0.0.1
  });
  deps = { ...awsCaptureDeps(env, { dynamo: db.client, s3: aws.s3, sns: aws.sns }), logger: silentLogger };
});
afterAll(async () => {
  await deps.renderer.close();
  await Promise.all([db.stop(), aws.stop(), site.close()]);
});

const options = { concurrency: 2, limit: 50 };

describe('Lambda handlers on emulators (dynalite, fauxqs S3/SNS/SQS) with real Chromium', () => {
  it('adds a watch, captures it on a tick, and publishes an edit to SNS', async () => {
    const added = await handleWatchAdmin(
      { action: 'add', url: site.articleUrl, every: '15m', tags: ['city'] },
      catalog,
    );
    expect(added).toMatchObject({ ok: true, watch: { url: site.articleUrl, cadenceSeconds: 900 } });

    expect(await handleTick({ kind: 'tick' }, deps, options)).toEqual({
      due: 1,
      captured: 1,
      failed: 0,
      edited: 0,
      anomalies: 0,
    });
    // Not due again until its cadence has passed.
    expect((await handleTick({ kind: 'tick' }, deps, options)).due).toBe(0);

    const watch = added.ok ? added.watch! : undefined;
    await catalog.updateWatch(watch!.id, {
      lastCapturedAt: new Date().toISOString(),
      nextDueAt: new Date(Date.now() - 1000).toISOString(),
      lastStatus: 'complete',
      latestVersion: 1,
    });
    site.setRound(2, EDITED);
    expect(await handleTick({ kind: 'tick' }, deps, options)).toMatchObject({ due: 1, edited: 1 });

    const received = await aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2 }),
    );
    expect(received.Messages).toHaveLength(1);
    expect(JSON.parse(received.Messages![0]!.Body!)).toMatchObject({
      url: site.articleUrl,
      oldVersion: 1,
      newVersion: 2,
    });

    // Every artifact the versions name is in S3 and hashes to its name.
    const blobs = new S3BlobStore(aws.s3, 'artifacts');
    for (const version of await catalog.listVersions(watch!.id)) {
      for (const ref of Object.values(version.artifacts))
        expect(sha256(await blobs.get(ref.digest))).toBe(ref.digest);
    }
    site.setRound(1, ORIGINAL);
  });

  it('rejects malformed events', async () => {
    await expect(handleTick({ kind: 'nope' }, deps, options)).rejects.toThrow();
    expect(await handleWatchAdmin({ action: 'add', url: 'file:///etc/passwd' }, catalog)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/unsupported URL scheme/),
    });
    expect(
      await handleWatchAdmin({ action: 'remove', url: 'https://unwatched.example/' }, catalog),
    ).toMatchObject({
      ok: false,
      error: 'no watch for https://unwatched.example/',
    });
  });
});
