import { gunzipSync, gzipSync } from 'node:zlib';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  ResourceNotFoundException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { z } from 'zod';
import { DYNAMODB_ITEM_MAX_BYTES, type DynamoValue, dynamoItemBytes } from '../../contracts/aws-limits.js';
import { TABLE_SCHEMA as T } from '../../contracts/table.js';
import { LimitExceededError } from '../../core/capture/fit.js';
import { ConflictError } from '../../core/domain/errors.js';
import {
  type CaptureRecord,
  CaptureRecordSchema,
  type JournalEntry,
  JournalEntrySchema,
  type PendingNotification,
  PendingNotificationSchema,
  type VersionRecord,
  VersionRecordSchema,
  type Watch,
  WatchSchema,
  type WatchUpdate,
} from '../../core/domain/model.js';
import type { CaptureJournal, CaptureLog, VersionLog, WatchStore } from '../../core/domain/ports.js';

const KEY_ATTRIBUTES = ['pk', 'sk', 'duePk', 'dueSk', 'kind'];
const watchKey = (id: string) => ({ pk: `WATCH#${id}`, sk: 'WATCH' });
const versionSk = (n: number) => `VERSION#${String(n).padStart(8, '0')}`;
const dueSk = (nextDueAt: string, id: string) => `${nextDueAt}#${id}`;

function toRecord<S extends z.ZodType>(schema: S, item: Record<string, AttributeValue>): z.infer<S> {
  const plain = unmarshall(item);
  for (const key of KEY_ATTRIBUTES) delete plain[key];
  return schema.parse(plain);
}

/** The item's size as DynamoDB counts it against its 400 KB limit (attribute names and values). */
export const itemBytes = (item: Record<string, AttributeValue>): number =>
  dynamoItemBytes(item as Record<string, DynamoValue>);

/** Marshals an item and refuses one over DynamoDB's item limit with a named error (before sending it). */
function checkedItem(plain: Record<string, unknown>): Record<string, AttributeValue> {
  const item = marshall(plain, { removeUndefinedValues: true });
  const bytes = itemBytes(item);
  if (bytes > DYNAMODB_ITEM_MAX_BYTES) {
    throw new LimitExceededError(
      `item ${String(plain.pk)} ${String(plain.sk)} is ${bytes} bytes, over DynamoDB's ${DYNAMODB_ITEM_MAX_BYTES}`,
    );
  }
  return item;
}

const pendingKey = (watchId: string, id: string) => ({ pk: `WATCH#${watchId}`, sk: `NOTIFY#${id}` });

/** The local table did not become ACTIVE in time. */
export class TableNotReadyError extends Error {
  override name = 'TableNotReadyError';
}

