import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { DynamoCatalog } from '../adapters/dynamo/dynamo-catalog.js';
import { powertoolsLogger } from '../adapters/powertools-logger.js';
import { CLOUDFORMATION_CUSTOM_RESOURCE_RESPONSE_MAX_BYTES } from '../contracts/aws-limits.js';
import { parseEnv, WatchSyncEnvSchema } from '../contracts/env.js';
import { type Clock, systemClock } from '../core/domain/clock.js';
import { type Digest, DigestSchema, sha256 } from '../core/domain/digest.js';
import { IntegrityError, InvalidInputError, RedlineError } from '../core/domain/errors.js';
import type { Logger, WatchStore } from '../core/domain/ports.js';
import { normalizeUrl, watchIdFor } from '../core/domain/url.js';
import { WatchSpecSchema, watchSettingsOf } from '../core/watches/watch-spec.js';
import { addWatch, type WatchSettings } from '../core/watches/watches.js';

/**
 * The watch list synced on deploy: a CloudFormation custom resource (infra/capture-stack.ts) whose
 * properties name the list's S3 asset and its digest. Create and Update read the list, check it whole,
 * then upsert every watch through the core's addWatch; Delete keeps the watches. The answer PUT to
 * CloudFormation carries only a count and a digest, and any failure (an invalid entry, a failed write,
 * the time budget) answers FAILED with a short reason, so a bad list fails the deploy instead of passing it.
 */

/** CloudFormation's custom-resource response limit, from the one limits contract. */
export const CUSTOM_RESOURCE_RESPONSE_LIMIT_BYTES = CLOUDFORMATION_CUSTOM_RESOURCE_RESPONSE_MAX_BYTES;
/** Entries and bytes of one watch list at most: a bigger list fails the deploy rather than the time budget. */
export const MAX_WATCH_LIST_ENTRIES = 10_000;
export const MAX_WATCH_LIST_BYTES = 4 * 1024 * 1024;
/** Upserts in flight at once (each is a GetItem and a PutItem). */
export const SYNC_CONCURRENCY = 8;
/** Time kept back from the function's budget to deliver the answer when the sync overruns. */
export const RESPONSE_RESERVE_MS = 15_000;
/** Characters of a failure reason kept before the log-stream pointer (CloudFormation shows it in stack events). */
const REASON_MAX_CHARS = 400;
/** The physical id of the one watch-list resource; Update keeps it, so CloudFormation never replaces it. */
export const WATCH_LIST_RESOURCE_ID = 'redline-watch-list';

/** The watch list cannot be synced: unreadable, invalid, duplicated, too large, or a write failed. */
export class WatchListSyncError extends RedlineError {}

/** CloudFormation's response URL did not take the answer. */
export class CustomResourceResponseError extends RedlineError {}

/** What CloudFormation sends a custom resource's function (the fields this one reads). */
export const CustomResourceEventSchema = z
  .object({
    RequestType: z.enum(['Create', 'Update', 'Delete']),
    ResponseURL: z.url({ protocol: /^https?$/ }),
    StackId: z.string().min(1),
    RequestId: z.string().min(1),
    LogicalResourceId: z.string().min(1),
    PhysicalResourceId: z.string().min(1).optional(),
    ResourceProperties: z.record(z.string(), z.unknown()).default({}),
  })
  .loose();
export type CustomResourceEvent = z.infer<typeof CustomResourceEventSchema>;

/** The resource's properties, set by infra/capture-stack.ts (ServiceToken besides). */
export const WatchListPropertiesSchema = z.object({
  WatchListBucket: z.string().min(1),
  WatchListKey: z.string().min(1),
  WatchListDigest: DigestSchema,
});

export interface CustomResourceResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  Data?: Record<string, string>;
}

/** Reads one object, refusing one over `maxBytes`. */
export type ObjectReader = (bucket: string, key: string, maxBytes: number) => Promise<Uint8Array>;

export interface WatchSyncDeps {
  logger: Logger;
  clock: Clock;
  /** Builds the store and the reader; called inside the answer, so a broken environment answers FAILED. */
  open(): { watches: WatchStore; readObject: ObjectReader };
}

/**
 * Checks the whole list before anything is written: the watch-spec schema, URL, cadence, link pattern,
 * and no URL twice (after normalization). Pure, so the stack runs it at synth too. Throws WatchListSyncError
 * naming the first bad entry.
 */
export function planWatchList(list: unknown): WatchSettings[] {
  if (!Array.isArray(list)) throw new WatchListSyncError('the watch list must be a JSON array');
  if (list.length > MAX_WATCH_LIST_ENTRIES) {
    throw new WatchListSyncError(
      `the watch list has ${list.length} entries; at most ${MAX_WATCH_LIST_ENTRIES}`,
    );
  }
  const seen = new Map<string, number>();
  return list.map((entry, index) => {
    const parsed = WatchSpecSchema.safeParse(entry);
    if (!parsed.success) {
      const url = (entry as { url?: unknown } | null)?.url;
      const named = typeof url === 'string' ? ` (${url.slice(0, 200)})` : '';
      throw new WatchListSyncError(
        `watch list entry ${index}${named}: ${oneLine(z.prettifyError(parsed.error))}`,
        { cause: parsed.error },
      );
    }
    const spec = parsed.data;
    try {
      const url = normalizeUrl(spec.url);
      const first = seen.get(watchIdFor(url));
      if (first !== undefined) throw new InvalidInputError(`the same URL as entry ${first}`);
      seen.set(watchIdFor(url), index);
      return { ...watchSettingsOf(spec), url };
    } catch (cause) {
      throw new WatchListSyncError(
        `watch list entry ${index} (${spec.url.slice(0, 200)}): ${(cause as Error).message}`,
        { cause },
      );
    }
  });
}

