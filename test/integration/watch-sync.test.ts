import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCatalog } from '../../functions/adapters/dynamo/dynamo-catalog.js';
import { systemClock } from '../../functions/core/domain/clock.js';
import { sha256 } from '../../functions/core/domain/digest.js';
import { silentLogger } from '../../functions/core/domain/ports.js';
import { normalizeUrl } from '../../functions/core/domain/url.js';
import type { WatchSpec } from '../../functions/handlers/watch-admin.js';
import {
  CUSTOM_RESOURCE_RESPONSE_LIMIT_BYTES,
  type CustomResourceResponse,
  CustomResourceResponseError,
  RESPONSE_RESERVE_MS,
  respondToCloudFormation,
  responseBody,
  s3ObjectReader,
  syncWatchList,
  WATCH_LIST_RESOURCE_ID,
  WatchListSyncError,
  type WatchSyncDeps,
} from '../../functions/handlers/watch-sync.js';
import { startAwsEmulator, startDynalite } from '../support/emulators.js';

/**
 * The watch-list custom resource's function, end to end on emulators: the list is an object in fauxqs'
 * S3 (as the CDK asset is in the bootstrap bucket), watches go to dynalite through the real DynamoCatalog,
 * and the answer is PUT over HTTP to a server on 127.0.0.1 playing CloudFormation's presigned response URL.
 */
let db: Awaited<ReturnType<typeof startDynalite>>;
let aws: Awaited<ReturnType<typeof startAwsEmulator>>;
let catalog: DynamoCatalog;
let responseUrl: string;
let closeResponses: () => Promise<void>;
/** What the response URL received, newest last; `statuses` are answered first (then 200). */
const received: { headers: IncomingHttpHeaders; body: string }[] = [];
const statuses: number[] = [];

const BUCKET = 'cdk-assets';
const TABLE = 'redline-watch-sync';

beforeAll(async () => {
  [db, aws] = await Promise.all([startDynalite(), startAwsEmulator()]);
  catalog = new DynamoCatalog(db.client, TABLE);
  await catalog.ensureTable();
  await aws.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = req.method === 'PUT' ? (statuses.shift() ?? 200) : 405;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cfn-response?X-Amz-Signature=test`;
  closeResponses = () => new Promise<void>((resolve) => server.close(() => resolve()));
});
afterAll(async () => {
  await Promise.all([db.stop(), aws.stop(), closeResponses()]);
});

/** A config-like list: articles and feeds, several cadences, modes, tags, link patterns, a robots override. */
function watchList(count: number): WatchSpec[] {
  return Array.from({ length: count }, (_, i) => {
    const site = `https://news${i % 7}.example.org`;
    if (i % 25 === 0) {
      return {
        url: `${site}/section/${i}/`,
        feed: true,
        every: '15m',
        tags: ['index'],
        linkPattern: '^/news/\\d+',
      };
    }
    return {
      url: `${site}/news/${2026_000 + i}/story-${i}`,
      every: ['1h', '6h', '1d', '30m'][i % 4]!,
      mode: (['auto', 'http', 'browser'] as const)[i % 3]!,
      tags: i % 2 ? ['politics', `desk-${i % 5}`] : [],
      ...(i === 7 ? { ignoreRobots: 'Public-interest archive agreed with the publisher' } : {}),
    };
  });
}

let objects = 0;
/** Uploads a list as the CDK asset would be and returns the custom resource's properties for it. */
async function upload(list: unknown) {
  const text = `${JSON.stringify(list, null, 2)}\n`;
  const key = `watch-list-${++objects}.json`;
  await aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: text }));
  return { WatchListBucket: BUCKET, WatchListKey: key, WatchListDigest: sha256(text) };
}

function request(type: 'Create' | 'Update' | 'Delete', properties: Record<string, unknown>) {
  return {
    RequestType: type,
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:Redline-prod-Capture-WatchListSync',
    ResponseURL: responseUrl,
    StackId:
      'arn:aws:cloudformation:us-east-1:123456789012:stack/Redline-prod-Capture/0b5e1a70-cb1f-11f0-a3a5-0affd1c3d2b5',
    RequestId: `req-${type}-${received.length}`,
    LogicalResourceId: 'WatchListSync',
    ResourceType: 'Custom::WatchListSync',
    ...(type === 'Create' ? {} : { PhysicalResourceId: WATCH_LIST_RESOURCE_ID }),
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:…', ...properties },
  };
}

