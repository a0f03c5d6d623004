import { createHash } from 'node:crypto';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDITED, type NewsSite, ORIGINAL, startNewsSite } from '../../demo/news-site.js';
import { DynamoCatalog } from '../../functions/adapters/dynamo/dynamo-catalog.js';
import type { CaptureDeps } from '../../functions/core/capture/capture.js';
import { handleCaptureBatch } from '../../functions/handlers/capture-worker.js';
import { runRedline } from '../support/cli.js';
import { emulatedWorker, startAwsEmulator, startDynalite, topicWithQueue } from '../support/emulators.js';
import { startFakeCloudFormation } from '../support/fake-cloudformation.js';

/**
 * The real `redline` binary with `--stack`, against a "deployed" stage made of emulators: DescribeStacks
 * answers the stage's outputs (see fake-cloudformation.ts for why it is not an emulator), the table is on
 * dynalite, the bucket and queues on fauxqs, and the real capture worker consumes the queue in this
 * process, as the Lambda event source mapping would.
 */
const STACK = 'Redline-test';

let db: Awaited<ReturnType<typeof startDynalite>>;
let aws: Awaited<ReturnType<typeof startAwsEmulator>>;
let cfn: Awaited<ReturnType<typeof startFakeCloudFormation>>;
let site: NewsSite;
let worker: CaptureDeps;
let catalog: DynamoCatalog;
let captureQueue: string;
let stopping = false;
let consumer: Promise<void>;

async function consume(): Promise<void> {
  while (!stopping) {
    const { Messages = [] } = await aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: captureQueue, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    if (Messages.length === 0) continue;
    const event = { Records: Messages.map((m) => ({ messageId: m.MessageId!, body: m.Body! })) };
    const { batchItemFailures } = await handleCaptureBatch(event, worker);
    for (const m of Messages)
      if (!batchItemFailures.some((f) => f.itemIdentifier === m.MessageId))
        await aws.sqs.send(
          new DeleteMessageCommand({ QueueUrl: captureQueue, ReceiptHandle: m.ReceiptHandle! }),
        );
  }
}

async function redline(args: string[], extra: Record<string, string> = {}) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_ENDPOINT_URL_CLOUDFORMATION: cfn.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    AWS_ENDPOINT_URL_S3: aws.endpoint,
    AWS_ENDPOINT_URL_SQS: aws.endpoint,
    ...extra,
  };
  delete env.AWS_PROFILE;
  delete env.REDLINE_HOME;
  return runRedline(args, env);
}

beforeAll(async () => {
  [db, aws, site] = await Promise.all([startDynalite(), startAwsEmulator(), startNewsSite()]);
  catalog = new DynamoCatalog(db.client, 'redline-test-table');
  await catalog.ensureTable();
  await aws.s3.send(new CreateBucketCommand({ Bucket: 'redline-test-artifacts' }));
  const edits = await topicWithQueue(aws, 'edits');
  const alerts = await topicWithQueue(aws, 'alerts');
  captureQueue = (await aws.sqs.send(new CreateQueueCommand({ QueueName: 'capture' }))).QueueUrl!;
  const deadLetters = (await aws.sqs.send(new CreateQueueCommand({ QueueName: 'capture-dlq' }))).QueueUrl!;
  cfn = await startFakeCloudFormation({
    [`${STACK}-Data`]: {
      TableName: 'redline-test-table',
      BucketName: 'redline-test-artifacts',
      EditsTopicArn: edits.topicArn,
      AlertsTopicArn: alerts.topicArn,
    },
    [`${STACK}-Capture`]: {
      CaptureQueueUrl: captureQueue,
      DeadLetterQueueUrl: deadLetters,
      WatchFunctionName: 'Redline-test-Capture-WatchAdmin',
    },
  });
  worker = emulatedWorker(db, aws, {
    table: 'redline-test-table',
    bucket: 'redline-test-artifacts',
    editsTopicArn: edits.topicArn,
    alertsTopicArn: alerts.topicArn,
  });
  consumer = consume();
});
afterAll(async () => {
  stopping = true;
  await consumer;
  await worker.renderer.close();
  await Promise.all([db.stop(), aws.stop(), site.close(), cfn.close()]);
});

describe('redline --stack: the CLI against a deployed stage', () => {
  it('watches, captures through the queue, versions an edit, and returns verified bytes from the bucket', async () => {
    const url = site.articleUrl;
    const added = await redline(['--stack', STACK, 'watch', 'add', url, '--every', '15m', '--tag', 'city']);
    expect(added).toMatchObject({ code: 0, stdout: expect.stringContaining(`watching ${url}`) });
    expect(cfn.requests).toEqual([`DescribeStacks ${STACK}-Data`, `DescribeStacks ${STACK}-Capture`]);
    const listed = await redline(['watch', 'list', '--json'], { REDLINE_STACK: `${STACK}-Data` });
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ url, tags: ['city'] })]);

    site.setRound(1, ORIGINAL);
    const first = await redline(['--stack', STACK, 'capture', url, '--json', '--wait', '120']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).capture).toMatchObject({
      status: 'complete',
      verdict: 'first',
      version: 1,
    });

    site.setRound(2, EDITED);
    const edit = await redline(['--stack', STACK, 'capture', url, '--wait', '120']);
    expect(edit.stdout).toContain('edited: new version v2');

    const versions = await redline(['--stack', STACK, 'versions', url, '--json']);
    expect(JSON.parse(versions.stdout).map((v: { number: number }) => v.number)).toEqual([1, 2]);
    const diff = await redline(['--stack', STACK, 'diff', url]);
    expect(diff.stdout).toContain('v1');
    expect(diff.stdout).toMatch(/narrow vote/);

    const text = await redline(['--stack', STACK, 'get', url, '--version', '2', '--format', 'text']);
    expect(text.stdout).toContain(EDITED.headline);
    const [v2] = JSON.parse(versions.stdout).slice(1);
    expect(`sha256:${createHash('sha256').update(text.bytes).digest('hex')}`).toBe(v2.artifacts.text.digest);
    expect((await catalog.listCaptures((await catalog.listWatches())[0]!.id)).length).toBe(2);
  });

  it('queues without waiting, refuses `run`, and names a stack that is not deployed', async () => {
    const queued = await redline(['--stack', STACK, 'capture', site.articleUrl, '--wait', '0']);
    expect(queued).toMatchObject({ code: 0, stdout: expect.stringMatching(/^queued a capture of /) });

    const runs = await redline(['--stack', STACK, 'run', '--once']);
    expect(runs.code).toBe(2);
    expect(runs.stderr).toMatch(/captures on its own schedule/);

    const missing = await redline(['--stack', 'Redline-nope', 'watch', 'list']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('stack Redline-nope-Data not found');

    const both = await redline(['--stack', STACK, '--data-dir', '/tmp/x', 'watch', 'list']);
    expect(both.code).toBe(2);
  });
});
