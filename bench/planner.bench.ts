/**
 * Planner cost with 100,000 watches in dynalite: items read per tick against the number due, and
 * tick time (query + lease + queue), at 1%, 10% and 100% due.
 *
 *   npm run bench:planner            # 100,000 watches
 *   npm run bench:planner -- 20000   # fewer, faster
 */
import { BatchWriteItemCommand, type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { DynamoCatalog } from '../functions/adapters/dynamo/dynamo-catalog.js';
import { TABLE_SCHEMA } from '../functions/contracts/table.js';
import type { CaptureRequest } from '../functions/core/domain/model.js';
import { planDueCaptures } from '../functions/core/watches/plan.js';
import { buildWatch } from '../functions/core/watches/watches.js';
import { startDynalite } from '../test/support/emulators.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const total = Number(process.argv[2] ?? 100_000);
const db = await startDynalite();
const catalog = new DynamoCatalog(db.client, 'bench');
await catalog.ensureTable();

// Watches due at spread-out times: the first 1% at T+1h, the next 9% at T+2h, the rest at T+3h.
const T = Date.parse('2026-12-01T00:00:00Z');
const dueAtFor = (i: number) =>
  new Date(T + (i < total * 0.01 ? 1 : i < total * 0.1 ? 2 : 3) * 3600_000).toISOString();
const loadStart = performance.now();
const items = Array.from({ length: total }, (_, i) => {
  const watch = {
    ...buildWatch(
      { url: `https://news${i % 97}.example/story/${i}`, cadenceSeconds: 3600, mode: 'auto', tags: [] },
      undefined,
      new Date(T),
    ),
    nextDueAt: dueAtFor(i),
  };
  return {
    pk: `WATCH#${watch.id}`,
    sk: 'WATCH',
    kind: 'WATCH',
    duePk: 'DUE',
    dueSk: `${watch.nextDueAt}#${watch.id}`,
    ...watch,
  };
});
for (let i = 0; i < items.length; i += 25) {
  await writeBatch(db.client, items.slice(i, i + 25));
}
console.log(`loaded ${total} watches in ${((performance.now() - loadStart) / 1000).toFixed(1)} s`);

async function writeBatch(client: DynamoDBClient, batch: Record<string, unknown>[]) {
  let requests = batch.map((item) => ({
    PutRequest: { Item: marshall(item, { removeUndefinedValues: true }) },
  }));
  while (requests.length > 0) {
    const result = await client.send(new BatchWriteItemCommand({ RequestItems: { bench: requests } }));
    requests = (result.UnprocessedItems?.bench ?? []) as typeof requests;
  }
}

/** Items the due-index query reads for `now` (what a tick pays for), counted by DynamoDB's ScannedCount. */
async function itemsRead(now: Date): Promise<number> {
  let read = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(
      new QueryCommand({
        TableName: 'bench',
        IndexName: TABLE_SCHEMA.dueIndex.name,
        KeyConditionExpression: 'duePk = :pk AND dueSk <= :now',
        ExpressionAttributeValues: marshall({ ':pk': 'DUE', ':now': `${now.toISOString()}#~` }),
        ExclusiveStartKey: start as never,
        Select: 'COUNT',
      }),
    );
    read += page.ScannedCount ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return read;
}

console.log(
  `\n${'due'.padStart(6)} ${'watches due'.padStart(12)} ${'items read'.padStart(11)} ${'queued'.padStart(8)} ${'tick (s)'.padStart(9)}`,
);
for (const [share, hours] of [
  ['1%', 1],
  ['10%', 2],
  ['100%', 3],
] as const) {
  const now = new Date(T + hours * 3600_000);
  const read = await itemsRead(now);
  let queued = 0;
  const queue = {
    enqueue: async (requests: CaptureRequest[]) => {
      queued += requests.length;
    },
  };
  const start = performance.now();
  const result = await planDueCaptures(
    { watches: catalog, queue, clock: { now: () => now } },
    { limit: total, leaseSeconds: 86_400, claimConcurrency: Number(process.env.CLAIM_CONCURRENCY ?? 16) },
  );
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `${share.padStart(6)} ${String(result.due).padStart(12)} ${String(read).padStart(11)} ${String(queued).padStart(8)} ${seconds.toFixed(2).padStart(9)}`,
  );
}
console.log(
  '\n(Each tick leases what it queued, so the next row counts only the newly due watches: 1%, 9%, 90%.)',
);
await db.stop();
