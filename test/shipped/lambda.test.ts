import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArticleState, articlePage, EDITED, ORIGINAL } from '../../demo/news-site.js';
import { DynamoCatalog } from '../../functions/adapters/dynamo/dynamo-catalog.js';
import { S3BlobStore } from '../../functions/adapters/s3/s3-blob-store.js';
import { sha256 } from '../../functions/core/domain/digest.js';
import type { CaptureRecord, Watch } from '../../functions/core/domain/model.js';
import { startAwsEmulator, startDynalite } from '../support/emulators.js';
import { type FixtureServer, startFixtureServer } from '../support/fixture-server.js';
import {
  buildSdkNodeModules,
  type CloudAssembly,
  directoryBytes,
  functionById,
  type LambdaContainer,
  reachableNodeModules,
  resolvableFrom,
  synthesizeApp,
} from '../support/shipped.js';
import { EmulatedStage } from '../support/shipped-stage.js';
import { simplePdf } from '../support/simple-pdf.js';

/**
 * What CDK ships, run as Lambda runs it. `cdk synth` bundles the functions (esbuild, and npm for the
 * worker's nodeModules); each function's asset directory then runs in its own Node process that can
 * import only that directory and the AWS SDK (the runtime's), with the template's environment variables
 * pointed at dynalite and fauxqs resources made from the template's own definitions. The worker renders
 * on @sparticuz/chromium's Lambda path (AWS_EXECUTION_ENV: it unpacks its Amazon Linux 2023 libraries).
 */
const REGION = 'us-east-1';
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
let stage: EmulatedStage;
let article: { state: ArticleState; round: number } = { state: ORIGINAL, round: 0 };

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
  stage = new EmulatedStage(assembly, db, aws, { root, region: REGION, accountId: '000000000000' });
  await stage.provision();
}, 600_000);

afterAll(async () => {
  await stage?.stop();
  await Promise.all([db?.stop(), aws?.stop(), site?.close()]);
  if (root) rmSync(root, { recursive: true, force: true });
}, 120_000);

