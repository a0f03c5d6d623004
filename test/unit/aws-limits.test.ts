import { describe, expect, it } from 'vitest';
import { packBatches, QueueError } from '../../functions/adapters/sqs/sqs-capture-queue.js';
import {
  dynamoItemBytes,
  jsonBytes,
  LAMBDA_SYNC_PAYLOAD_MAX_BYTES,
  SNS_MESSAGE_MAX_BYTES,
  snsPublishBytes,
  snsSubject,
  snsSubjectProblems,
} from '../../functions/contracts/aws-limits.js';
import type { CaptureRecords } from '../../functions/core/capture/commit.js';
import {
  fitEditNotification,
  fitRecords,
  fitTitle,
  fitVersionEdits,
  JOURNAL_RECORDS_MAX_BYTES,
  NOTIFICATION_MAX_BYTES,
  VERSION_EDITS_MAX_BYTES,
} from '../../functions/core/capture/fit.js';
import { sha256 } from '../../functions/core/domain/digest.js';
import type { Edit, EditNotification } from '../../functions/core/domain/model.js';
import { buildWatch } from '../../functions/core/watches/watches.js';
import { listPage } from '../../functions/handlers/watch-admin.js';

/** Every C0 control character, DEL and every C1 control character. */
const CONTROL_CHARACTERS = [
  ...Array.from({ length: 0x20 }, (_, i) => i),
  ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i),
]
  .map((code) => String.fromCharCode(code))
  .join('');

const paragraph = (i: number, word: string) =>
  `Paragraph ${i}: ${Array.from({ length: 40 }, (_, k) => `${word}${(i * 7 + k) % 97}`).join(' ')}.`;

/** A whole article rewritten: one paragraph_changed edit per paragraph. */
const rewrite = (paragraphs: number): Edit[] =>
  Array.from({ length: paragraphs }, (_, i) => ({
    kind: 'paragraph_changed',
    field: 'body',
    index: i,
    before: paragraph(i, 'old'),
    after: paragraph(i, 'new'),
    significance: 'major',
  }));

const notificationOf = (edits: Edit[], title = 'Council approves barrier'): EditNotification => ({
  type: 'redline.edit',
  watchId: 'w_00000000000000000000',
  url: 'https://news.example/a',
  title,
  capturedAt: '2026-11-26T10:00:00.000Z',
  oldVersion: 1,
  newVersion: 2,
  oldTextHash: sha256('a'),
  newTextHash: sha256('b'),
  edits,
  significance: 'major',
  silent: false,
  diff: 'paragraph_changed #1: …',
  diffHtml: sha256('diff page'),
  diffUrl: 'https://blobs.example/diff?X-Amz-Signature=abc',
  tags: ['city'],
});

describe('SNS Subject rules', () => {
  it('the validator finds each documented rule broken', () => {
    expect(snsSubjectProblems('Edited: Council approves barrier')).toEqual([]);
    expect(snsSubjectProblems('')).toEqual(['empty']);
    expect(snsSubjectProblems('a\nb')).toEqual(['line break', 'control character']);
    expect(snsSubjectProblems('x'.repeat(100))).toEqual(['100 characters (at most 99)']);
    expect(snsSubjectProblems('Café')).toEqual(['non-ASCII character']);
    expect(snsSubjectProblems('+1 more')).toEqual([
      'does not begin with a letter, number or punctuation mark',
    ]);
    expect(snsSubjectProblems(' leading space')).toHaveLength(1);
  });

  it('a title with every C0 and C1 control character becomes a valid Subject', () => {
    const subject = snsSubject(`Edited: ${CONTROL_CHARACTERS}Council${CONTROL_CHARACTERS}approves`);
    expect(snsSubjectProblems(subject)).toEqual([]);
    expect(subject).toBe('Edited: Council approves');
  });

  it('accents are dropped, other non-ASCII becomes ?, bad starts are dropped, long ones cut to 99', () => {
    expect(snsSubject('Café naïve — 北京 news')).toBe('Cafe naive ? ? news');
    expect(snsSubject('+++ ~Breaking')).toBe('Breaking');
    expect(snsSubject('\u0000\u0085')).toBe('Redline notification');
    const long = snsSubject(`Edited: ${'word '.repeat(100)}`);
    expect(long.length).toBeLessThanOrEqual(99);
    expect(snsSubjectProblems(long)).toEqual([]);
  });

  it('a title kept in records and message bodies has no control characters and is one line of at most 300', () => {
    const title = fitTitle(`A${CONTROL_CHARACTERS}B\u2028C ${'x'.repeat(1000)}`);
    expect(title.startsWith('A B C x')).toBe(true);
    expect(title).toHaveLength(300);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
    expect(title).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });
});