/** Watches, captures, versions and the capture journal in one table, with single-item writes only. */
export class DynamoCatalog implements WatchStore, CaptureLog, VersionLog, CaptureJournal {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** Creates the table when missing (local mode; in AWS the CDK stack owns it). */
  async ensureTable(): Promise<void> {
    try {
      await this.client.send(new DescribeTableCommand({ TableName: this.tableName }));
      return;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    const attr = (name: string) => ({ AttributeName: name, AttributeType: 'S' as const });
    const index = (ix: { name: string; partitionKey: string; sortKey: string }) => ({
      IndexName: ix.name,
      KeySchema: [
        { AttributeName: ix.partitionKey, KeyType: 'HASH' as const },
        { AttributeName: ix.sortKey, KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: 'ALL' as const },
    });
    await this.client.send(
      new CreateTableCommand({
        TableName: this.tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: ['pk', 'sk', 'duePk', 'dueSk', 'kind', 'url'].map(attr),
        KeySchema: [
          { AttributeName: T.partitionKey, KeyType: 'HASH' },
          { AttributeName: T.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [index(T.dueIndex), index(T.watchIndex)],
      }),
    );
    // A new table answers ResourceNotFound until it is ACTIVE (dynalite too, for a moment).
    for (let waited = 0; ; waited += 20) {
      const { Table } = await this.client.send(new DescribeTableCommand({ TableName: this.tableName }));
      if (Table?.TableStatus === 'ACTIVE') return;
      if (waited > 30_000)
        throw new TableNotReadyError(`table ${this.tableName} is still ${Table?.TableStatus}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  private async queryAll(
    input: Omit<QueryCommandInput, 'TableName'>,
  ): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({ ...input, TableName: this.tableName, ExclusiveStartKey: start }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start && (input.Limit === undefined || items.length < input.Limit));
    return items;
  }

  /** Every item of a watch's partition whose sort key starts with `prefix`, in sort-key order. */
  private itemsOf(watchId: string, prefix: string, consistent = false) {
    return this.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: marshall({ ':pk': `WATCH#${watchId}`, ':prefix': prefix }),
      ...(consistent ? { ConsistentRead: true } : {}),
    });
  }

  async upsertWatch(watch: Watch): Promise<{ created: boolean }> {
    const item = {
      ...watchKey(watch.id),
      kind: 'WATCH',
      duePk: 'DUE',
      dueSk: dueSk(watch.nextDueAt, watch.id),
      ...WatchSchema.parse(watch),
    };
    const result = await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: checkedItem(item),
        ReturnValues: 'ALL_OLD',
      }),
    );
    return { created: result.Attributes === undefined };
  }

  async getWatch(id: string): Promise<Watch | undefined> {
    const result = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: marshall(watchKey(id)), ConsistentRead: true }),
    );
    return result.Item ? toRecord(WatchSchema, result.Item) : undefined;
  }

  async listWatches(): Promise<Watch[]> {
    const items = await this.queryAll({
      IndexName: T.watchIndex.name,
      KeyConditionExpression: '#kind = :kind',
      ExpressionAttributeNames: { '#kind': T.watchIndex.partitionKey },
      ExpressionAttributeValues: marshall({ ':kind': 'WATCH' }),
    });
    return items.map((item) => toRecord(WatchSchema, item));
  }

  async dueWatches(now: Date, limit: number): Promise<Watch[]> {
    const items = await this.queryAll({
      IndexName: T.dueIndex.name,
      KeyConditionExpression: '#pk = :pk AND #sk <= :now',
      ExpressionAttributeNames: { '#pk': T.dueIndex.partitionKey, '#sk': T.dueIndex.sortKey },
      // '#' sorts after every ISO timestamp character, so `now#` includes watches due exactly now.
      ExpressionAttributeValues: marshall({ ':pk': 'DUE', ':now': `${now.toISOString()}#~` }),
      Limit: limit,
    });
    return items.slice(0, limit).map((item) => toRecord(WatchSchema, item));
  }

  async updateWatch(id: string, update: WatchUpdate): Promise<void> {
    const values: Record<string, unknown> = { ...update, dueSk: dueSk(update.nextDueAt, id) };
    const names = Object.keys(values).filter((key) => values[key] !== undefined);
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(watchKey(id)),
          ConditionExpression: 'attribute_exists(pk)',
          UpdateExpression: `SET ${names.map((name) => `#${name} = :${name}`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(names.map((name) => [`#${name}`, name])),
          ExpressionAttributeValues: marshall(
            Object.fromEntries(names.map((name) => [`:${name}`, values[name]])),
          ),
        }),
      );
    } catch (error) {
      // The watch was removed while it was being captured: its history stays, nothing to schedule.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async claimDue(id: string, expectedDueAt: string, leaseUntil: string): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(watchKey(id)),
          ConditionExpression: 'nextDueAt = :expected',
          UpdateExpression: 'SET nextDueAt = :lease, dueSk = :dueSk',
          ExpressionAttributeValues: marshall({
            ':expected': expectedDueAt,
            ':lease': leaseUntil,
            ':dueSk': dueSk(leaseUntil, id),
          }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async removeWatch(id: string): Promise<boolean> {
    const result = await this.client.send(
      new DeleteItemCommand({
        TableName: this.tableName,
        Key: marshall(watchKey(id)),
        ReturnValues: 'ALL_OLD',
      }),
    );
    return result.Attributes !== undefined;
  }

  async putCapture(record: CaptureRecord): Promise<void> {
    const item = {
      pk: `WATCH#${record.watchId}`,
      sk: `CAPTURE#${record.captureId}`,
      ...CaptureRecordSchema.parse(record),
    };
    await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: checkedItem(item) }));
  }

  async listCaptures(watchId: string): Promise<CaptureRecord[]> {
    const items = await this.itemsOf(watchId, 'CAPTURE#');
    return items.map((item) => toRecord(CaptureRecordSchema, item));
  }

  async putVersion(record: VersionRecord): Promise<void> {
    const item = {
      pk: `WATCH#${record.watchId}`,
      sk: versionSk(record.number),
      ...VersionRecordSchema.parse(record),
    };
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: checkedItem(item),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new ConflictError(`version ${record.number} of ${record.watchId} already exists`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  async listVersions(watchId: string): Promise<VersionRecord[]> {
    const items = await this.itemsOf(watchId, 'VERSION#', true);
    return items.map((item) => toRecord(VersionRecordSchema, item));
  }

  async latestVersion(watchId: string): Promise<VersionRecord | undefined> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: marshall({ ':pk': `WATCH#${watchId}`, ':prefix': 'VERSION#' }),
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = result.Items?.[0];
    return item ? toRecord(VersionRecordSchema, item) : undefined;
  }

  /**
   * Journal entries hold a capture's records before they are written, gzipped. The core fits the records
   * to under 400 KB before gzip (fit.ts), so an entry is under the item limit whatever the compression.
   */
  async openEntry(entry: JournalEntry): Promise<void> {
    const json = JSON.stringify(JournalEntrySchema.parse(entry));
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: checkedItem({
          pk: `WATCH#${entry.watchId}`,
          sk: `JOURNAL#${entry.captureId}`,
          staleAfter: entry.staleAfter,
          entry: gzipSync(json),
        }),
      }),
    );
  }

  async openEntries(watchId: string): Promise<JournalEntry[]> {
    const items = await this.itemsOf(watchId, 'JOURNAL#', true);
    return items
      .map((item) => {
        const { entry, recoveryAttempts } = unmarshall(item) as {
          entry: Uint8Array;
          recoveryAttempts?: number;
        };
        const parsed = JSON.parse(gunzipSync(entry).toString('utf8'));
        return JournalEntrySchema.parse({ ...parsed, ...(recoveryAttempts ? { recoveryAttempts } : {}) });
      })
      .sort((a, b) => a.openedAt.localeCompare(b.openedAt));
  }

  async noteRecoveryAttempt(watchId: string, captureId: string, attempts: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall({ pk: `WATCH#${watchId}`, sk: `JOURNAL#${captureId}` }),
          ConditionExpression: 'attribute_exists(pk)',
          UpdateExpression: 'SET recoveryAttempts = :n',
          ExpressionAttributeValues: marshall({ ':n': attempts }),
        }),
      );
    } catch (error) {
      // Closed meanwhile by another process finishing it: nothing to count.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async addPending(record: PendingNotification): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: checkedItem({
            ...pendingKey(record.watchId, record.id),
            ...PendingNotificationSchema.parse(record),
          }),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      // Kept already (a roll-forward writing the same capture's records again): its attempts stand.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async pendingNotifications(watchId: string, limit: number): Promise<PendingNotification[]> {
    // Undeliverable ones stay in the partition (for inspection) but are never returned.
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: '#status = :pending',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: marshall({
        ':pk': `WATCH#${watchId}`,
        ':prefix': 'NOTIFY#',
        ':pending': 'pending',
      }),
      ConsistentRead: true,
      Limit: limit,
    });
    return items.slice(0, limit).map((item) => toRecord(PendingNotificationSchema, item));
  }

  async updatePending(
    record: PendingNotification,
    expectedAttempts: number,
    change: Pick<PendingNotification, 'status' | 'attempts' | 'nextAttemptAt'> & { lastError?: string },
  ): Promise<boolean> {
    const values: Record<string, unknown> = { ...change, expected: expectedAttempts };
    const names = Object.keys(change).filter((key) => values[key] !== undefined);
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: marshall(pendingKey(record.watchId, record.id)),
          ConditionExpression: '#attempts = :expected',
          UpdateExpression: `SET ${names.map((name) => `#${name} = :${name}`).join(', ')}`,
          ExpressionAttributeNames: Object.fromEntries(
            [...names, 'attempts'].map((name) => [`#${name}`, name]),
          ),
          ExpressionAttributeValues: marshall(
            Object.fromEntries([...names, 'expected'].map((name) => [`:${name}`, values[name]])),
          ),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async removePending(watchId: string, id: string): Promise<void> {
    await this.client.send(
      new DeleteItemCommand({ TableName: this.tableName, Key: marshall(pendingKey(watchId, id)) }),
    );
  }

  async closeEntry(watchId: string, captureId: string): Promise<void> {
    await this.client.send(
      new DeleteItemCommand({
        TableName: this.tableName,
        Key: marshall({ pk: `WATCH#${watchId}`, sk: `JOURNAL#${captureId}` }),
      }),
    );
  }
}
