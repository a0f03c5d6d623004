import { z } from 'zod';
import { DigestSchema } from './digest.js';

export const CaptureModeSchema = z.enum(['auto', 'http', 'browser']);
export type CaptureMode = z.infer<typeof CaptureModeSchema>;

const IsoTime = z.iso.datetime({ offset: true });

/** A version's manifest still owed a timestamp by these authorities. */
export const UnstampedSchema = z.object({
  version: z.number().int().min(1),
  manifest: DigestSchema,
  /** The authorities (URLs) whose token is missing. */
  tsas: z.array(z.string()),
  /** Stamping attempts so far (the first, at the version's capture, included). */
  attempts: z.number().int().min(1),
});
export type Unstamped = z.infer<typeof UnstampedSchema>;

export const WatchSchema = z.object({
  id: z.string().regex(/^w_[0-9a-f]{20}$/),
  url: z.url(),
  cadenceSeconds: z.number().int().min(60),
  mode: CaptureModeSchema,
  tags: z.array(z.string()),
  createdAt: IsoTime,
  nextDueAt: IsoTime,
  lastCapturedAt: IsoTime.optional(),
  lastStatus: z.enum(['complete', 'partial', 'failed']).optional(),
  /** Number of the newest version, 0 before the first. */
  latestVersion: z.number().int().min(0),
  /** Shapes of blocks learned to change on every load of this page (never compared). */
  volatile: z.array(z.string()).default([]),
  /** Alert rate limiting: when the current window began and how many alerts it has had. */
  alertWindowStart: IsoTime.optional(),
  alertsInWindow: z.number().int().min(0).default(0),
  /** The anomaly of the latest capture, if it was one: a new anomaly is reported once, not every capture. */
  lastAnomaly: z.string().optional(),
  /** robots.txt is not honoured for this watch, and this is why (an override needs a reason). */
  ignoreRobots: z.string().min(1).optional(),
  /** ETag / Last-Modified of the response behind the baseline, for conditional requests. */
  validators: z.object({ etag: z.string().optional(), lastModified: z.string().optional() }).optional(),
  /** `feed`: an RSS/Atom feed, a (news) sitemap or an index page whose links become article watches. */
  type: z.enum(['article', 'feed']).default('article'),
  /** Feeds that are HTML index pages: only same-site links matching this pattern are articles. */
  linkPattern: z.string().optional(),
  /**
   * Feeds: whose links become watches. `site` (the default when absent): the feed's own site only (its
   * host, with or without www., and hosts above or below it); `any`: links to every host.
   */
  linkScope: z.enum(['site', 'any']).optional(),
  /** Set on discovered articles: the cadence then follows the article's age (ADR 0007). */
  firstSeenAt: IsoTime.optional(),
  /** The feed watch that discovered this article. */
  discoveredFrom: z.string().optional(),
  /** The last archived payload, so an identical one is written as a WARC revisit record. */
  lastPayload: z.object({ digest: DigestSchema, url: z.string(), capturedAt: IsoTime }).optional(),
  /**
   * Versions whose manifest some timestamp authority has not stamped yet (it was down or wrong): later
   * captures of the watch ask again, a few per capture (functions/core/proof/stamping.ts).
   */
  unstamped: z.array(UnstampedSchema).optional(),
});
export type Watch = z.infer<typeof WatchSchema>;

/** What a capture changes on its watch (no defaults: a field left out is left as it is). */
export const WatchUpdateSchema = z.object({
  nextDueAt: IsoTime,
  latestVersion: z.number().int().min(0),
  lastCapturedAt: IsoTime.optional(),
  lastStatus: WatchSchema.shape.lastStatus,
  volatile: z.array(z.string()).optional(),
  alertWindowStart: IsoTime.optional(),
  alertsInWindow: z.number().int().min(0).optional(),
  lastAnomaly: z.string().optional(),
  validators: WatchSchema.shape.validators,
  lastPayload: WatchSchema.shape.lastPayload,
  unstamped: WatchSchema.shape.unstamped,
});
export type WatchUpdate = z.infer<typeof WatchUpdateSchema>;