describe('SNS message size', () => {
  it('counts the body and every attribute name, type and value', () => {
    expect(snsPublishBytes('é')).toBe(2);
    expect(snsPublishBytes('{}', { type: { DataType: 'String', StringValue: 'redline.edit' } })).toBe(
      2 + 4 + 6 + 12,
    );
  });

  it('a 2,000-paragraph rewrite is fitted under the limit: the first edits, a count of the rest, the diff link', () => {
    const edits = rewrite(2000);
    const full = notificationOf(edits);
    expect(jsonBytes(full)).toBeGreaterThan(SNS_MESSAGE_MAX_BYTES);
    const fitted = fitEditNotification(full);
    expect(jsonBytes(fitted)).toBeLessThanOrEqual(NOTIFICATION_MAX_BYTES);
    expect(fitted.edits.length).toBeGreaterThan(100);
    expect(fitted.omittedEdits).toBe(2000 - fitted.edits.length);
    expect(fitted.edits).toEqual(edits.slice(0, fitted.edits.length));
    expect(fitted.diff).toContain(`… and ${fitted.omittedEdits} more edits, in full at ${full.diffUrl}`);
    // As large as fits: one more edit would not.
    const oneMore = fitEditNotification(full, jsonBytes(fitted) - 1);
    expect(oneMore.edits.length).toBe(fitted.edits.length - 1);
    expect(fitEditNotification(fitted)).toEqual(fitted);
  });

  it('a notification under the limit keeps every edit; its title is cleaned', () => {
    const small = notificationOf(rewrite(3), `Council\u0007 approves\nbarrier`);
    const fitted = fitEditNotification(small);
    expect(fitted.edits).toEqual(small.edits);
    expect(fitted.omittedEdits).toBeUndefined();
    expect(fitted.title).toBe('Council approves barrier');
  });

  it('one enormous paragraph is clipped, not dropped', () => {
    const huge: Edit = {
      kind: 'paragraph_added',
      index: 0,
      after: 'word '.repeat(100_000),
      significance: 'major',
    };
    const fitted = fitEditNotification(notificationOf([huge]));
    expect(jsonBytes(fitted)).toBeLessThanOrEqual(NOTIFICATION_MAX_BYTES);
    expect(fitted.edits).toHaveLength(1);
    expect(fitted.edits[0]?.after?.endsWith('…')).toBe(true);
  });
});

