import type { Context } from 'hono';
import { z } from 'zod';
import {
  BlobNotFoundError,
  ConflictError,
  IntegrityError,
  InvalidInputError,
  VersionNotFoundError,
  WatchNotFoundError,
} from '../core/domain/errors.js';
import type { Logger } from '../core/domain/ports.js';

/** An HTTP error with its status, raised by routes; rendered as `{ error: { status, code, message } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: 400 | 403 | 404 | 409 | 415 | 500,
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ApiError';
  }
}

/** Validates a request input with zod; a failure is a 400 naming every problem. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new ApiError(
      400,
      'invalid_input',
      `${what}: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`,
      {
        cause: parsed.error,
      },
    );
  return parsed.data;
}

/** Maps an error to its status: bad input 400, unknown watch/version/blob 404, anything else 500. */
export function errorResponse(error: unknown, c: Context, logger: Logger): Response {
  const [status, code, message] = classify(error);
  if (status === 500) logger.error('api request failed', { path: c.req.path, error: String(error) });
  return c.json({ error: { status, code, message } }, status);
}

function classify(error: unknown): [400 | 403 | 404 | 409 | 415 | 500, string, string] {
  if (error instanceof ApiError) return [error.status, error.code, error.message];
  if (error instanceof InvalidInputError) return [400, 'invalid_input', error.message];
  if (error instanceof z.ZodError) return [400, 'invalid_input', z.prettifyError(error).replace(/\n/g, '; ')];
  if (error instanceof WatchNotFoundError) return [404, 'watch_not_found', error.message];
  if (error instanceof VersionNotFoundError) return [404, 'version_not_found', error.message];
  if (error instanceof BlobNotFoundError) return [404, 'blob_not_found', error.message];
  if (error instanceof ConflictError) return [409, 'conflict', error.message];
  // A blob that does not hash to its digest is never served; say so rather than hide it.
  if (error instanceof IntegrityError) return [500, 'integrity', error.message];
  return [500, 'internal', 'internal error'];
}

/** Headers on every archived byte served: a sandbox (no scripts, an opaque origin), no sniffing. */
export const ARCHIVED_HEADERS: Record<string, string> = {
  'Content-Security-Policy': 'sandbox',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/**
 * The path and query of a request exactly as sent, after `prefix` (e.g. `/timegate/`): a URI-R keeps its
 * own query string, which routers would split off. Clients and proxies that merge `//` get it back.
 */
export function rawRest(c: Context, prefix: string): string {
  const url = c.req.url;
  const start = url.indexOf('/', url.indexOf('//') + 2);
  const pathAndQuery = start < 0 ? '/' : url.slice(start);
  if (!pathAndQuery.startsWith(prefix)) throw new ApiError(404, 'not_found', `no route for ${pathAndQuery}`);
  return pathAndQuery.slice(prefix.length);
}

/** A URI-R as written after a Memento prefix: `https://a.example/x?id=1`, `https:/a.example/x`, or percent-encoded. */
export function uriFromPath(rest: string): string {
  let uri = rest;
  if (/^https?%3A/i.test(uri)) {
    try {
      uri = decodeURIComponent(uri);
    } catch (cause) {
      throw new ApiError(400, 'invalid_uri', `invalid URI-R: ${rest}`, { cause });
    }
  }
  uri = uri.replace(/^(https?):\/*/i, '$1://');
  if (!/^https?:\/\/./i.test(uri)) throw new ApiError(400, 'invalid_uri', `not an http(s) URI-R: ${rest}`);
  return uri;
}