/** `diff`: the standalone HTML diff page an edit's capture made (its version also names it). */
export const ArtifactKindSchema = z.enum([
  'raw',
  'rendered',
  'pdf',
  'screenshot',
  'article',
  'text',
  'warc',
  'diff',
  /** The whole edit list as JSON, when the version record holds only its first edits (the 400 KB item limit). */
  'edits',
  /** The manifest of the version this capture made (ADR 0012); named by the capture, not in its version's artifacts. */
  'manifest',
  /** The capture's provenance (server IP, TLS, user agent, software versions, options, egress) as JSON. */
  'provenance',
  /** The capture's payload index: its WARC's revisits and where their originals are, the payloads known so far (ADR 0006). */
  'payloads',
]);
export type ArtifactKind = z.infer<typeof ArtifactKindSchema>;

export const ArtifactRefSchema = z.object({
  digest: DigestSchema,
  size: z.number().int().min(0),
  contentType: z.string(),
});
export type ArtifactRef = z.infer<typeof ArtifactRefSchema>;

export const ArtifactsSchema = z.partialRecord(ArtifactKindSchema, ArtifactRefSchema);
export type Artifacts = z.infer<typeof ArtifactsSchema>;

/**
 * The capture pipeline's steps, in order (functions/core/capture/pipeline.ts), then the browser's own
 * steps inside `render` (functions/adapters/chromium). A closed set: a step record names one of these.
 */
export const PIPELINE_STEPS = [
  'robots',
  'wait',
  'fetch',
  'feed',
  'render',
  'extract',
  'detect',
  'confirm',
  'warc',
  'version',
  'proof',
  'record',
] as const;
export const BROWSER_STEPS = [
  'launch',
  'navigate',
  'scroll',
  'settle',
  'unresponsive',
  'snapshot',
  'hold',
  'restore',
  'html',
  'pdf',
  'screenshot',
] as const;
export const StepNameSchema = z.enum([...PIPELINE_STEPS, ...BROWSER_STEPS]);
export type StepName = z.infer<typeof StepNameSchema>;
export type PipelineStepName = (typeof PIPELINE_STEPS)[number];

/**
 * Why a capture cannot stand for the article (functions/core/detect/anomaly.ts): a closed set, plus an
 * HTTP error status the set does not name (`http_status_503`).
 */
export const ANOMALY_KINDS = [
  'not_found',
  'blocked',
  'paywall',
  'soft_404',
  'truncated',
  'empty_shell',
  'unreadable_pdf',
] as const;
export const AnomalyKindSchema = z.union([
  z.enum(ANOMALY_KINDS),
  z.templateLiteral(['http_status_', z.number().int().min(400).max(599)]),
]);
export type AnomalyKind = z.infer<typeof AnomalyKindSchema>;

export const StepSchema = z.object({
  name: StepNameSchema,
  status: z.enum(['ok', 'failed', 'skipped']),
  ms: z.number().min(0),
  detail: z.string().optional(),
});
export type Step = z.infer<typeof StepSchema>;

export const EditKindSchema = z.enum([
  'headline_changed',
  'byline_changed',
  'dates_changed',
  'paragraph_added',
  'paragraph_removed',
  'paragraph_changed',
  'correction_added',
  /** A non-HTML document (PDF, image, …) whose bytes changed. */
  'document_changed',
]);
export type EditKind = z.infer<typeof EditKindSchema>;

export const EditFieldSchema = z.enum(['headline', 'byline', 'dates', 'body', 'corrections', 'document']);

export const EditSchema = z.object({
  kind: EditKindSchema,
  field: EditFieldSchema.optional(),
  /** For documents with pages (PDF): the page the block is on. */
  page: z.number().int().min(1).optional(),
  /** Position of the block in the older (removed/changed) or newer (added) version. */
  index: z.number().int().min(0).optional(),
  before: z.string().optional(),
  after: z.string().optional(),
  significance: z.enum(['minor', 'major']),
});
export type Edit = z.infer<typeof EditSchema>;

export const VerdictSchema = z.enum(['first', 'unchanged', 'edited', 'anomaly']);
export type Verdict = z.infer<typeof VerdictSchema>;

export const HttpSummarySchema = z.object({
  status: z.number().int(),
  finalUrl: z.string(),
  contentType: z.string(),
  headers: z.record(z.string(), z.string()),
});
export type HttpSummary = z.infer<typeof HttpSummarySchema>;