const deps = (table = TABLE): WatchSyncDeps => ({
  logger: silentLogger,
  clock: systemClock,
  open: () => ({ watches: new DynamoCatalog(db.client, table), readObject: s3ObjectReader(aws.s3) }),
});
const context = { getRemainingTimeInMillis: () => 600_000, logStreamName: '2026/11/26/[$LATEST]0f1e2d3c' };
const fast = { backoffMs: 5 };

/** Runs one request and returns what CloudFormation received (parsed) and its size in bytes. */
async function run(event: unknown, d = deps(), ctx = context) {
  const before = received.length;
  const returned = await respondToCloudFormation(event, ctx, d, fast);
  expect(received.length).toBe(before + 1);
  const { body, headers } = received.at(-1)!;
  return {
    returned,
    sent: JSON.parse(body) as CustomResourceResponse,
    bytes: Buffer.byteLength(body),
    headers,
  };
}

describe('watch-list sync (CloudFormation custom resource)', () => {
  const list = watchList(200);

  it('Create upserts all 200 watches and answers SUCCESS with only a count and a digest, far under 4,096 bytes', async () => {
    const properties = await upload(list);
    const event = request('Create', properties);
    const { sent, bytes, headers, returned } = await run(event);

    expect(sent).toEqual({
      Status: 'SUCCESS',
      PhysicalResourceId: WATCH_LIST_RESOURCE_ID,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: 'WatchListSync',
      Data: { Count: '200', Digest: properties.WatchListDigest },
    });
    expect(returned).toEqual(sent);
    expect(bytes).toBeLessThan(CUSTOM_RESOURCE_RESPONSE_LIMIT_BYTES / 4);
    expect(headers['content-type']).toBe(''); // as the presigned URL was signed
    const stored = await catalog.listWatches();
    expect(stored).toHaveLength(200);
    const byUrl = new Map(stored.map((w) => [w.url, w]));
    for (const spec of list) expect(byUrl.has(normalizeUrl(spec.url))).toBe(true);
    expect(byUrl.get(normalizeUrl(list[25]!.url))).toMatchObject({ type: 'feed', cadenceSeconds: 900 });
    expect(byUrl.get(normalizeUrl(list[7]!.url))?.ignoreRobots).toMatch(/Public-interest/);
  });

  it('Update applies changed settings, keeps each watch’s history and schedule, and leaves unlisted watches alone', async () => {
    const before = await catalog.getWatch((await catalog.listWatches())[0]!.id);
    const changed = list.map((spec) =>
      normalizeUrl(spec.url) === before!.url ? { ...spec, every: '2d', tags: ['moved'] } : spec,
    );
    const shorter = changed.filter((s, i) => i < 150 || normalizeUrl(s.url) === before!.url);
    const { sent } = await run(request('Update', await upload(shorter)));

    expect(sent.Status).toBe('SUCCESS');
    expect(sent.Data?.Count).toBe(String(shorter.length));
    const after = await catalog.getWatch(before!.id);
    expect(after).toMatchObject({
      cadenceSeconds: 2 * 86_400,
      tags: ['moved'],
      createdAt: before!.createdAt,
      nextDueAt: before!.nextDueAt,
    });
    expect(await catalog.listWatches()).toHaveLength(200);
  });

  it('an invalid entry fails the deploy: FAILED with a short reason naming it, and nothing is written', async () => {
    const fresh = 'https://fresh.example.org/news/never-written';
    const bad = [
      { url: fresh },
      ...list.slice(1, 150),
      { ...list[150]!, every: 'often' },
      ...list.slice(151),
    ];
    const properties = await upload(bad);
    const { sent, bytes } = await run(request('Update', properties));

    expect(sent.Status).toBe('FAILED');
    expect(sent.Data).toBeUndefined();
    expect(sent.Reason).toMatch(
      /^WatchListSyncError: watch list entry 150 \(https:\/\/news3\.example\.org.*invalid cadence "often"/,
    );
    expect(sent.Reason).toContain('(log stream 2026/11/26/[$LATEST]0f1e2d3c)');
    expect(sent.Reason!.length).toBeLessThan(600);
    expect(bytes).toBeLessThan(CUSTOM_RESOURCE_RESPONSE_LIMIT_BYTES);
    expect((await catalog.listWatches()).map((w) => w.url)).not.toContain(normalizeUrl(fresh));

    // The sync itself throws, which is what turns into the FAILED answer.
    const text = `${JSON.stringify(bad)}`;
    await expect(
      syncWatchList(new TextEncoder().encode(text), sha256(text), { watches: catalog, clock: systemClock }),
    ).rejects.toThrow(WatchListSyncError);
  });

  it('refuses the same URL twice (after normalization), a list that is not an array, and entries past the schema', async () => {
    const twice = [list[0], list[1], { ...list[0], url: `${list[0]!.url}#comments` }];
    expect((await run(request('Create', await upload(twice)))).sent.Reason).toMatch(
      /entry 2 .*the same URL as entry 0/,
    );
    expect((await run(request('Create', await upload({ watches: list })))).sent.Reason).toMatch(
      /must be a JSON array/,
    );
    expect((await run(request('Create', await upload([{ every: '1h' }])))).sent.Reason).toMatch(
      /entry 0: .*url/,
    );
  });

  it('fails when the list read is not the one the template names (digest mismatch)', async () => {
    const properties = await upload(list.slice(0, 3));
    const { sent } = await run(request('Update', { ...properties, WatchListDigest: sha256('another list') }));
    expect(sent.Status).toBe('FAILED');
    expect(sent.Reason).toMatch(/^IntegrityError: the watch list read hashes to sha256:[0-9a-f]{64}/);
  });

  it('fails when a write fails (a table that does not exist), naming the entry', async () => {
    const { sent } = await run(request('Update', await upload(list.slice(0, 20))), deps('no-such-table'));
    expect(sent.Status).toBe('FAILED');
    expect(sent.Reason).toMatch(/^WatchListSyncError: watch list entry \d+ \(https:.*\): /);
    expect(Buffer.byteLength(JSON.stringify(sent))).toBeLessThan(CUSTOM_RESOURCE_RESPONSE_LIMIT_BYTES);
  });

  it('Delete answers SUCCESS and keeps every watch, without reading the list', async () => {
    const count = (await catalog.listWatches()).length;
    const { sent } = await run(
      request('Delete', { WatchListBucket: BUCKET, WatchListKey: 'gone.json', WatchListDigest: sha256('') }),
    );
    expect(sent).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: WATCH_LIST_RESOURCE_ID });
    expect(sent.Data).toBeUndefined();
    expect(await catalog.listWatches()).toHaveLength(count);
  });

  it('answers FAILED before the function times out when the sync cannot finish in its budget', async () => {
    const { sent } = await run(request('Update', await upload(list)), deps(), {
      getRemainingTimeInMillis: () => RESPONSE_RESERVE_MS,
      logStreamName: 'stream',
    });
    expect(sent.Status).toBe('FAILED');
    expect(sent.Reason).toMatch(/did not finish within the function's time budget/);
  });

  it('missing properties answer FAILED; an event that is not CloudFormation’s throws', async () => {
    const { sent } = await run(request('Create', {}));
    expect(sent.Reason).toMatch(/^InvalidInputError: invalid resource properties/);
    await expect(respondToCloudFormation({ action: 'sync' }, context, deps(), fast)).rejects.toThrow(
      /not a CloudFormation custom-resource request/,
    );
  });

  it('retries the response URL on 5xx, and throws when it refuses the answer', async () => {
    statuses.push(503, 500);
    const before = received.length;
    await respondToCloudFormation(request('Delete', {}), context, deps(), fast);
    expect(received.length - before).toBe(3);

    statuses.push(403);
    await expect(respondToCloudFormation(request('Delete', {}), context, deps(), fast)).rejects.toThrow(
      CustomResourceResponseError,
    );
  });

  it('cuts any reason to fit the 4,096-byte response, escapes included', () => {
    const base: CustomResourceResponse = {
      Status: 'FAILED',
      PhysicalResourceId: WATCH_LIST_RESOURCE_ID,
      StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/x/y',
      RequestId: 'r',
      LogicalResourceId: 'WatchListSync',
    };
    for (const reason of ['x'.repeat(10_000), '"\u0001é'.repeat(3000), '😀'.repeat(3000)]) {
      const body = responseBody({ ...base, Reason: reason });
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(CUSTOM_RESOURCE_RESPONSE_LIMIT_BYTES);
      expect(JSON.parse(body)).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/\.\.\.$/) });
    }
  });
});
