/**
 * Fitting what a capture records and publishes to the AWS limits (functions/contracts/aws-limits.ts):
 * pure functions, applied in the core so the local outbox file and SNS get the same bodies and every
 * DynamoDB item is bounded however large the article or its edit list. Each is idempotent.
 */
import { DYNAMODB_ITEM_MAX_BYTES, jsonBytes, SNS_MESSAGE_MAX_BYTES } from '../../contracts/aws-limits.js';
import { InvariantError, RedlineError } from '../domain/errors.js';
import type {
  AnomalyNotification,
  ArtifactRef,
  CaptureRecord,
  Edit,
  EditNotification,
  FailureNotification,
  Notification,
} from '../domain/model.js';
import type { CaptureRecords } from './commit.js';

/** A record or message is over a service limit even after fitting (a bug: fitting bounds every field). */
export class LimitExceededError extends RedlineError {}

/** Room kept in an SNS Publish for the message attributes (type, kinds, significance, tags …) and the Subject. */
export const SNS_ATTRIBUTES_RESERVE_BYTES = 16 * 1024;
/** A notification's JSON body is at most this: SNS's 256 KB less the attributes' room. */
export const NOTIFICATION_MAX_BYTES = SNS_MESSAGE_MAX_BYTES - SNS_ATTRIBUTES_RESERVE_BYTES;
/** A version record keeps at most this much of its edit list inline; the whole list is a blob. */
export const VERSION_EDITS_MAX_BYTES = 32 * 1024;
/** A journal entry's records as JSON (before gzip): DynamoDB's item limit less room for keys and names. */
export const JOURNAL_RECORDS_MAX_BYTES = DYNAMODB_ITEM_MAX_BYTES - 8 * 1024;
/** Volatile block shapes remembered per watch (the watch item and every journal entry carry them). */
export const VOLATILE_MAX_BYTES = 32 * 1024;

export const TITLE_MAX_CHARS = 300;
export const URL_MAX_CHARS = 8192;
export const EDIT_TEXT_MAX_CHARS = 1000;
export const REASON_MAX_CHARS = 2000;
export const STEP_DETAIL_MAX_CHARS = 500;
export const MAX_STEPS = 50;
export const MAX_HEADERS = 50;
export const HEADER_VALUE_MAX_CHARS = 512;
export const MAX_TAGS = 50;
export const TAG_MAX_CHARS = 100;
export const DIFF_SUMMARY_MAX_CHARS = 4000;

/** `text` cut to `max` characters (an ellipsis marks the cut), never inside a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/** Control characters (C0 but tab and newline, DEL, C1, U+2028/2029) become spaces; `singleLine` also turns tabs and newlines into spaces. */
export function cleanText(text: string, singleLine = false): string {
  const cleaned = text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g,
    ' ',
  );
  return singleLine ? cleaned.replace(/\s+/g, ' ').trim() : cleaned;
}

/** A page title as records and notifications keep it: one line, no control characters, at most 300 characters. */
export const fitTitle = (title: string): string => clip(cleanText(title, true), TITLE_MAX_CHARS);

const fitTags = (tags: string[]) =>
  tags.slice(0, MAX_TAGS).map((tag) => clip(cleanText(tag, true), TAG_MAX_CHARS));

function clipEdit(edit: Edit, max: number): Edit {
  return {
    ...edit,
    ...(edit.before !== undefined ? { before: clip(edit.before, max) } : {}),
    ...(edit.after !== undefined ? { after: clip(edit.after, max) } : {}),
  };
}

