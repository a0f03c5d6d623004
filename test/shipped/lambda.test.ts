import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArticleState, articlePage, EDITED, ORIGINAL } from '../../demo/news-site.js';
import { DynamoCatalog } from '../../functions/adapters/dynamo/dynamo-catalog.js';
import { S3BlobStore } from '../../functions/adapters/s3/s3-blob-store.js';
import { sha256 } from '../../functions/core/digest.js';
import type { CaptureRecord, Watch } from '../../functions/core/model.js';
import { startAwsEmulator, startDynalite, topicWithQueue } from '../support/emulators.js';
import { type FixtureServer, startFixtureServer } from '../support/fixture-server.js';
import {
  buildSdkNodeModules,
  type CloudAssembly,
  directoryBytes,
  environmentReferences,
  functionById,
  LambdaContainer,
  lambdaEnvironment,
  type ResourceRef,
  reachableNodeModules,
  resolvableFrom,
  resolveEnvironment,
  type ShippedFunction,
  sqsEvent,
  synthesizeApp,
  withPseudoParameters,
} from '../support/shipped.js';
import { simplePdf } from '../support/simple-pdf.js';

/**
 * What CDK ships, run as Lambda runs it. `cdk synth` bundles the functions (esbuild, and npm for the
 * worker's nodeModules); each function's asset directory then runs in its own Node process that can
 * import only that directory and the AWS SDK (the runtime's), with the template's environment variables
 * pointed at dynalite and fauxqs resources made from the template's own definitions. The worker renders
 * on @sparticuz/chromium's Lambda path (AWS_EXECUTION_ENV: it unpacks its Amazon Linux 2023 libraries).
 */
const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
/** Lambda's limit on a function's unzipped deployment package. */
const LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024;

const REPORT_PARAGRAPHS = [
  'The riverfront flood study models a repeat of the 2024 spring flood along the eastern bank.',
  'Without a barrier, damage to homes and the wastewater plant is estimated above two hundred million dollars.',
];

let root: string;
let assembly: CloudAssembly;
let db: Awaited<ReturnType<typeof startDynalite>>;
let aws: Awaited<ReturnType<typeof startAwsEmulator>>;
let site: FixtureServer;
let article: { state: ArticleState; round: number } = { state: ORIGINAL, round: 0 };
const physical = new Map<string, string>();
const inboxes = new Map<string, string>();
const containers: LambdaContainer[] = [];
let table: string;
let bucket: string;
let captureQueue: { url: string; arn: string };

const key = (ref: ResourceRef) => `${ref.stack}/${ref.logicalId}${ref.attribute ? `.${ref.attribute}` : ''}`;

/** The emulator resource for a template resource, made as the template defines it (names, key schema). */
async function provision(ref: ResourceRef): Promise<void> {
  if (physical.has(key(ref))) return;
  const props = ref.properties;
  switch (ref.type) {
    case 'AWS::DynamoDB::Table': {
      const name = withPseudoParameters(props.TableName, { accountId: ACCOUNT, region: REGION });
      await new DynamoCatalog(db.client, name).ensureTable(); // the key schema of table-schema.ts
      physical.set(key(ref), name);
      return;
    }
    case 'AWS::S3::Bucket': {
      const name = withPseudoParameters(props.BucketName, { accountId: ACCOUNT, region: REGION });
      await aws.s3.send(new CreateBucketCommand({ Bucket: name }));
      physical.set(key(ref), name);
      return;
    }
    case 'AWS::SNS::Topic': {
      const topic = await topicWithQueue(aws, ref.logicalId);
      physical.set(key(ref), topic.topicArn);
      inboxes.set(ref.logicalId, topic.queueUrl);
      return;
    }
    case 'AWS::SQS::Queue': {
      const { QueueUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: ref.logicalId }));
      physical.set(key(ref), QueueUrl!);
      return;
    }
    default:
      throw new Error(`no emulator resource for ${ref.type} (${key(ref)})`);
  }
}