const articleUrl = () => `${site.url}/2026/11/24/flood-barrier`;
const reportUrl = () => `${site.url}/reports/flood-study.pdf`;
const workerFn = () => functionById(assembly, 'CaptureWorker');
const catalog = () => new DynamoCatalog(db.client, stage.variable(workerFn(), 'TABLE_NAME'));
const blobs = () => new S3BlobStore(aws.s3, stage.variable(workerFn(), 'BUCKET_NAME'));
const captureQueue = () => stage.variable(functionById(assembly, 'Planner'), 'QUEUE_URL');

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
    const env = { PATH: process.env.PATH };
    const adminDir = functionById(assembly, 'WatchAdmin').assetDir;
    const admin = await resolvableFrom(
      adminDir,
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
    const workerDir = workerFn().assetDir;
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
    const admin = await stage.start('WatchAdmin');
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
    const urls = [articleUrl(), reportUrl()].sort();
    expect(result.watches.map((w) => w.url).sort()).toEqual(urls);
    expect((await catalog().listWatches()).map((w) => w.url).sort()).toEqual(urls);
  });

  it('the planner’s tick queues one capture request per due watch', async () => {
    const planner = await stage.start('Planner');
    const { result } = await planner.invoke({ kind: 'tick' });
    expect(result).toEqual({ due: 2, queued: 2 });
    const { Attributes } = await aws.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: captureQueue(),
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    expect(Attributes?.ApproximateNumberOfMessages).toBe('2');
    expect((await planner.invoke({ kind: 'tick' })).result).toEqual({ due: 0, queued: 0 }); // leased
  });

  let worker: LambdaContainer;

  it('the capture worker captures the article in Lambda-path Chromium and reads the PDF report’s text', async () => {
    worker = await stage.start('CaptureWorker', {
      // The test's only departure from the deployed configuration: the fixture site is on 127.0.0.1.
      REDLINE_ALLOW_PRIVATE_NETWORK: '1',
    });
    expect(await stage.deliver(worker, captureQueue())).toMatchObject({ delivered: 2, failed: [] });

    const byUrl = new Map((await catalog().listWatches()).map((w) => [w.url, w]));
    const articleCaptures = await catalog().listCaptures(byUrl.get(articleUrl())!.id);
    expect(articleCaptures).toHaveLength(1);
    expect(articleCaptures[0]).toMatchObject({ status: 'complete', verdict: 'first', version: 1 });
    expect(Object.keys(articleCaptures[0]!.artifacts)).toEqual(
      expect.arrayContaining(['rendered', 'screenshot', 'pdf']),
    );
    // @sparticuz/chromium took its Lambda path: the Amazon Linux 2023 libraries were unpacked into /tmp.
    expect(existsSync(join(worker.env.TMPDIR!, 'al2023', 'lib'))).toBe(true);
    expect(existsSync(join(worker.env.TMPDIR!, 'chromium'))).toBe(true);

    const reportCaptures = await catalog().listCaptures(byUrl.get(reportUrl())!.id);
    expect(reportCaptures).toHaveLength(1);
    const pdfCapture: CaptureRecord = reportCaptures[0]!;
    expect(pdfCapture.anomaly, JSON.stringify(pdfCapture.steps)).toBeUndefined();
    expect(pdfCapture).toMatchObject({ status: 'complete', verdict: 'first', version: 1 });
    const text = Buffer.from(await blobs().get(pdfCapture.artifacts.text!.digest)).toString('utf8');
    for (const paragraph of REPORT_PARAGRAPHS) expect(text).toContain(paragraph);
    const [pdfVersion] = await catalog().listVersions(byUrl.get(reportUrl())!.id);
    expect(pdfVersion).toMatchObject({ number: 1, title: 'Riverfront flood study' });

    expect(await stage.drain(stage.inbox(worker.fn, 'ALERTS_TOPIC_ARN'))).toEqual([]);
    expect(await stage.drain(stage.inbox(worker.fn, 'TOPIC_ARN'))).toEqual([]);
  });

  it('an edit on the site becomes a second version, stored in S3, and exactly one edit notification', async () => {
    article = { state: EDITED, round: 1 };
    const watch = (await catalog().listWatches()).find((w) => w.url === articleUrl())!;
    // What the planner queues when the watch is next due.
    await aws.sqs.send(
      new SendMessageCommand({
        QueueUrl: captureQueue(),
        MessageBody: JSON.stringify({ watchId: watch.id, dueAt: new Date().toISOString() }),
      }),
    );
    // The same execution environment, warm.
    expect(await stage.deliver(worker, captureQueue())).toMatchObject({ delivered: 1, failed: [] });

    const versions = await catalog().listVersions(watch.id);
    expect(versions.map((v) => v.number)).toEqual([1, 2]);
    expect(versions[1]!.title).toBe(EDITED.headline);
    const sent = (await stage.drain(stage.inbox(worker.fn, 'TOPIC_ARN'))).map((m) => JSON.parse(m.Body!));
    expect(sent).toEqual([
      expect.objectContaining({
        type: 'redline.edit',
        url: articleUrl(),
        oldVersion: 1,
        newVersion: 2,
        tags: ['city'],
      }),
    ]);
    expect(await stage.drain(stage.inbox(worker.fn, 'ALERTS_TOPIC_ARN'))).toEqual([]);

    for (const version of versions) {
      for (const ref of Object.values(version.artifacts)) {
        expect(sha256(await blobs().get(ref.digest))).toBe(ref.digest);
      }
    }
  });

  it('every line the functions wrote is a structured JSON log line (no stray library output)', () => {
    expect(stage.containers.map((c) => c.fn.id)).toEqual(['WatchAdmin', 'Planner', 'CaptureWorker']);
    for (const container of stage.containers) {
      const lines = container.output.split('\n').filter((line) => line.trim());
      const stray = lines.filter((line) => {
        try {
          return typeof JSON.parse(line) !== 'object';
        } catch {
          return true;
        }
      });
      expect({ fn: container.fn.id, stray }).toEqual({ fn: container.fn.id, stray: [] });
    }
  });
});
