import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import LinkHeader from 'http-link-header';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArticleState, articlePage, EDITED, ORIGINAL } from '../../demo/news-site.js';
import { DynamoCatalog } from '../../functions/adapters/dynamo/dynamo-catalog.js';
import { S3BlobStore } from '../../functions/adapters/s3/s3-blob-store.js';
import { signArchivePath } from '../../functions/api/archive-token.js';
import { captureUrl } from '../../functions/core/capture/capture.js';
import { sha256 } from '../../functions/core/domain/digest.js';
import type { CaptureRecord, Watch } from '../../functions/core/domain/model.js';
import { emulatedWorker, startAwsEmulator, startDynalite } from '../support/emulators.js';
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
import { startTestTsa, type TestTsa } from '../support/test-tsa.js';
import { unzip } from '../support/zip.js';

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
let tsa: TestTsa;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'redline-shipped-'));
  // The dev stage with timestamps on: its authority is the test TSA, its roots shipped in the bundles.
  tsa = await startTestTsa();
  const configDir = join(root, 'config');
  mkdirSync(configDir);
  const dev = JSON.parse(readFileSync(join(import.meta.dirname, '../../config/dev.json'), 'utf8'));
  writeFileSync(
    join(configDir, 'dev.json'),
    JSON.stringify({ ...dev, tsa: { urls: [tsa.url], caFile: 'tsa-roots.pem' } }),
  );
  writeFileSync(join(configDir, 'tsa-roots.pem'), tsa.rootPem);
  [assembly, db, aws, site] = await Promise.all([
    synthesizeApp(join(root, 'cdk.out'), {
      stage: 'dev',
      tmpdir: join(root, 'synth-tmp'),
      env: { REDLINE_CONFIG_DIR: configDir },
    }),
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
  await Promise.all([db?.stop(), aws?.stop(), site?.close(), tsa?.close()]);
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
    // Redline's own functions; aws-cdk-lib's BucketDeployment provider (Python, it copies the viewer's
    // files at deploy time) is not one of them.
    const redline = assembly.functions.filter((fn) => !fn.id.startsWith('Custom::'));
    expect(redline.map((fn) => fn.id).sort()).toEqual([
      'ApiFunction',
      'ArchiveFunction',
      'CaptureWorker',
      'Planner',
      'Verifier',
      'WatchAdmin',
    ]);
    for (const fn of redline) {
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

describe('the scheduled verifier as shipped, and timestamps on AWS', () => {
  const verifierFn = () => functionById(assembly, 'Verifier');
  const verifyQueue = () => stage.variable(verifierFn(), 'VERIFY_QUEUE_URL');
  const alertsInbox = () => stage.inbox(verifierFn(), 'ALERTS_TOPIC_ARN');
  const bucket = () => stage.variable(workerFn(), 'BUCKET_NAME');
  const watchOf = async (url: string) => (await catalog().listWatches()).find((w) => w.url === url)!;

  /** What the schedule puts on the verifier's queue (EventBridge Scheduler fills in the time). */
  const scheduled = () =>
    aws.sqs.send(
      new SendMessageCommand({
        QueueUrl: verifyQueue(),
        MessageBody: JSON.stringify({ kind: 'verify', scheduledTime: new Date().toISOString() }),
      }),
    );

  /** The EMF metric values the container printed after `mark` (its output length before the run). */
  const emitted = (container: LambdaContainer, mark: number) =>
    container.output
      .slice(mark)
      .split('\n')
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  /** Runs one scheduled pass to its end through the queue's event source: invocations, alerts, metrics. */
  async function pass(verifier: LambdaContainer) {
    const mark = verifier.output.length;
    await scheduled();
    const start = performance.now();
    const delivery = await stage.deliver(verifier, verifyQueue());
    const ms = performance.now() - start;
    expect(delivery.failed).toEqual([]);
    const alerts = (await stage.drain(alertsInbox())).map((m) => JSON.parse(m.Body!));
    const metrics = emitted(verifier, mark);
    const sum = (name: string) =>
      metrics.reduce((n, m) => n + (typeof m[name] === 'number' ? (m[name] as number) : 0), 0);
    return {
      invocations: delivery.invocations,
      ms,
      alerts,
      metrics,
      problems: metrics.filter((m) => 'VerifyProblems' in m).map((m) => m.VerifyProblems),
      blobs: sum('BlobsVerified'),
      bytes: sum('BytesVerified'),
    };
  }

  it('ships the TSA roots inside the worker’s and the verifier’s bundles, and the worker’s versions were stamped', async () => {
    for (const fn of [workerFn(), verifierFn()]) {
      expect(fn.environment.REDLINE_TSA_CA_FILE).toBe('tsa-roots.pem');
      expect(readFileSync(join(fn.assetDir, 'tsa-roots.pem'), 'utf8')).toBe(tsa.rootPem);
    }
    expect(workerFn().environment.REDLINE_TSA_URLS).toBe(tsa.url);
    const versions = await catalog().listVersions((await watchOf(articleUrl())).id);
    expect(versions).toHaveLength(2);
    for (const version of versions) {
      expect(version.timestamps).toEqual([expect.objectContaining({ tsa: tsa.url })]);
    }
  });

  let verifier: LambdaContainer;
  let clean: Awaited<ReturnType<typeof pass>>;

  it('a clean archive: every blob re-hashed, every token checked against the shipped roots, no alert, VerifyProblems 0', async () => {
    verifier = await stage.start('Verifier');
    clean = await pass(verifier);
    expect(clean.invocations).toHaveLength(1);
    expect(clean.alerts).toEqual([]);
    expect(clean.problems).toEqual([0]);
    expect(clean.blobs).toBeGreaterThan(10);
    expect(clean.bytes).toBeGreaterThan(clean.blobs);
    for (const m of clean.metrics) expect(m).toMatchObject({ service: 'verifier' });
    console.info(
      `verifier, bundled: ${clean.blobs} blobs, ${(clean.bytes / 1024 / 1024).toFixed(1)} MB in ${clean.invocations[0]!.ms} ms (one invocation, its first; init ${verifier.initMs} ms)`,
    );
  });

  let corrupted: string;
  let tampered: Awaited<ReturnType<typeof pass>>;
  let restore: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await restore?.();
  });
  it('a flipped byte in an S3 blob and a version pointed at another blob: one alert naming both', async () => {
    const watch = await watchOf(articleUrl());
    const [v1, v2] = await catalog().listVersions(watch.id);
    corrupted = v1!.artifacts.screenshot!.digest;
    const key = blobs().keyOf(corrupted);
    const object = await aws.s3.send(new GetObjectCommand({ Bucket: bucket(), Key: key }));
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    const original = Buffer.from(bytes);
    const table = stage.variable(workerFn(), 'TABLE_NAME');
    restore = async () => {
      // Put back what was tampered with: the suites after this one read the same archive.
      await aws.s3.send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: original }));
      await db.client.send(
        new DeleteItemCommand({
          TableName: table,
          Key: marshall({ pk: `WATCH#${watch.id}`, sk: `VERSION#${String(2).padStart(8, '0')}` }),
        }),
      );
      await catalog().putVersion(v2!);
    };
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0x01;
    await aws.s3.send(new PutObjectCommand({ Bucket: bucket(), Key: key, Body: bytes }));
    // Someone with write access to the table points version 2 at version 1's rendered HTML.
    await db.client.send(
      new DeleteItemCommand({
        TableName: table,
        Key: marshall({ pk: `WATCH#${watch.id}`, sk: `VERSION#${String(2).padStart(8, '0')}` }),
      }),
    );
    await catalog().putVersion({
      ...v2!,
      artifacts: { ...v2!.artifacts, rendered: v1!.artifacts.rendered! },
    });

    const run = await pass(verifier);
    tampered = run;
    expect(run.alerts).toHaveLength(1);
    const [alert] = run.alerts;
    expect(alert).toMatchObject({
      type: 'redline.verify',
      stage: 'dev',
      mode: 'full',
      complete: true,
      invocations: 1,
      omittedProblems: 0,
    });
    const named = alert.problems.map((p: { code: string; url: string; record: string; what?: string }) =>
      `${p.code} ${p.url === articleUrl() ? 'article' : p.url} ${p.record} ${p.what ?? ''}`.trim(),
    );
    expect(named.sort()).toEqual(
      [
        `blob_corrupt article capture ${v1!.captureId} screenshot`,
        'blob_corrupt article version 1 screenshot',
        'manifest_mismatch article version 2 artifacts.rendered',
        'record_mismatch article version 2 rendered',
      ].sort(),
    );
    expect(alert.problems.find((p: { code: string }) => p.code === 'blob_corrupt')).toMatchObject({
      watchId: watch.id,
      digest: corrupted,
    });
    expect(alert.problemCount).toBe(4);
    expect(run.problems).toEqual([4]);
  });

  it('a deadline forced short: the pass stops after a watch, continues from its cursor, and finishes', async () => {
    // The stop margin as long as the invocation: each invocation verifies its first watch only.
    const short = await stage.start('Verifier', {
      VERIFY_STOP_MARGIN_SECONDS: String(verifierFn().timeoutSeconds),
    });
    const run = await pass(short);
    expect(run.invocations).toHaveLength(2); // two watches: the article, the report
    expect(run.alerts).toHaveLength(1);
    expect(run.alerts[0]).toMatchObject({ invocations: 2, complete: true, problemCount: 4 });
    expect(run.problems).toEqual([4]); // once, when the pass ends
    // The same blobs as the same pass in one invocation, each read once across the two (the corrupt one
    // is not counted as verified).
    expect(run.blobs).toBe(tampered.blobs);
    expect(run.bytes).toBe(tampered.bytes);
    expect(tampered.blobs).toBe(clean.blobs - 1);
    await short.stop();
  });

  it('printed nothing but structured JSON lines (logs and EMF metrics)', () => {
    const lines = verifier.output.split('\n').filter((line) => line.trim());
    const stray = lines.filter((line) => {
      try {
        return typeof JSON.parse(line) !== 'object';
      } catch {
        return true;
      }
    });
    expect(stray).toEqual([]);
  });
});