function environmentOf(fn: ShippedFunction, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const variables = resolveEnvironment(assembly, fn, (ref) => {
    const value = physical.get(key(ref));
    if (value === undefined) throw new Error(`${fn.id}: ${key(ref)} was not provisioned`);
    return value;
  });
  return lambdaEnvironment(fn, variables, {
    region: REGION,
    tmpdir: join(root, `tmp-${fn.id}-${containers.length}`),
    extra: {
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      AWS_ENDPOINT_URL_SNS: aws.endpoint,
      AWS_ENDPOINT_URL_SQS: aws.endpoint,
      // Virtual-hosted buckets (<bucket>.s3.localhost), as the SDK addresses S3 by default.
      AWS_ENDPOINT_URL_S3: aws.endpoint.replace('127.0.0.1', 's3.localhost'),
      ...extra,
    },
  });
}

async function start(id: string, extra?: Record<string, string>): Promise<LambdaContainer> {
  const fn = functionById(assembly, id);
  const container = await LambdaContainer.start(fn, environmentOf(fn, extra));
  containers.push(container);
  return container;
}

/** Messages on a queue now (up to `max`), deleted once read. */
async function drain(queueUrl: string, max = 10) {
  const all = [];
  for (let round = 0; round < max; round++) {
    const { Messages = [] } = await aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    if (Messages.length === 0) break;
    for (const m of Messages) {
      await aws.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle! }));
    }
    all.push(...Messages);
  }
  return all;
}

/** The event source mapping: one message at a time (its BatchSize) into the worker, deleted on success. */
async function deliverAll(worker: LambdaContainer): Promise<number> {
  const batchSize = eventSourceBatchSize(worker.fn);
  let delivered = 0;
  for (let round = 0; round < 20; round++) {
    const { Messages = [] } = await aws.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: captureQueue.url,
        MaxNumberOfMessages: batchSize,
        WaitTimeSeconds: 1,
        VisibilityTimeout: worker.fn.timeoutSeconds * 6,
      }),
    );
    if (Messages.length === 0) return delivered;
    const { result } = await worker.invoke<{ batchItemFailures: { itemIdentifier: string }[] }>(
      sqsEvent(Messages, captureQueue.arn, REGION),
    );
    expect(result.batchItemFailures).toEqual([]);
    for (const m of Messages) {
      await aws.sqs.send(
        new DeleteMessageCommand({ QueueUrl: captureQueue.url, ReceiptHandle: m.ReceiptHandle! }),
      );
    }
    delivered += Messages.length;
  }
  throw new Error('the capture queue did not empty in 20 deliveries');
}

function eventSourceBatchSize(fn: ShippedFunction): number {
  const stack = assembly.stacks.find((s) => s.name === fn.stack)!;
  const mapping = Object.values(stack.template.Resources).find(
    (r) =>
      r.Type === 'AWS::Lambda::EventSourceMapping' &&
      (r.Properties?.FunctionName as { Ref?: string })?.Ref === fn.logicalId,
  );
  if (!mapping) throw new Error(`${fn.id} has no event source mapping`);
  return Number(mapping.Properties?.BatchSize ?? 10);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'redline-shipped-'));
  [assembly, db, aws, site] = await Promise.all([
    synthesizeApp(join(root, 'cdk.out'), { stage: 'dev', tmpdir: join(root, 'synth-tmp') }),
    startDynalite(),
    startAwsEmulator(),
    startFixtureServer({
      '/2026/11/24/flood-barrier': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(articlePage(article.state, article.round));
      },
      '/reports/flood-study.pdf': (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/pdf' });
        res.end(Buffer.from(simplePdf([REPORT_PARAGRAPHS], 'Riverfront flood study')));
      },
    }),
  ]);
  buildSdkNodeModules(join(root, 'node_modules'));
  for (const fn of assembly.functions) {
    for (const ref of environmentReferences(assembly, fn).values()) await provision(ref);
  }
  const planner = functionById(assembly, 'Planner');
  const queueRef = environmentReferences(assembly, planner).get('QUEUE_URL')!;
  const url = physical.get(key(queueRef))!;
  const { Attributes } = await aws.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  captureQueue = { url, arn: Attributes!.QueueArn! };
  const worker = functionById(assembly, 'CaptureWorker');
  const refs = environmentReferences(assembly, worker);
  table = physical.get(key(refs.get('TABLE_NAME')!))!;
  bucket = physical.get(key(refs.get('BUCKET_NAME')!))!;
}, 600_000);

