import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePage } from '../../demo/news-site.js';
import { DynamoCatalog, itemBytes } from '../../functions/adapters/dynamo/dynamo-catalog.js';
import { S3BlobStore } from '../../functions/adapters/s3/s3-blob-store.js';
import { SnsNotifier } from '../../functions/adapters/sns/sns-notifier.js';
import {
  DYNAMODB_ITEM_MAX_BYTES,
  SNS_MESSAGE_MAX_BYTES,
  snsSubjectProblems,
} from '../../functions/contracts/aws-limits.js';
import { type CaptureDeps, captureWatch } from '../../functions/core/capture/capture.js';
import { fitEditNotification } from '../../functions/core/capture/fit.js';
import { sha256 } from '../../functions/core/domain/digest.js';
import { BlobNotFoundError } from '../../functions/core/domain/errors.js';
import type { Edit, EditNotification } from '../../functions/core/domain/model.js';
import type { BlobLinks } from '../../functions/core/domain/ports.js';
import { addWatch } from '../../functions/core/watches/watches.js';
import { startAwsEmulator, startDynalite, topicWithQueue } from '../support/emulators.js';
import { memoryCaptureDeps } from '../support/memory.js';

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

/** Every C0 control character, DEL and every C1 control character. */
const CONTROL_CHARACTERS = String.fromCharCode(
  ...Array.from({ length: 0x20 }, (_, i) => i),
  ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i),
);

/** A queue subscribed to the topic without raw delivery: its messages are SNS envelopes, Subject included. */
async function envelopeQueue(topicArn: string, name: string) {
  const { QueueUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await aws.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await aws.sns.send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn }),
  );
  return QueueUrl!;
}

async function receiveAll(QueueUrl: string, expected: number) {
  const messages: Message[] = [];
  for (let polls = 0; polls < 20 && messages.length < expected; polls++) {
    const received = await aws.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    messages.push(...(received.Messages ?? []));
  }
  return messages;
}

