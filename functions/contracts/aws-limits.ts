/**
 * The AWS service limits Redline's records and messages must stay within, in one place, with the
 * measures and validators that check them. No AWS SDK import: the core, the adapters, the handlers and
 * infra all read these. Each limit is enforced where it applies:
 *
 * | limit | enforced in |
 * | --- | --- |
 * | SNS message 256 KB (body + attributes) | core/capture/fit.ts (notifications fitted), adapters/sns (measured before Publish) |
 * | SNS Subject rules | adapters/sns (snsSubject), this file's validator |
 * | DynamoDB item 400 KB | core/capture/fit.ts (records fitted, edits in a blob), adapters/dynamo (measured before Put) |
 * | SQS message and batch 256 KB | adapters/sqs (batches packed by size) |
 * | CloudFormation custom-resource response 4,096 bytes | infra (the watch-list custom resource) |
 * | Lambda synchronous payload 6 MB | handlers/watch-admin (`list` paged by size) |
 */

/**
 * SNS: a message is at most 256 KB, 262,144 bytes (not characters) of UTF-8, and the limit is for the
 * whole Publish: the message body plus its message attributes (name, data type and value of each).
 */
export const SNS_MESSAGE_MAX_BYTES = 262_144;

/**
 * SNS Subject: ASCII text that begins with a letter, number or punctuation mark, with no line breaks or
 * control characters, and less than 100 characters long.
 */
export const SNS_SUBJECT_MAX_CHARS = 99;

/** DynamoDB: an item is at most 400 KB (409,600 bytes), attribute names and values together. */
export const DYNAMODB_ITEM_MAX_BYTES = 409_600;

/**
 * SQS: 256 KiB (262,144 bytes) per message and per SendMessageBatch request (all entries together).
 * AWS queues can be raised to 1 MiB (MaximumMessageSize, since 2025), but the capture queue is created
 * without that attribute, so the documented default applies; a batch holds at most 10 entries.
 */
export const SQS_MESSAGE_MAX_BYTES = 262_144;
export const SQS_BATCH_MAX_BYTES = 262_144;
export const SQS_BATCH_MAX_ENTRIES = 10;

/** CloudFormation: a custom resource's response object (Data and all) is at most 4,096 bytes. */
export const CLOUDFORMATION_CUSTOM_RESOURCE_RESPONSE_MAX_BYTES = 4_096;

/** Lambda: a synchronous invocation's request and response payloads are at most 6 MB each. */
export const LAMBDA_SYNC_PAYLOAD_MAX_BYTES = 6 * 1024 * 1024;

export const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** Size of a value as JSON (how notifications, queue messages and Lambda payloads are sent). */
export const jsonBytes = (value: unknown): number => utf8Bytes(JSON.stringify(value) ?? '');

/** One SNS message attribute as Publish sends it (the SDK's MessageAttributeValue, structurally). */
export interface SnsAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: Uint8Array;
}

/** What a Publish counts against the 256 KB: the body and every attribute's name, type and value. */
export function snsPublishBytes(message: string, attributes: Record<string, SnsAttribute> = {}): number {
  let total = utf8Bytes(message);
  for (const [name, value] of Object.entries(attributes)) {
    total += utf8Bytes(name) + utf8Bytes(value.DataType);
    total += value.StringValue !== undefined ? utf8Bytes(value.StringValue) : 0;
    total += value.BinaryValue?.byteLength ?? 0;
  }
  return total;
}

/** Characters that may start a Subject: ASCII letters, digits and punctuation (no symbols like `+ < = > ^ | ~ $`). */
const SUBJECT_START = /^[A-Za-z0-9!"#%&'()*,\-./:;?@[\\\]_{}]/;

/** Why `subject` breaks the SNS Subject rules (empty when it keeps them). */
export function snsSubjectProblems(subject: string): string[] {
  const problems: string[] = [];
  if (subject.length === 0) problems.push('empty');
  if (subject.length > SNS_SUBJECT_MAX_CHARS) problems.push(`${subject.length} characters (at most 99)`);
  if (/[\r\n]/.test(subject)) problems.push('line break');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the rule is about control characters
  if (/[\u0000-\u001f\u007f-\u009f]/.test(subject)) problems.push('control character');
  if ([...subject].some((c) => c.charCodeAt(0) > 0x7f)) problems.push('non-ASCII character');
  if (subject.length > 0 && !SUBJECT_START.test(subject)) {
    problems.push('does not begin with a letter, number or punctuation mark');
  }
  return problems;
}

/**
 * `text` made into a valid SNS Subject: control characters and line breaks become spaces, accents are
 * dropped (é → e), any other non-ASCII run becomes `?`, spaces collapse, leading characters that may not
 * start a Subject are dropped, and it is cut to 99 characters. Never empty (`fallback`).
 */
export function snsSubject(text: string, fallback = 'Redline notification'): string {
  const ascii = text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ')
    .replace(/[^ -~]+/g, '?')
    .replace(/\s+/g, ' ');
  let start = 0;
  while (start < ascii.length && !SUBJECT_START.test(ascii.slice(start))) start++;
  const subject = ascii.slice(start, start + SNS_SUBJECT_MAX_CHARS).trimEnd();
  return subject.length > 0 ? subject : fallback;
}

/** A DynamoDB attribute value as the wire format spells it (the SDK's AttributeValue, structurally). */
export type DynamoValue =
  | { S: string }
  | { N: string }
  | { B: Uint8Array }
  | { BOOL: boolean }
  | { NULL: boolean }
  | { L: DynamoValue[] }
  | { M: Record<string, DynamoValue> }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: Uint8Array[] };

const numberBytes = (n: string) => Math.ceil(n.replace(/^[-+]?0*|[.eE].*$/g, '').length / 2) + 1;

/** Size of one attribute value by DynamoDB's documented rules (lists and maps: 3 bytes + 1 per element). */
export function dynamoValueBytes(value: DynamoValue): number {
  if ('S' in value) return utf8Bytes(value.S);
  if ('N' in value) return numberBytes(value.N);
  if ('B' in value) return value.B.byteLength;
  if ('BOOL' in value || 'NULL' in value) return 1;
  if ('SS' in value) return value.SS.reduce((sum, s) => sum + utf8Bytes(s), 0);
  if ('NS' in value) return value.NS.reduce((sum, n) => sum + numberBytes(n), 0);
  if ('BS' in value) return value.BS.reduce((sum, b) => sum + b.byteLength, 0);
  if ('L' in value) return value.L.reduce((sum, v) => sum + 1 + dynamoValueBytes(v), 3);
  return Object.entries(value.M).reduce((sum, [k, v]) => sum + 1 + utf8Bytes(k) + dynamoValueBytes(v), 3);
}

/** Size of an item as DynamoDB counts it against the 400 KB: every attribute's name and value. */
export function dynamoItemBytes(item: Record<string, DynamoValue>): number {
  return Object.entries(item).reduce(
    (sum, [name, value]) => sum + utf8Bytes(name) + dynamoValueBytes(value),
    0,
  );
}