afterAll(async () => {
  await Promise.all(containers.map((c) => c.stop()));
  await Promise.all([db?.stop(), aws?.stop(), site?.close()]);
  if (root) rmSync(root, { recursive: true, force: true });
}, 120_000);

const articleUrl = () => `${site.url}/2026/11/24/flood-barrier`;
const reportUrl = () => `${site.url}/reports/flood-study.pdf`;
const catalog = () => new DynamoCatalog(db.client, table);
const inboxOf = (fn: ShippedFunction, variable: string) =>
  inboxes.get(environmentReferences(assembly, fn).get(variable)!.logicalId)!;

describe('the Lambda bundles as CDK builds them, on dynalite and fauxqs', () => {
  it('are self-contained: each asset imports only itself and the AWS SDK, within Lambda’s size limit', async () => {
    expect(assembly.functions.map((fn) => fn.id).sort()).toEqual(['CaptureWorker', 'Planner', 'WatchAdmin']);
    for (const fn of assembly.functions) {
      expect(fn.runtime).toBe('nodejs22.x');
      expect(existsSync(join(fn.assetDir, 'index.mjs'))).toBe(true);
      expect(directoryBytes(fn.assetDir)).toBeLessThan(LAMBDA_UNZIPPED_LIMIT);
      // Node's resolution from the asset reaches its own node_modules (if any) and the SDK's, nothing else.
      const reachable = reachableNodeModules(fn.assetDir).filter(
        (dir) => dir !== join(fn.assetDir, 'node_modules'),
      );
      expect(reachable).toEqual([join(root, 'node_modules')]);
    }
    const env = environmentOf(functionById(assembly, 'WatchAdmin'));
    const admin = await resolvableFrom(
      functionById(assembly, 'WatchAdmin').assetDir,
      ['@aws-sdk/client-dynamodb', 'zod', 'playwright-core', 'pdfjs-dist', '@napi-rs/canvas'],
      env,
    );
    expect(admin['@aws-sdk/client-dynamodb']).toContain(join(root, 'node_modules'));
    expect(admin).toMatchObject({
      zod: null,
      'playwright-core': null,
      'pdfjs-dist': null,
      '@napi-rs/canvas': null,
    });
    const workerDir = functionById(assembly, 'CaptureWorker').assetDir;
    const worker = await resolvableFrom(
      workerDir,
      ['@sparticuz/chromium', 'playwright-core', 'zod', 'pdfjs-dist', '@napi-rs/canvas'],
      env,
    );
    expect(worker['@sparticuz/chromium']).toContain(workerDir);
    expect(worker['playwright-core']).toContain(workerDir);
    expect(worker).toMatchObject({ zod: null, 'pdfjs-dist': null, '@napi-rs/canvas': null });
  });

  it('watch-admin adds watches to the table and lists them', async () => {
    const admin = await start('WatchAdmin');
    for (const [url, tags] of [
      [articleUrl(), ['city']],
      [reportUrl(), ['reports']],
    ] as const) {
      const { result } = await admin.invoke<{ ok: boolean; watch?: Watch }>({
        action: 'add',
        url,
        every: '15m',
        tags,
      });
      expect(result).toMatchObject({ ok: true, watch: { url, tags } });
    }
    const { result } = await admin.invoke<{ ok: boolean; watches: Watch[] }>({ action: 'list' });
    expect(result.watches.map((w) => w.url).sort()).toEqual([articleUrl(), reportUrl()].sort());
    expect((await catalog().listWatches()).map((w) => w.url).sort()).toEqual(
      [articleUrl(), reportUrl()].sort(),
    );
  });

  it('the planner’s tick queues one capture request per due watch', async () => {
    const planner = await start('Planner');
    const { result } = await planner.invoke({ kind: 'tick' });
    expect(result).toEqual({ due: 2, queued: 2 });
    const { Attributes } = await aws.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: captureQueue.url,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    expect(Attributes?.ApproximateNumberOfMessages).toBe('2');
    expect((await planner.invoke({ kind: 'tick' })).result).toEqual({ due: 0, queued: 0 }); // leased
  });

  let worker: LambdaContainer;

  it('the capture worker captures the article in Lambda-path Chromium and reads the PDF report’s text', async () => {
    worker = await start('CaptureWorker', {
      // The test's only departure from the deployed configuration: the fixture site is on 127.0.0.1.
      REDLINE_ALLOW_PRIVATE_NETWORK: '1',
    });
    expect(await deliverAll(worker)).toBe(2);

    const watches = await catalog().listWatches();
    const byUrl = new Map(watches.map((w) => [w.url, w]));
    const articleCaptures = await catalog().listCaptures(byUrl.get(articleUrl())!.id);
    expect(articleCaptures).toHaveLength(1);
    const htmlCapture = articleCaptures[0]!;
    expect(htmlCapture).toMatchObject({ status: 'complete', verdict: 'first', version: 1 });
    expect(Object.keys(htmlCapture.artifacts)).toEqual(
      expect.arrayContaining(['rendered', 'screenshot', 'pdf']),
    );
    // @sparticuz/chromium took its Lambda path: the Amazon Linux 2023 libraries were unpacked into /tmp.
    const workerTmp = worker.env.TMPDIR!;
    expect(existsSync(join(workerTmp, 'al2023', 'lib'))).toBe(true);
    expect(existsSync(join(workerTmp, 'chromium'))).toBe(true);

    const reportCaptures = await catalog().listCaptures(byUrl.get(reportUrl())!.id);
    expect(reportCaptures).toHaveLength(1);
    const pdfCapture: CaptureRecord = reportCaptures[0]!;
    expect(pdfCapture.anomaly, JSON.stringify(pdfCapture.steps)).toBeUndefined();
    expect(pdfCapture).toMatchObject({ status: 'complete', verdict: 'first', version: 1 });
    const blobs = new S3BlobStore(aws.s3, bucket);
    const text = Buffer.from(await blobs.get(pdfCapture.artifacts.text!.digest)).toString('utf8');
    for (const paragraph of REPORT_PARAGRAPHS) expect(text).toContain(paragraph);
    const [pdfVersion] = await catalog().listVersions(byUrl.get(reportUrl())!.id);
    expect(pdfVersion).toMatchObject({ number: 1, title: 'Riverfront flood study' });

    expect(await drain(inboxOf(worker.fn, 'ALERTS_TOPIC_ARN'))).toEqual([]);
    expect(await drain(inboxOf(worker.fn, 'TOPIC_ARN'))).toEqual([]);
  });

  it('an edit on the site becomes a second version, stored in S3, and exactly one edit notification', async () => {
    article = { state: EDITED, round: 1 };
    const watch = (await catalog().listWatches()).find((w) => w.url === articleUrl())!;
    // What the planner queues when the watch is next due.
    await aws.sqs.send(
      new SendMessageCommand({
        QueueUrl: captureQueue.url,
        MessageBody: JSON.stringify({ watchId: watch.id, dueAt: new Date().toISOString() }),
      }),
    );
    expect(await deliverAll(worker)).toBe(1); // the same, warm, execution environment

    const versions = await catalog().listVersions(watch.id);
    expect(versions.map((v) => v.number)).toEqual([1, 2]);
    expect(versions[1]!.title).toBe(EDITED.headline);
    const sent = (await drain(inboxOf(worker.fn, 'TOPIC_ARN'))).map((m) => JSON.parse(m.Body!));
    expect(sent).toEqual([
      expect.objectContaining({
        type: 'redline.edit',
        url: articleUrl(),
        oldVersion: 1,
        newVersion: 2,
        tags: ['city'],
      }),
    ]);
    expect(await drain(inboxOf(worker.fn, 'ALERTS_TOPIC_ARN'))).toEqual([]);

    const blobs = new S3BlobStore(aws.s3, bucket);
    for (const version of versions) {
      for (const ref of Object.values(version.artifacts)) {
        expect(sha256(await blobs.get(ref.digest))).toBe(ref.digest);
      }
    }
  });
});