/**
 * Upserts every watch of the list (JSON bytes whose digest must be `expected`): existing watches keep
 * their history and schedule, watches not in the list are left alone. Throws on the first failure.
 */
export async function syncWatchList(
  bytes: Uint8Array,
  expected: Digest,
  deps: { watches: WatchStore; clock: Clock },
  options: { concurrency?: number; signal?: AbortSignal } = {},
): Promise<{ count: number; created: number; digest: Digest }> {
  if (bytes.byteLength > MAX_WATCH_LIST_BYTES) {
    throw new WatchListSyncError(
      `the watch list is ${bytes.byteLength} bytes; at most ${MAX_WATCH_LIST_BYTES}`,
    );
  }
  const digest = sha256(bytes);
  if (digest !== expected) {
    throw new IntegrityError(`the watch list read hashes to ${digest}, the stack expects ${expected}`);
  }
  let list: unknown;
  try {
    list = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new WatchListSyncError(`the watch list is not UTF-8 JSON: ${(cause as Error).message}`, { cause });
  }
  const settings = planWatchList(list);
  let next = 0;
  let created = 0;
  let failure: Error | undefined;
  const upsertNext = async () => {
    // Each lane takes the next entry until the list is done, a write failed, or the deadline passed.
    while (failure === undefined && next < settings.length) {
      if (options.signal?.aborted) {
        failure = new WatchListSyncError('stopped: the time budget ran out', {
          cause: options.signal.reason,
        });
        return;
      }
      const index = next++;
      const watch = settings[index]!;
      try {
        if ((await addWatch(deps, watch)).created) created++;
      } catch (cause) {
        failure ??= new WatchListSyncError(
          `watch list entry ${index} (${watch.url.slice(0, 200)}): ${(cause as Error).message}`,
          { cause },
        );
      }
    }
  };
  const lanes = Math.max(1, Math.min(options.concurrency ?? SYNC_CONCURRENCY, settings.length));
  await Promise.all(Array.from({ length: lanes }, upsertNext));
  if (failure) throw failure;
  return { count: settings.length, created, digest };
}

/** Answers one CloudFormation request. Never throws: every failure is a FAILED answer with a short reason. */
export async function answerWatchSync(
  event: CustomResourceEvent,
  deps: WatchSyncDeps,
  signal?: AbortSignal,
): Promise<CustomResourceResponse> {
  const base = {
    PhysicalResourceId: event.PhysicalResourceId ?? WATCH_LIST_RESOURCE_ID,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  };
  // Removing the resource (or rolling back its creation) keeps the watches: they carry capture history.
  if (event.RequestType === 'Delete') return { ...base, Status: 'SUCCESS' };
  const started = performance.now();
  try {
    const properties = WatchListPropertiesSchema.safeParse(event.ResourceProperties);
    if (!properties.success) {
      throw new InvalidInputError(
        `invalid resource properties: ${oneLine(z.prettifyError(properties.error))}`,
      );
    }
    const { WatchListBucket: bucket, WatchListKey: key, WatchListDigest: expected } = properties.data;
    const { watches, readObject } = deps.open();
    const bytes = await readObject(bucket, key, MAX_WATCH_LIST_BYTES);
    const result = await syncWatchList(bytes, expected, { watches, clock: deps.clock }, { signal });
    deps.logger.info('watch list synced', {
      requestType: event.RequestType,
      ...result,
      ms: Math.round(performance.now() - started),
    });
    return { ...base, Status: 'SUCCESS', Data: { Count: String(result.count), Digest: result.digest } };
  } catch (error) {
    deps.logger.error('watch list sync failed', { requestType: event.RequestType, error: String(error) });
    return { ...base, Status: 'FAILED', Reason: reasonOf(error) };
  }
}

/** The answer as JSON within CloudFormation's limit: only the reason can be long, so it is shortened to fit. */
export function responseBody(response: CustomResourceResponse): string {
  let body = JSON.stringify(response);
  let reason = response.Reason ?? '';
  // Each pass cuts at least the excess (a character is at least one byte); escapes can need a second pass.
  for (let pass = 0; pass < 4 && Buffer.byteLength(body) > CUSTOM_RESOURCE_RESPONSE_LIMIT_BYTES; pass++) {
    const excess = Buffer.byteLength(body) - CUSTOM_RESOURCE_RESPONSE_LIMIT_BYTES;
    reason = `${reason.slice(0, Math.max(0, reason.length - excess - 3))}...`;
    body = JSON.stringify({ ...response, Reason: reason });
  }
  if (Buffer.byteLength(body) <= CUSTOM_RESOURCE_RESPONSE_LIMIT_BYTES) return body;
  const { Data: _data, ...rest } = response;
  return JSON.stringify({ ...rest, Status: 'FAILED', Reason: 'the answer did not fit the response limit' });
}