/** The largest `n` in [0, max] for which `fits(n)` holds (`fits` is monotone; `fits(0)` is checked by the caller). */
function largestFitting(max: number, fits: (n: number) => boolean): number {
  let lo = 0;
  let hi = max;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * An edit notification whose JSON is at most `maxBytes`: title, tags and texts cleaned and clipped and,
 * when the edits do not all fit, the first ones only, with `omittedEdits` and a line in `diff` pointing
 * at the diff page (`diffUrl`), which has them all.
 */
export function fitEditNotification(
  notification: EditNotification,
  maxBytes = NOTIFICATION_MAX_BYTES,
): EditNotification {
  const base: EditNotification = {
    ...notification,
    url: clip(notification.url, URL_MAX_CHARS),
    title: fitTitle(notification.title),
    tags: fitTags(notification.tags),
    diff: clip(notification.diff, DIFF_SUMMARY_MAX_CHARS),
    ...(notification.diffUrl ? { diffUrl: clip(notification.diffUrl, URL_MAX_CHARS) } : {}),
  };
  if (jsonBytes(base) <= maxBytes) return base;
  const edits = notification.edits.map((edit) => clipEdit(edit, EDIT_TEXT_MAX_CHARS));
  const omittedBefore = notification.omittedEdits ?? 0;
  const keeping = (kept: number): EditNotification => {
    const omitted = omittedBefore + edits.length - kept;
    if (omitted === 0) return { ...base, edits };
    const where = base.diffUrl ?? (base.diffHtml ? `the diff page ${base.diffHtml}` : 'the version history');
    return {
      ...base,
      edits: edits.slice(0, kept),
      omittedEdits: omitted,
      diff: `${base.diff}\n… and ${omitted} more edit${omitted === 1 ? '' : 's'}, in full at ${where}`,
    };
  };
  if (jsonBytes(keeping(0)) > maxBytes) {
    throw new LimitExceededError(
      `edit notification for ${notification.watchId} is over ${maxBytes} bytes with no edits`,
    );
  }
  return keeping(largestFitting(edits.length, (kept) => jsonBytes(keeping(kept)) <= maxBytes));
}

/** An anomaly or failure alert with its free text cleaned and clipped (far under the SNS limit). */
export function fitAlert<T extends AnomalyNotification | FailureNotification>(notification: T): T {
  const fitted = {
    ...notification,
    url: clip(notification.url, URL_MAX_CHARS),
    tags: fitTags(notification.tags),
  };
  // An anomaly is one of a closed set of kinds (AnomalyKindSchema): nothing to clean.
  if (fitted.type === 'redline.failure') fitted.reason = clip(cleanText(fitted.reason), REASON_MAX_CHARS);
  return fitted;
}

export function fitNotification(notification: Notification, maxBytes = NOTIFICATION_MAX_BYTES): Notification {
  return notification.type === 'redline.edit'
    ? fitEditNotification(notification, maxBytes)
    : fitAlert(notification);
}

/**
 * A version's edit list as its record keeps it: all of it when small; otherwise the whole list goes to a
 * blob (`stage` stores it) and the record keeps the first edits, clipped, that fit in 32 KB.
 */
export function fitVersionEdits(
  edits: Edit[],
  stage: (json: Uint8Array) => ArtifactRef,
): { edits: Edit[]; omittedEdits?: number; blob?: ArtifactRef } {
  if (jsonBytes(edits) <= VERSION_EDITS_MAX_BYTES) return { edits };
  const blob = stage(Buffer.from(JSON.stringify(edits)));
  const clipped = edits.map((edit) => clipEdit(edit, EDIT_TEXT_MAX_CHARS / 2));
  const kept = largestFitting(
    clipped.length,
    (n) => jsonBytes(clipped.slice(0, n)) <= VERSION_EDITS_MAX_BYTES,
  );
  const omitted = edits.length - kept;
  return { edits: clipped.slice(0, kept), ...(omitted > 0 ? { omittedEdits: omitted } : {}), blob };
}

/** A capture record with its free text (reason, step details, response headers) bounded. */
export function fitCaptureRecord(capture: CaptureRecord): CaptureRecord {
  const fitted: CaptureRecord = {
    ...capture,
    url: clip(capture.url, URL_MAX_CHARS),
    steps: capture.steps.slice(0, MAX_STEPS).map((step) => ({
      ...step,
      ...(step.detail !== undefined ? { detail: clip(cleanText(step.detail), STEP_DETAIL_MAX_CHARS) } : {}),
    })),
  };
  if (capture.reason !== undefined) fitted.reason = clip(cleanText(capture.reason), REASON_MAX_CHARS);
  if (capture.http) {
    fitted.http = {
      ...capture.http,
      finalUrl: clip(capture.http.finalUrl, URL_MAX_CHARS),
      contentType: clip(capture.http.contentType, HEADER_VALUE_MAX_CHARS),
      headers: Object.fromEntries(
        Object.entries(capture.http.headers)
          .slice(0, MAX_HEADERS)
          .map(([name, value]) => [clip(name, 128), clip(value, HEADER_VALUE_MAX_CHARS)]),
      ),
    };
  }
  return fitted;
}

/** The newest volatile shapes that fit in 32 KB (a shape longer than 2,000 characters is not remembered). */
export function fitVolatile(volatile: string[]): string[] {
  const kept = volatile.filter((shape) => shape.length <= 2000);
  while (kept.length > 0 && jsonBytes(kept) > VOLATILE_MAX_BYTES) kept.shift();
  return kept;
}

/**
 * A capture's records fitted to the limits, so that each item and the journal entry holding them all
 * stays under DynamoDB's 400 KB and each notification under SNS's 256 KB. The edit notification gives up
 * edits first when the entry would be too large.
 */
export function fitRecords(records: CaptureRecords): CaptureRecords {
  const fitted: CaptureRecords = {
    ...records,
    capture: fitCaptureRecord(records.capture),
    watchUpdate: {
      ...records.watchUpdate,
      ...(records.watchUpdate.volatile ? { volatile: fitVolatile(records.watchUpdate.volatile) } : {}),
    },
  };
  if (records.version) fitted.version = { ...records.version, title: fitTitle(records.version.title) };
  if (records.anomaly) fitted.anomaly = fitAlert(records.anomaly);
  if (records.failure) fitted.failure = fitAlert(records.failure);
  if (records.edit) {
    const { edit: _edit, ...rest } = fitted;
    const room = JOURNAL_RECORDS_MAX_BYTES - jsonBytes(rest) - 16;
    fitted.edit = fitEditNotification(records.edit, Math.min(NOTIFICATION_MAX_BYTES, room));
  }
  const bytes = jsonBytes(fitted);
  if (bytes > JOURNAL_RECORDS_MAX_BYTES) {
    throw new InvariantError(
      `capture ${records.capture.captureId}: records are ${bytes} bytes after fitting`,
    );
  }
  return fitted;
}