describe('SNS limits on fauxqs', () => {
  it('a title with every C0 and C1 control character: the Subject keeps the SNS rules, the body has the title cleaned', async () => {
    // fauxqs accepts any Subject (it checks the 256 KB body, not the Subject rules), so each Subject that
    // arrives is also checked with snsSubjectProblems, written from the documented rules.
    const { topicArn } = await topicWithQueue(aws, 'control-edits');
    const QueueUrl = await envelopeQueue(topicArn, 'control-envelopes');
    const title = `Council${CONTROL_CHARACTERS}approves barrier ${CONTROL_CHARACTERS}`;
    const edit: EditNotification = {
      type: 'redline.edit',
      watchId: 'w_00000000000000000000',
      url: 'https://news.example/a',
      title,
      capturedAt: '2026-11-26T10:00:00.000Z',
      oldVersion: 1,
      newVersion: 2,
      oldTextHash: sha256('a'),
      newTextHash: sha256('b'),
      edits: [{ kind: 'headline_changed', before: title, after: 'Council approves', significance: 'major' }],
      significance: 'major',
      silent: false,
      diff: 'headline_changed',
      tags: [`tag${CONTROL_CHARACTERS}`],
    };
    const notifier = new SnsNotifier(aws.sns, topicArn);
    expect(snsSubjectProblems(`Edited: ${title}`)).toContain('control character');
    await notifier.publishEdit(edit); // as an adapter gets it unfitted: the Subject is still made valid
    await notifier.publishEdit(fitEditNotification(edit)); // as the core sends it
    await notifier.publishAnomaly({
      type: 'redline.anomaly',
      watchId: edit.watchId,
      url: 'https://news.example/a',
      capturedAt: edit.capturedAt,
      anomaly: 'paywall',
      baselineVersion: 1,
      tags: [],
    });
    const envelopes = (await receiveAll(QueueUrl, 3)).map(
      (m) => JSON.parse(m.Body!) as { Subject: string; Message: string },
    );
    expect(envelopes).toHaveLength(3);
    for (const envelope of envelopes) expect(snsSubjectProblems(envelope.Subject)).toEqual([]);
    expect(envelopes.map((e) => e.Subject).sort()).toEqual([
      'Capture anomaly (paywall): https://news.example/a',
      'Edited: Council approves barrier',
      'Edited: Council approves barrier',
    ]);
    const titles = envelopes
      .map((e) => JSON.parse(e.Message) as { type: string; title?: string; tags: string[] })
      .filter((m) => m.type === 'redline.edit')
      .map((m) => [m.title, m.tags]);
    expect(titles).toContainEqual(['Council approves barrier', ['tag']]); // fitted in the core
    expect(titles).toContainEqual([title, [`tag${CONTROL_CHARACTERS}`]]); // JSON escapes it; SNS takes it
  });

  it('a 2,000-paragraph article rewritten end to end: version under 400 KB on dynalite, notification under 256 KB with the count and the link', async () => {
    const db = await startDynalite();
    try {
      const catalog = new DynamoCatalog(db.client, 'limits');
      await catalog.ensureTable();
      const { topicArn, queueUrl } = await topicWithQueue(aws, 'rewrite-edits');
      const env = memoryCaptureDeps();
      const links: BlobLinks = {
        linkTo: async (ref) =>
          `https://blobs.example/blobs/sha256/${ref.digest.slice(7)}?X-Amz-Expires=604800`,
      };
      const deps: CaptureDeps = {
        ...env.deps,
        journal: catalog,
        watches: catalog,
        captures: catalog,
        versions: catalog,
        notifier: new SnsNotifier(aws.sns, topicArn),
        links,
      };
      const url = 'https://news.example/2026/11/26/long-read';
      const paragraphs = (word: string) =>
        Array.from(
          { length: 2000 },
          (_, i) =>
            `Paragraph ${i + 1} of the long read: ${Array.from({ length: 30 }, (_, k) => (k % 6 === 0 ? `${word}${i}x${k}` : `term${(i * 31 + k) % 997}`)).join(' ')}.`,
        );
      const { watch } = await addWatch(deps, { url, cadenceSeconds: 900, mode: 'auto', tags: ['long'] });
      env.deps.fetcher.pages.set(url, {
        body: articlePage({ headline: 'The long read', paragraphs: paragraphs('was') }, 1),
      });
      expect((await captureWatch(deps, watch)).version?.number).toBe(1);
      env.advance(15);
      env.deps.fetcher.pages.set(url, {
        body: articlePage({ headline: 'The long read', paragraphs: paragraphs('now') }, 2),
      });
      const result = await captureWatch(deps, (await catalog.getWatch(watch.id))!);

      // The version is recorded, its whole edit list in a blob, the record under DynamoDB's limit.
      const version = result.version!;
      expect(version.number).toBe(2);
      const all = JSON.parse(
        Buffer.from(await env.deps.blobs.get(version.artifacts.edits!.digest)).toString('utf8'),
      ) as Edit[];
      expect(all.length).toBeGreaterThanOrEqual(2000);
      expect(version.omittedEdits).toBe(all.length - version.edits.length);
      expect(result.capture.artifacts.edits).toEqual(version.artifacts.edits);
      const stored = await db.client.send(
        new GetItemCommand({
          TableName: 'limits',
          Key: marshall({ pk: `WATCH#${watch.id}`, sk: 'VERSION#00000002' }),
        }),
      );
      const versionBytes = itemBytes(stored.Item!);
      expect(versionBytes).toBeLessThanOrEqual(DYNAMODB_ITEM_MAX_BYTES);
      // The record as it was before records were fitted: over the limit, and dynalite refuses it.
      const unfitted = marshall({ pk: 'WATCH#unfitted', sk: 'VERSION#00000002', ...version, edits: all });
      expect(itemBytes(unfitted)).toBeGreaterThan(DYNAMODB_ITEM_MAX_BYTES);
      await expect(
        db.client.send(new PutItemCommand({ TableName: 'limits', Item: unfitted })),
      ).rejects.toThrow(/size/i);

      // The notification went out once, under SNS's limit, with the count of the edits left out and the link.
      const [message, ...more] = await receiveAll(queueUrl, 1);
      expect(more).toEqual([]);
      const body = message!.Body!;
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(SNS_MESSAGE_MAX_BYTES);
      const sent = JSON.parse(body) as EditNotification;
      expect(sent.newVersion).toBe(2);
      expect(sent.omittedEdits).toBe(all.length - sent.edits.length);
      expect(sent.edits.length).toBeGreaterThan(100);
      expect(sent.diffUrl).toBe(await links.linkTo(version.diff!));
      expect(sent.diff).toContain(`more edits, in full at ${sent.diffUrl}`);
      expect(await catalog.pendingNotifications(watch.id, 10)).toEqual([]);
      expect(await catalog.openEntries(watch.id)).toEqual([]);
      console.info(
        `2,000-paragraph rewrite: ${all.length} edits, version item ${versionBytes} B (unfitted ${itemBytes(unfitted)} B), SNS body ${Buffer.byteLength(body)} B with ${sent.edits.length} edits`,
      );
    } finally {
      await db.stop();
    }
  });
});