describe('DynamoDB item size', () => {
  it('measures names and values by the documented rules', () => {
    expect(dynamoItemBytes({ pk: { S: 'abc' } })).toBe(5);
    expect(dynamoItemBytes({ n: { N: '12345' } })).toBe(1 + 4);
    expect(dynamoItemBytes({ é: { S: 'é' } })).toBe(4);
    expect(dynamoItemBytes({ m: { M: { a: { S: 'x' } } } })).toBe(1 + 3 + 1 + 1 + 1);
    expect(dynamoItemBytes({ l: { L: [{ BOOL: true }, { NULL: true }] } })).toBe(1 + 3 + 2 + 2);
    expect(dynamoItemBytes({ b: { B: new Uint8Array(10) } })).toBe(11);
  });

  it('a long edit list goes to a blob; the version keeps its first edits in 32 KB', () => {
    const edits = rewrite(2000);
    const staged: Uint8Array[] = [];
    const kept = fitVersionEdits(edits, (json) => {
      staged.push(json);
      return { digest: sha256(json), size: json.byteLength, contentType: 'application/json' };
    });
    expect(JSON.parse(Buffer.from(staged[0]!).toString('utf8'))).toEqual(edits);
    expect(kept.blob?.digest).toBe(sha256(staged[0]!));
    expect(jsonBytes(kept.edits)).toBeLessThanOrEqual(VERSION_EDITS_MAX_BYTES);
    expect(kept.omittedEdits).toBe(2000 - kept.edits.length);
    expect(fitVersionEdits(rewrite(3), () => expect.fail('no blob for a short list'))).toEqual({
      edits: rewrite(3),
    });
  });

  it('the worst case of every free-text field still fits a journal entry in 400 KB before gzip', () => {
    const long = 'ü'.repeat(50_000);
    const digest = sha256('x');
    const ref = { digest, size: 1, contentType: 'text/html' };
    const records: CaptureRecords = {
      capture: {
        watchId: 'w_00000000000000000000',
        captureId: 'c1',
        url: `https://news.example/${'p'.repeat(20_000)}`,
        startedAt: '2026-11-26T10:00:00.000Z',
        capturedAt: '2026-11-26T10:00:01.000Z',
        status: 'partial',
        reason: long,
        http: {
          status: 200,
          finalUrl: `https://news.example/${'p'.repeat(20_000)}`,
          contentType: long,
          headers: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`x-h${i}`, long])),
        },
        artifacts: {
          raw: ref,
          rendered: ref,
          pdf: ref,
          screenshot: ref,
          article: ref,
          text: ref,
          warc: ref,
          diff: ref,
        },
        steps: Array.from({ length: 500 }, (_, i) => ({
          name: i % 2 ? ('navigate' as const) : ('render' as const),
          status: 'failed',
          ms: 1,
          detail: long,
        })),
      },
      version: {
        watchId: 'w_00000000000000000000',
        number: 2,
        captureId: 'c1',
        url: 'https://news.example/a',
        capturedAt: '2026-11-26T10:00:01.000Z',
        title: long,
        textHash: digest,
        artifacts: { raw: ref },
        edits: fitVersionEdits(rewrite(2000), () => ref).edits,
      },
      edit: notificationOf(rewrite(2000), long),
      anomaly: {
        type: 'redline.anomaly',
        watchId: 'w_00000000000000000000',
        url: 'https://news.example/a',
        capturedAt: '2026-11-26T10:00:01.000Z',
        anomaly: 'paywall',
        baselineVersion: 1,
        tags: Array.from({ length: 500 }, () => long),
      },
      watchUpdate: {
        nextDueAt: '2026-11-26T11:00:00.000Z',
        latestVersion: 2,
        volatile: Array.from({ length: 500 }, (_, i) => `${i} ${'v'.repeat(1500)}`),
      },
    };
    expect(jsonBytes(records)).toBeGreaterThan(10 * JOURNAL_RECORDS_MAX_BYTES);
    const fitted = fitRecords(records);
    expect(jsonBytes(fitted)).toBeLessThanOrEqual(JOURNAL_RECORDS_MAX_BYTES);
    expect(fitted.edit!.edits.length).toBeGreaterThan(0);
    expect(jsonBytes(fitted.edit)).toBeLessThanOrEqual(NOTIFICATION_MAX_BYTES);
    expect(fitRecords(fitted)).toEqual(fitted);
  });
});

describe('SQS batches', () => {
  it('at most ten entries and 256 KB to a SendMessageBatch; a message over 256 KB is refused', () => {
    const small = Array.from({ length: 25 }, (_, i) => JSON.stringify({ i }));
    expect(packBatches(small).map((b) => b.length)).toEqual([10, 10, 5]);
    const big = Array.from({ length: 3 }, () => 'x'.repeat(100_000));
    expect(packBatches(big).map((b) => b.length)).toEqual([2, 1]);
    expect(() => packBatches(['x'.repeat(262_145)])).toThrow(QueueError);
  });
});

describe('watch-admin list', () => {
  it('pages by id under the Lambda response limit, with a cursor', () => {
    const watches = Array.from({ length: 5 }, (_, i) =>
      buildWatch(
        { url: `https://news.example/${i}`, cadenceSeconds: 3600, mode: 'auto', tags: [] },
        undefined,
        new Date('2026-11-26T10:00:00Z'),
      ),
    );
    const ids = watches.map((w) => w.id).sort();
    const first = listPage(watches, 2);
    expect(first.watches.map((w) => w.id)).toEqual(ids.slice(0, 2));
    const second = listPage(watches, 2, first.nextCursor);
    expect(second.watches.map((w) => w.id)).toEqual(ids.slice(2, 4));
    const last = listPage(watches, 2, second.nextCursor);
    expect(last).toEqual({ watches: [expect.objectContaining({ id: ids[4] })] });
    const bySize = listPage(watches, 500, undefined, jsonBytes(watches[0]) * 2 + 10);
    expect(bySize.watches).toHaveLength(2);
    expect(bySize.nextCursor).toBe(ids[1]);
    expect(LAMBDA_SYNC_PAYLOAD_MAX_BYTES).toBe(6_291_456);
  });
});