/** The HTTP API (payload 2.0) event API Gateway sends once its JWT authorizer has verified a Cognito access token. */
function httpApiEvent(
  method: string,
  pathAndQuery: string,
  options: { body?: string; headers?: Record<string, string>; claims?: Record<string, string> | null } = {},
) {
  const [rawPath, rawQueryString = ''] = splitQuery(pathAndQuery);
  const domainName = 'a1b2c3d4e5.execute-api.us-east-1.amazonaws.com';
  const claims =
    options.claims === null
      ? undefined
      : (options.claims ?? {
          sub: '7b1c2d3e-0000-4000-8000-000000000001',
          iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example',
          client_id: 'viewerclient',
          token_use: 'access',
          scope: 'openid email',
          username: '7b1c2d3e-0000-4000-8000-000000000001',
        });
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers: {
      accept: '*/*',
      authorization: 'Bearer eyJraWQiOiJ0ZXN0In0.e30.c2ln',
      host: domainName,
      'user-agent': 'shipped-test',
      'x-forwarded-proto': 'https',
      ...options.headers,
    },
    ...(rawQueryString
      ? { queryStringParameters: Object.fromEntries(new URLSearchParams(rawQueryString)) }
      : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'a1b2c3d4e5',
      ...(claims ? { authorizer: { jwt: { claims, scopes: ['openid', 'email'] } } } : {}),
      domainName,
      domainPrefix: 'a1b2c3d4e5',
      http: {
        method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'shipped-test',
      },
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      routeKey: '$default',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    ...(options.body !== undefined ? { body: options.body } : {}),
    isBase64Encoded: false,
  };
}

