/** Domain errors. Adapters translate SDK and I/O failures into these; only the edges map them to exit codes or retries. */

export class RedlineError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input from a user, event or file failed validation. */
export class InvalidInputError extends RedlineError {}

/** A URL points at an address Redline refuses to contact (private, loopback, metadata, …). */
export class ForbiddenAddressError extends RedlineError {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly rule: string,
    options?: ErrorOptions,
  ) {
    super(`refused to connect to ${host} (${address}): ${rule}`, options);
  }
}

export class WatchNotFoundError extends RedlineError {
  constructor(readonly url: string) {
    super(`no watch for ${url}`);
  }
}

export class VersionNotFoundError extends RedlineError {}

/** No capture of a URL has this id, or the capture stored no artifact in the format asked for. */
export class CaptureNotFoundError extends RedlineError {}

export class BlobNotFoundError extends RedlineError {
  constructor(readonly digest: string) {
    super(`blob ${digest} is missing`);
  }
}

/** The stored bytes do not hash to the digest that names them. */
export class IntegrityError extends RedlineError {}

/** What a blob store found under a digest instead of the bytes it names. */
export interface BlobFound {
  /** The digest of what is stored (`sha256:<hex>`), when it was read or the store recorded one. */
  digest?: string;
  /** Its size in bytes, when known. */
  size?: number;
}

const describeFound = (found: BlobFound) =>
  [found.digest, found.size !== undefined ? `${found.size} bytes` : undefined].filter(Boolean).join(', ') ||
  'something else';

/** A blob read (or checked) under `digest` is not the bytes that digest names. */
export class BlobIntegrityError extends IntegrityError {
  constructor(
    readonly digest: string,
    readonly found: BlobFound,
    options?: ErrorOptions,
  ) {
    super(`blob ${digest} is corrupt: the store holds ${describeFound(found)}`, options);
  }
}

/**
 * A put found wrong bytes stored under the digest and cannot replace them (create-only storage: S3 with
 * If-None-Match and Object Lock). The blob is not stored; an operator must repair the object.
 */
export class BlobUnrepairableError extends BlobIntegrityError {
  constructor(digest: string, found: BlobFound, options?: ErrorOptions) {
    super(digest, found, options);
    this.message += '; the storage is create-only, so a put cannot replace it';
  }
}

/** A conditional write lost against a concurrent or earlier writer. */
export class ConflictError extends RedlineError {}

/** Fetching a URL failed: network, timeout, limits, HTTP protocol. */
export class FetchError extends RedlineError {
  constructor(
    message: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * A time budget ran out (`budget` names it: "total fetch", "robots.txt", "capture", …). Also the reason a
 * caller gives to `AbortController.abort()` when its own deadline passes, so whatever it stops can say why.
 */
export class DeadlineError extends RedlineError {
  constructor(
    readonly budget: string,
    readonly budgetMs: number,
    readonly elapsedMs: number,
    options?: ErrorOptions,
  ) {
    super(`the ${budget} budget of ${budgetMs} ms ran out after ${elapsedMs} ms`, options);
  }
}

/**
 * A fetch stopped before its response was read to the end: its own total budget ran out, or the caller's
 * signal aborted it. `cause` is the abort reason (a DeadlineError when a budget ran out).
 */
export class FetchTimeoutError extends FetchError {
  constructor(
    readonly url: string,
    readonly budget: string,
    readonly elapsedMs: number,
    options?: ErrorOptions,
  ) {
    const cause = options?.cause;
    const why =
      cause instanceof DeadlineError
        ? cause.message
        : `aborted by the caller after ${elapsedMs} ms${cause instanceof Error ? ` (${cause.message})` : ''}`;
    super(`fetching ${url} stopped: ${why}`, 'timeout', options);
  }
}

/** The headless browser failed to render a page. */
export class RenderError extends RedlineError {}

/**
 * The caller's signal stopped a render: `step` names the step that was running, `cause` is the signal's reason
 * (a DeadlineError when the capture's budget ran out). The browser context of that render is closed by then.
 */
export class RenderAbortedError extends RenderError {
  constructor(
    readonly url: string,
    readonly step: string,
    readonly elapsedMs: number,
    options?: ErrorOptions,
  ) {
    const cause = options?.cause;
    const why =
      cause instanceof Error ? `: ${cause.message}` : cause === undefined ? '' : `: ${String(cause)}`;
    super(`rendering ${url} was stopped during the ${step} step after ${elapsedMs} ms${why}`, options);
  }
}

/** The code broke one of its own rules (a bug, never bad input). */
export class InvariantError extends RedlineError {}

/** A WACZ could not be built from its inputs (a WARC that is not per-record gzip, a page missing from the index, a bad path). */
export class WaczBuildError extends RedlineError {}

/** A WACZ signing key or signature is unusable (wrong key type or curve, malformed PEM). */
export class WaczSignatureError extends RedlineError {}

/** What a timestamp reply or token got wrong; a closed set so callers and reports can name it. */
export type TimestampErrorCode =
  | 'status'
  | 'imprint'
  | 'nonce'
  | 'eku'
  | 'chain'
  | 'signature'
  | 'time'
  | 'malformed';

/** An RFC 3161 timestamp reply or stored token failed verification. */
export class TimestampError extends RedlineError {
  constructor(
    readonly code: TimestampErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`timestamp ${code}: ${message}`, options);
  }
}

/** Asking a timestamp authority failed before there was a reply to verify (network, timeout, HTTP, limits). */
export class TimestampAuthorityError extends RedlineError {
  constructor(
    readonly url: string,
    readonly reason: 'network' | 'timeout' | 'http-status' | 'content-type' | 'too-large' | 'aborted',
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${url}: ${message}`, options);
  }
}

/** The timestamp authority settings (URLs, CA file) are invalid. */
export class TimestampConfigError extends RedlineError {}

/** A PDF could not be read: malformed, encrypted, or its reader failed. */
export class PdfError extends RedlineError {}

/** Which budget stopped a PDF's text extraction. */
export type PdfLimit = 'pages' | 'memory' | 'time' | 'aborted';

/**
 * Reading a PDF's text stopped at one of its budgets: too many pages, too much memory, too long, or the
 * caller's signal. `budget` is the limit (pages, MB, ms) and `observed` what was seen when it stopped.
 */
export class PdfLimitError extends RedlineError {
  constructor(
    readonly limit: PdfLimit,
    readonly budget: number,
    readonly observed: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Which budget stopped an HTML article extraction. */
export type ExtractLimit = 'memory' | 'time' | 'aborted';

/**
 * Reading an HTML page's article stopped at one of its budgets: the extracting worker's heap, its time,
 * or the caller's signal. `budget` is the limit (MB, ms) and `observed` what was seen when it stopped.
 */
export class ExtractLimitError extends RedlineError {
  constructor(
    readonly limit: ExtractLimit,
    readonly budget: number,
    readonly observed: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The HTML extraction worker failed for a reason other than a budget (it could not start, it crashed). */
export class ExtractError extends RedlineError {}
