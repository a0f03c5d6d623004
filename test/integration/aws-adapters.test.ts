import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '../../functions/adapters/s3/s3-blob-store.js';
import { SnsNotifier } from '../../functions/adapters/sns/sns-notifier.js';
import { sha256 } from '../../functions/core/digest.js';
import { BlobNotFoundError } from '../../functions/core/errors.js';
import type { EditNotification } from '../../functions/core/model.js';
import { startAwsEmulator, topicWithQueue } from '../support/emulators.js';

let aws: Awaited<ReturnType<typeof startAwsEmulator>>;

beforeAll(async () => {
  aws = await startAwsEmulator();
});
afterAll(() => aws.stop());

describe('S3BlobStore on fauxqs', () => {
  it('stores bytes under their SHA-256, once, and reads them back exactly', async () => {
    await aws.s3.send(new CreateBucketCommand({ Bucket: 'blobs' }));
    const store = new S3BlobStore(aws.s3, 'blobs');
    const bytes = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
    const ref = await store.put(bytes, 'application/octet-stream');
    expect(ref).toEqual({ digest: sha256(bytes), size: 300_000, contentType: 'application/octet-stream' });
    expect(store.keyOf(ref.digest)).toBe(`blobs/sha256/${ref.digest.slice(7)}`);
    expect(await store.put(bytes, 'application/octet-stream')).toEqual(ref);
    expect(await store.has(ref.digest)).toBe(true);
    expect(sha256(await store.get(ref.digest))).toBe(ref.digest);
    const missing = sha256('never stored');
    expect(await store.has(missing)).toBe(false);
    await expect(store.get(missing)).rejects.toThrow(BlobNotFoundError);
  });
});

describe('SnsNotifier on fauxqs', () => {
  it('publishes the notification JSON with filterable attributes', async () => {
    const { topicArn: TopicArn, queueUrl: QueueUrl } = await topicWithQueue(aws, 'edits');
    const notification: EditNotification = {
      type: 'redline.edit',
      watchId: 'w_00000000000000000000',
      url: 'https://news.example/a',
      title: 'Council approves barrier',
      capturedAt: '2026-11-26T10:00:00.000Z',
      oldVersion: 1,
      newVersion: 2,
      oldTextHash: sha256('a'),
      newTextHash: sha256('b'),
      edits: [
        { kind: 'paragraph_changed', index: 0, before: '7 to 2', after: '5 to 4', significance: 'major' },
      ],
      significance: 'major',
      silent: true,
      diff: 'paragraph_changed #1: [-7-]{+5+} to [-2-]{+4+}',
      tags: ['city'],
    };
    await new SnsNotifier(aws.sns, TopicArn!).publishEdit(notification);
    const received = await aws.sqs.send(
      new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 2, MessageAttributeNames: ['All'] }),
    );
    expect(received.Messages).toHaveLength(1);
    const message = received.Messages![0]!;
    expect(JSON.parse(message.Body!)).toEqual(notification);
    expect(message.MessageAttributes?.significance?.StringValue).toBe('major');
    expect(message.MessageAttributes?.silent?.StringValue).toBe('true');
    expect(JSON.parse(message.MessageAttributes?.editKinds?.StringValue ?? '[]')).toEqual([
      'paragraph_changed',
    ]);
  });
});