/** The Lambda function URL event (payload 2.0) for a request CloudFront forwarded, signed by its OAC. */
function functionUrlEvent(pathAndQuery: string, method = 'GET') {
  const [rawPath, rawQueryString = ''] = splitQuery(pathAndQuery);
  const domainName = 'abcdefghijklmnop.lambda-url.us-east-1.on.aws';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers: {
      host: domainName,
      via: '2.0 example.cloudfront.net (CloudFront)',
      'x-forwarded-proto': 'https',
    },
    requestContext: {
      accountId: '000000000000',
      apiId: 'abcdefghijklmnop',
      authorizer: {
        iam: {
          accessKey: 'ASIAEXAMPLE',
          accountId: '000000000000',
          userArn: 'arn:aws:sts::000000000000:assumed-role/cloudfront',
        },
      },
      domainName,
      domainPrefix: 'abcdefghijklmnop',
      http: {
        method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '198.51.100.1',
        userAgent: 'Amazon CloudFront',
      },
      requestId: `req-${Math.random().toString(36).slice(2)}`,
      routeKey: '$default',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    isBase64Encoded: false,
  };
}

/** A URL's path and query as API Gateway splits them (the first `?`). */
function splitQuery(pathAndQuery: string): [string, string?] {
  const at = pathAndQuery.indexOf('?');
  return at < 0 ? [pathAndQuery] : [pathAndQuery.slice(0, at), pathAndQuery.slice(at + 1)];
}