/** A verified RFC 3161 token over a version's manifest digest, stored as a blob (ADR 0013). */
export const TimestampRefSchema = z.object({
  /** The authority that issued it (its URL). */
  tsa: z.string(),
  /** The time the authority vouches for (TSTInfo genTime). */
  genTime: IsoTime,
  /** The DER TimeStampToken (CMS ContentInfo), content type application/vnd.redline.tst. */
  token: ArtifactRefSchema,
});
export type TimestampRef = z.infer<typeof TimestampRefSchema>;

/** A token a capture obtained for a version's manifest: its own version's, or an earlier one's (a retried stamp). */
export const LateTimestampSchema = TimestampRefSchema.extend({
  version: z.number().int().min(1),
  manifest: DigestSchema,
});
export type LateTimestamp = z.infer<typeof LateTimestampSchema>;

/** An authority that gave no usable token for a version's manifest during this capture. */
export const StampFailureSchema = z.object({
  version: z.number().int().min(1),
  tsa: z.string(),
  /** The TimestampError code, the TimestampAuthorityError reason, or `error`; then the message. */
  reason: z.string(),
});
export type StampFailure = z.infer<typeof StampFailureSchema>;

export const CaptureRecordSchema = z.object({
  watchId: z.string(),
  captureId: z.string(),
  url: z.string(),
  startedAt: IsoTime,
  capturedAt: IsoTime,
  status: z.enum(['complete', 'partial', 'failed']),
  reason: z.string().optional(),
  http: HttpSummarySchema.optional(),
  artifacts: ArtifactsSchema,
  steps: z.array(StepSchema),
  textHash: DigestSchema.optional(),
  verdict: VerdictSchema.optional(),
  anomaly: AnomalyKindSchema.optional(),
  /** The version this capture created or confirmed. */
  version: z.number().int().min(1).optional(),
  /** The server answered 304 to a conditional request: nothing fetched, rendered or stored. */
  notModified: z.boolean().optional(),
  /** The page declares (rel=canonical) an already watched URL: this watch was removed as its duplicate. */
  duplicateOf: z.string().optional(),
  /** Feed captures: article links found, and how many were new watches. */
  links: z.number().int().min(0).optional(),
  discovered: z.number().int().min(0).optional(),
  /** Every token this capture obtained: for its own version's manifest and, retried, earlier ones'. */
  timestamps: z.array(LateTimestampSchema).optional(),
  /** Timestamp authorities that failed during this capture (the capture itself is not held back). */
  stampFailures: z.array(StampFailureSchema).optional(),
});
export type CaptureRecord = z.infer<typeof CaptureRecordSchema>;

export const VersionRecordSchema = z.object({
  watchId: z.string(),
  number: z.number().int().min(1),
  captureId: z.string(),
  url: z.string(),
  capturedAt: IsoTime,
  title: z.string(),
  textHash: DigestSchema,
  artifacts: ArtifactsSchema,
  /** Edits against the previous version (empty for the first); the first ones only when `omittedEdits` is set. */
  edits: z.array(EditSchema),
  /** Edits left out of `edits` to keep the record under DynamoDB's item limit: all are in `artifacts.edits`. */
  omittedEdits: z.number().int().min(1).optional(),
  /** Text changed while the publisher's dateModified did not. */
  silent: z.boolean().optional(),
  /** This version says exactly what an earlier version said (a flip-flop or an undone edit). */
  revertOf: z.number().int().min(1).optional(),
  /** The standalone HTML diff against the previous version. */
  diff: ArtifactRefSchema.optional(),
  /** Whether the edit was announced, or held back by the per-watch alert limit. */
  alert: z.enum(['sent', 'rate_limited']).optional(),
  /**
   * The version's manifest (ADR 0012): canonical JSON naming this version's artifacts and the previous
   * version's manifest digest, content type application/vnd.redline.manifest+json. Absent on versions
   * made before manifests existed, or when the proof step could not run.
   */
  manifest: ArtifactRefSchema.optional(),
  /** Tokens obtained for the manifest at the version's own capture (later ones: CaptureRecord.timestamps). */
  timestamps: z.array(TimestampRefSchema).optional(),
});
export type VersionRecord = z.infer<typeof VersionRecordSchema>;