export interface PutOptions {
  attempts?: number;
  backoffMs?: number;
  timeoutMs?: number;
}

/**
 * PUTs the answer to CloudFormation's presigned S3 URL, with an empty content type as the URL was signed
 * for; retries network errors and 5xx answers. Throws CustomResourceResponseError when all attempts fail
 * (the function then fails, and Lambda's asynchronous retries run the idempotent sync again).
 */
export async function putResponse(url: string, body: string, options: PutOptions = {}): Promise<void> {
  const { attempts = 4, backoffMs = 1000, timeoutMs = 15_000 } = options;
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  for (let attempt = 1; ; attempt++) {
    let retry = true;
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const request = send(
          target,
          {
            method: 'PUT',
            headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
            timeout: timeoutMs,
          },
          (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode ?? 0));
            response.on('error', reject);
          },
        );
        request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        request.on('error', reject);
        request.end(body);
      });
      if (status >= 200 && status < 300) return;
      retry = status >= 500;
      throw new Error(`HTTP ${status}`);
    } catch (cause) {
      if (!retry || attempt >= attempts) {
        throw new CustomResourceResponseError(
          `the response URL refused the answer after ${attempt} attempt(s): ${(cause as Error).message}`,
          { cause },
        );
      }
      await sleep(backoffMs * attempt);
    }
  }
}

/** What a Lambda context offers that this function uses. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
  logStreamName?: string;
}

/**
 * One CloudFormation request, start to end: answer it (FAILED if the time budget runs out first, keeping
 * RESPONSE_RESERVE_MS to deliver that), then PUT the answer to the response URL. Throws only when the
 * event is not a custom-resource request or the answer cannot be delivered.
 */
export async function respondToCloudFormation(
  event: unknown,
  context: LambdaContext,
  deps: WatchSyncDeps,
  putOptions?: PutOptions,
): Promise<CustomResourceResponse> {
  const parsed = CustomResourceEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new InvalidInputError(
      `not a CloudFormation custom-resource request: ${oneLine(z.prettifyError(parsed.error))}`,
    );
  }
  const request = parsed.data;
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<CustomResourceResponse>((resolve) => {
    const budget = Math.max(0, context.getRemainingTimeInMillis() - RESPONSE_RESERVE_MS);
    timer = setTimeout(() => {
      abort.abort(new WatchListSyncError('time budget exhausted'));
      resolve({
        Status: 'FAILED',
        Reason: `WatchListSyncError: the sync did not finish within the function's time budget (${budget} ms)`,
        PhysicalResourceId: request.PhysicalResourceId ?? WATCH_LIST_RESOURCE_ID,
        StackId: request.StackId,
        RequestId: request.RequestId,
        LogicalResourceId: request.LogicalResourceId,
      });
    }, budget);
  });
  let response: CustomResourceResponse;
  try {
    response = await Promise.race([answerWatchSync(request, deps, abort.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
  if (response.Status === 'FAILED' && context.logStreamName) {
    response = { ...response, Reason: `${response.Reason} (log stream ${context.logStreamName})` };
  }
  await putResponse(request.ResponseURL, responseBody(response), putOptions);
  return response;
}

/** Reads an S3 object whole, refusing (without reading it) one over `maxBytes`. */
export function s3ObjectReader(s3: S3Client): ObjectReader {
  return async (bucket, key, maxBytes) => {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const body = object.Body;
    if (!body) throw new WatchListSyncError(`s3://${bucket}/${key} has no body`);
    if ((object.ContentLength ?? 0) > maxBytes) {
      (body as { destroy?: () => void }).destroy?.();
      throw new WatchListSyncError(`the watch list is ${object.ContentLength} bytes; at most ${maxBytes}`);
    }
    const bytes = await body.transformToByteArray();
    if (bytes.byteLength > maxBytes) {
      throw new WatchListSyncError(`the watch list is ${bytes.byteLength} bytes; at most ${maxBytes}`);
    }
    return bytes;
  };
}

function reasonOf(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const line = oneLine(text);
  return line.length > REASON_MAX_CHARS ? `${line.slice(0, REASON_MAX_CHARS)}...` : line;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

const logger = powertoolsLogger('redline-watch-sync');
let opened: ReturnType<WatchSyncDeps['open']> | undefined;

/** The custom resource's function: CloudFormation invokes it asynchronously with each request. */
export async function handler(event: unknown, context: LambdaContext): Promise<void> {
  await respondToCloudFormation(event, context, {
    logger,
    clock: systemClock,
    open() {
      opened ??= {
        watches: new DynamoCatalog(new DynamoDBClient({}), parseEnv(WatchSyncEnvSchema).TABLE_NAME),
        readObject: s3ObjectReader(new S3Client({})),
      };
      return opened;
    },
  });
}