interface LambdaHttpResult {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}
const decoded = (result: LambdaHttpResult) => {
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  const body = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
  return { status: result.statusCode, headers, body, json: <T>() => JSON.parse(body.toString('utf8')) as T };
};

describe('the API and archive functions as bundled, behind API Gateway and CloudFront', () => {
  let api: LambdaContainer;
  let archiveFn: LambdaContainer;
  const apiFn = () => functionById(assembly, 'ApiFunction');
  const archiveUrl = () => stage.variable(apiFn(), 'ARCHIVE_URL');
  /** A watched URL whose query string is part of the page: Memento must keep it. */
  const printUrl = () => `${site.url}/2026/11/24/flood-barrier?edition=print&page=2`;
  const callApi = async (method: string, path: string, options?: Parameters<typeof httpApiEvent>[2]) =>
    decoded((await api.invoke<LambdaHttpResult>(httpApiEvent(method, path, options))).result);
  const callArchive = async (href: string, method = 'GET') => {
    expect(href.startsWith(archiveUrl())).toBe(true);
    return decoded(
      (await archiveFn.invoke<LambdaHttpResult>(functionUrlEvent(href.slice(archiveUrl().length), method)))
        .result,
    );
  };

  beforeAll(async () => {
    [api, archiveFn] = await Promise.all([stage.start('ApiFunction'), stage.start('ArchiveFunction')]);
  });

  it('the API lists the watches with their state for a verified analyst; without verified claims it refuses', async () => {
    const list = await callApi('GET', '/api/watches');
    expect(list.status).toBe(200);
    expect(list.headers['content-type']).toMatch(/^application\/json/);
    const body = list.json<{
      total: number;
      watches: { url: string; status: string; versionCount: number }[];
    }>();
    expect(body.total).toBe(2);
    expect(body.watches.map((w) => [w.url, w.status, w.versionCount])).toEqual(
      [
        [articleUrl(), 'complete', 2],
        [reportUrl(), 'complete', 1],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    const anonymous = await callApi('GET', '/api/watches', { claims: null });
    expect(anonymous.status).toBe(401);
  });

  it('adds a watch through the API; its TimeMap keeps the URI-R’s query string (and survives merged slashes)', async () => {
    const added = await callApi('POST', '/api/watches', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: printUrl(), every: '1h', mode: 'http', tags: ['print'] }),
    });
    expect(added.status).toBe(201);
    expect(added.json<{ url: string; tags: string[] }>()).toMatchObject({ url: printUrl(), tags: ['print'] });
    // Its first capture, by the capture worker's code on the same emulated table and bucket.
    const worker = emulatedWorker(db, aws, {
      table: stage.variable(workerFn(), 'TABLE_NAME'),
      bucket: stage.variable(workerFn(), 'BUCKET_NAME'),
      editsTopicArn: stage.variable(workerFn(), 'TOPIC_ARN'),
      alertsTopicArn: stage.variable(workerFn(), 'ALERTS_TOPIC_ARN'),
    });
    expect((await captureUrl(worker, printUrl())).version?.number).toBe(1);

    for (const path of [`/timemap/link/${printUrl()}`, `/timemap/link/${printUrl().replace('://', ':/')}`]) {
      const timemap = await callApi('GET', path);
      expect(timemap.status, path).toBe(200);
      expect(timemap.headers['content-type']).toBe('application/link-format');
      const links = LinkHeader.parse(timemap.body.toString('utf8').trim());
      expect(links.rel('original').map((l) => l.uri)).toEqual([printUrl()]);
      const [memento] = links.rel('memento');
      expect(memento!.uri).toMatch(new RegExp(`^${archiveUrl()}/k/\\d+\\.[A-Za-z0-9_-]{43}/web/\\d{14}/`));
      expect(memento!.uri.endsWith(printUrl())).toBe(true);
    }
  });

  it('the TimeGate answers 302 to a signed memento, which the archive function serves sandboxed', async () => {
    const versions = await catalog().listVersions(
      (await catalog().listWatches()).find((w) => w.url === articleUrl())!.id,
    );
    const tg = await callApi('GET', `/timegate/${articleUrl()}`, {
      headers: { 'accept-datetime': new Date(versions[0]!.capturedAt).toUTCString() },
    });
    expect(tg.status).toBe(302);
    expect(tg.headers.vary).toBe('accept-datetime');
    expect(tg.headers.link).toContain(`<${articleUrl()}>; rel="original"`);
    const memento = await callArchive(tg.headers.location!);
    expect(memento.status).toBe(200);
    expect(memento.headers['content-security-policy']).toBe('sandbox');
    expect(memento.headers['memento-datetime']).toBe(new Date(versions[0]!.capturedAt).toUTCString());
    expect(sha256(new Uint8Array(memento.body))).toBe(versions[0]!.artifacts.rendered!.digest);
  });

  it('the archive function serves every artifact link the API hands out: 200, sandboxed, bytes equal to their digest', async () => {
    const id = (await catalog().listWatches()).find((w) => w.url === articleUrl())!.id;
    const listed = await callApi('GET', `/api/watches/${id}/versions`);
    const versions = listed.json<{
      versions: { artifacts: Record<string, { digest: string; href: string; contentType: string }> }[];
    }>().versions;
    const artifacts = versions.flatMap((v) => Object.values(v.artifacts));
    expect(artifacts.map((a) => a.contentType)).toEqual(
      expect.arrayContaining(['image/png', 'application/pdf']),
    );
    for (const artifact of artifacts) {
      const served = await callArchive(artifact.href);
      expect(served.status, artifact.href).toBe(200);
      expect(served.headers['content-security-policy']).toBe('sandbox');
      expect(served.headers['x-content-type-options']).toBe('nosniff');
      expect(served.headers['cache-control']).toMatch(/^private, max-age=\d+$/);
      expect(sha256(new Uint8Array(served.body))).toBe(artifact.digest);
    }
  });

  it('hands an evidence bundle over as a 303 to a short-lived link; the bundle carries the stage’s TSA roots', async () => {
    // The roots ship in the API function's bundle (config tsa.caFile), as in the worker's and the verifier's.
    expect(stage.variable(apiFn(), 'REDLINE_TSA_CA_FILE')).toBe('tsa-roots.pem');
    expect(readFileSync(join(apiFn().assetDir, 'tsa-roots.pem'), 'utf8')).toBe(tsa.rootPem);
    const id = (await catalog().listWatches()).find((w) => w.url === articleUrl())!.id;
    const answer = await callApi('GET', `/api/watches/${id}/evidence?from=1&to=2`);
    expect(answer.status).toBe(303);
    const location = new URL(answer.headers.location!);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('600');
    expect(location.searchParams.get('response-content-disposition')).toMatch(
      /^attachment; filename="redline-/,
    );
    const bucket = stage.variable(apiFn(), 'EXPORTS_BUCKET_NAME');
    const key = decodeURIComponent(
      location.pathname.replace(new RegExp(`^/${bucket}/`), '').replace(/^\//, ''),
    );
    expect(key).toMatch(/^exports\//);
    const object = await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const zip = Buffer.from(await object.Body!.transformToByteArray());
    const names = [...(await unzip(zip)).keys()];
    expect(names).toEqual(
      expect.arrayContaining([
        'SHA256SUMS',
        'tsa-ca.pem',
        'report.pdf',
        'report.html',
        'archive.wacz',
        'diff.html',
      ]),
    );
    expect(names.filter((n) => n.startsWith('tokens/')).length).toBeGreaterThanOrEqual(2);
  });

  it('the archive function refuses unsigned, forged and expired links with 403, and anything but GET and HEAD', async () => {
    const id = (await catalog().listWatches()).find((w) => w.url === reportUrl())!.id;
    const [version] = (await callApi('GET', `/api/watches/${id}/versions`)).json<{
      versions: { artifacts: Record<string, { digest: string; href: string; contentType: string }> }[];
    }>().versions;
    const artifact = Object.values(version!.artifacts).find((a) => a.contentType === 'application/pdf')!;
    const href = artifact.href;
    const path = href.slice(archiveUrl().length);
    const rest = path.replace(/^\/k\/[^/]+/, '');
    const key = Buffer.from(stage.secrets!.value(stage.variable(apiFn(), 'ARCHIVE_KEY_SECRET_ARN'))!, 'utf8');
    const now = Math.floor(Date.now() / 1000);
    const refused = {
      unsigned: `${archiveUrl()}${rest}`,
      forged: `${archiveUrl()}${signArchivePath(Buffer.from('x'.repeat(64)), rest, now + 3600)}`,
      expired: `${archiveUrl()}${signArchivePath(key, rest, now - 1)}`,
    };
    for (const [what, url] of Object.entries(refused)) {
      const answer = await callArchive(url);
      expect(answer.status, what).toBe(403);
      expect(answer.headers['content-security-policy'], what).toBe('sandbox');
    }
    // The same key, a fresh expiry: the link opens (the key in Secrets Manager is the one that signs).
    const fresh = await callArchive(`${archiveUrl()}${signArchivePath(key, rest, now + 600)}`);
    expect(fresh.status).toBe(200);
    expect(sha256(new Uint8Array(fresh.body))).toBe(artifact.digest);
    expect((await callArchive(href, 'POST')).status).toBe(405);
  });
  it('each read its signing key from Secrets Manager once per execution environment, with signed requests', () => {
    // One GetSecretValue per function (its first invocation), however many requests followed.
    const reads = stage.secrets!.requests;
    expect(reads).toHaveLength(2);
    for (const read of reads) {
      expect(read).toMatchObject({ target: 'secretsmanager.GetSecretValue', signed: true });
      expect(read.secretId).toBe(stage.variable(apiFn(), 'ARCHIVE_KEY_SECRET_ARN'));
    }
  });
});