/** One edit notification: the SNS message body in AWS, one line of notifications.jsonl locally. */
export const EditNotificationSchema = z.object({
  type: z.literal('redline.edit'),
  watchId: z.string(),
  url: z.string(),
  title: z.string(),
  capturedAt: IsoTime,
  oldVersion: z.number().int(),
  newVersion: z.number().int(),
  oldTextHash: DigestSchema,
  newTextHash: DigestSchema,
  edits: z.array(EditSchema),
  /** Edits left out to keep the message under SNS's 256 KB: the diff page (`diffUrl`) has them all. */
  omittedEdits: z.number().int().min(1).optional(),
  /** `major` if any edit is major. */
  significance: z.enum(['minor', 'major']),
  silent: z.boolean(),
  revertOf: z.number().int().optional(),
  /** Short word diff, one line per edit. */
  diff: z.string(),
  /** Digest of the standalone HTML diff page (a blob). */
  diffHtml: DigestSchema.optional(),
  /** A link to that page: the viewer's diff page (after sign-in on AWS), which lives as long as the archive. */
  diffUrl: z.string().optional(),
  tags: z.array(z.string()),
});
export type EditNotification = z.infer<typeof EditNotificationSchema>;

/** A capture that could not stand for the article (paywall, block page, …), reported apart from edits. */
export const AnomalyNotificationSchema = z.object({
  type: z.literal('redline.anomaly'),
  watchId: z.string(),
  url: z.string(),
  capturedAt: IsoTime,
  anomaly: AnomalyKindSchema,
  /** The version the watch keeps as its baseline. */
  baselineVersion: z.number().int().min(0),
  httpStatus: z.number().int().optional(),
  tags: z.array(z.string()),
});
export type AnomalyNotification = z.infer<typeof AnomalyNotificationSchema>;

/** A capture that failed (unreachable, refused, over a limit), reported once when a watch starts failing. */
export const FailureNotificationSchema = z.object({
  type: z.literal('redline.failure'),
  watchId: z.string(),
  url: z.string(),
  capturedAt: IsoTime,
  reason: z.string(),
  tags: z.array(z.string()),
});
export type FailureNotification = z.infer<typeof FailureNotificationSchema>;

/** One message on the capture queue: capture this watch, which was due at this time. */
export const CaptureRequestSchema = z.object({
  watchId: z.string().regex(/^w_[0-9a-f]{20}$/),
  dueAt: IsoTime,
});
export type CaptureRequest = z.infer<typeof CaptureRequestSchema>;

/**
 * A capture's write-ahead entry, written before its blobs: everything the capture is about to record.
 * Closed once the records are written. One found open after `staleAfter` belongs to a process that
 * stopped midway; the next capture of the watch finishes it (ADR 0008).
 */
export const JournalEntrySchema = z.object({
  watchId: z.string(),
  captureId: z.string(),
  openedAt: IsoTime,
  staleAfter: IsoTime,
  /** The capture record names every blob the capture stores (its `artifacts`). */
  capture: CaptureRecordSchema,
  version: VersionRecordSchema.optional(),
  edit: EditNotificationSchema.optional(),
  anomaly: AnomalyNotificationSchema.optional(),
  failure: FailureNotificationSchema.optional(),
  watchUpdate: WatchUpdateSchema,
  /** The watch is folded into the one it declares canonical. */
  removeWatch: z.boolean().optional(),
  /** How many times finishing this entry was begun: past the limit it is recorded as failed and closed. */
  recoveryAttempts: z.number().int().min(0).optional(),
});
export type JournalEntry = z.infer<typeof JournalEntrySchema>;

export const NotificationSchema = z.discriminatedUnion('type', [
  EditNotificationSchema,
  AnomalyNotificationSchema,
  FailureNotificationSchema,
]);
export type Notification = z.infer<typeof NotificationSchema>;

/**
 * A notification a capture made, kept until it is published: written with the capture's records,
 * published after them, retried with backoff by later captures of the watch when publishing fails, and
 * given up (`undeliverable`, reported on the alerts topic) after the last attempt. Delivered ones are deleted.
 */
export const PendingNotificationSchema = z.object({
  watchId: z.string(),
  /** `<captureId>#<edit|anomaly|failure>`: one per notification a capture makes. */
  id: z.string(),
  createdAt: IsoTime,
  status: z.enum(['pending', 'undeliverable']),
  /** Attempts begun so far. */
  attempts: z.number().int().min(0),
  nextAttemptAt: IsoTime,
  lastError: z.string().optional(),
  notification: NotificationSchema,
});
export type PendingNotification = z.infer<typeof PendingNotificationSchema>;
