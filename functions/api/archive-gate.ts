import { AsyncLocalStorage } from 'node:async_hooks';
import { Hono } from 'hono';
import { LAMBDA_SYNC_PAYLOAD_MAX_BYTES } from '../contracts/aws-limits.js';
import type { Clock } from '../core/domain/clock.js';
import type { Digest } from '../core/domain/digest.js';
import { type ApiDeps, createArchiveApp } from './app.js';
import { signArchivePath, verifyArchivePath } from './archive-token.js';
import { ARCHIVED_HEADERS } from './http.js';

/**
 * Bytes a Lambda response body may hold once base64-encoded (archived bytes always travel as base64, so
 * a page in any charset arrives as it was stored), with room for the headers and the JSON around it.
 */
export const MAX_ARCHIVE_BODY_BYTES = Math.floor(((LAMBDA_SYNC_PAYLOAD_MAX_BYTES - 64 * 1024) * 3) / 4);

const pathAndQueryOf = (url: string) => {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  return start < 0 ? '/' : url.slice(start);
};

const refuse = (status: 403 | 405 | 502, code: string, message: string) =>
  Response.json(
    { error: { status, code, message } },
    { status, headers: { ...ARCHIVED_HEADERS, 'Cache-Control': 'no-store' } },
  );

/**
 * The archive origin on AWS: every request must carry a valid capability token (archive-token.ts) for
 * exactly the path and query it asks; then the archive app answers `rest` as if asked directly. Its own
 * redirects (a memento between versions → the canonical one) are signed with the same expiry, relative
 * to this origin. Every response, refusals and errors included, is sandboxed; a served link is private
 * to the browser that holds it, cached no longer than the link lives.
 */
export function archiveGate(
  deps: ApiDeps,
  options: {
    appUrl: string;
    key: Uint8Array;
    clock: Clock;
    /**
     * A short-lived download link to a stored blob (on AWS: a presigned S3 GET as an attachment): how an
     * artifact larger than a Lambda response reaches the browser. Without it such an artifact is a 502.
     */
    blobLink?: (digest: Digest) => Promise<string>;
  },
): (request: Request) => Promise<Response> {
  const expiry = new AsyncLocalStorage<number>();
  const archive = createArchiveApp(deps, () => ({
    app: options.appUrl,
    archive: '',
    signArchive: (pathAndQuery) => signArchivePath(options.key, pathAndQuery, expiry.getStore()!),
  }));
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return refuse(405, 'method_not_allowed', 'the archive origin answers GET and HEAD only');
    const now = Math.floor(options.clock.now().getTime() / 1000);
    const check = verifyArchivePath(options.key, pathAndQueryOf(request.url), now);
    if (!check.ok)
      return refuse(
        403,
        `link_${check.reason}`,
        `this archive link is ${check.reason}: open it from the viewer`,
      );
    const origin = request.url.slice(0, request.url.indexOf('/', request.url.indexOf('//') + 2));
    const inner = new Request(`${origin}${check.rest}`, { method: request.method, headers: request.headers });
    const response = await expiry.run(check.expiresAt, () => archive.fetch(inner));
    const headers = new Headers(response.headers);
    for (const [name, value] of Object.entries(ARCHIVED_HEADERS)) headers.set(name, value);
    headers.set(
      'Cache-Control',
      response.ok ? `private, max-age=${Math.max(0, check.expiresAt - now)}` : 'no-store',
    );
    const body = await response.arrayBuffer();
    // The bytes were read and checked against their digest (the ETag) by the archive app just now.
    const digest = /^"(sha256:[0-9a-f]{64})"$/.exec(response.headers.get('etag') ?? '')?.[1] as
      | Digest
      | undefined;
    if (body.byteLength > MAX_ARCHIVE_BODY_BYTES && response.ok && digest && options.blobLink)
      return new Response(null, {
        status: 303,
        headers: {
          ...ARCHIVED_HEADERS,
          Location: await options.blobLink(digest),
          'Cache-Control': 'no-store',
        },
      });
    if (body.byteLength > MAX_ARCHIVE_BODY_BYTES)
      return refuse(
        502,
        'too_large_for_lambda',
        `this artifact has ${body.byteLength} bytes, more than a Lambda response carries; fetch it with the CLI (redline get)`,
      );
    const empty = request.method === 'HEAD' || [204, 205, 304].includes(response.status);
    return new Response(empty ? null : body, { status: response.status, headers });
  };
}

/** A Hono app around a fetch function (what hono/aws-lambda's `handle` takes). */
export function appOf(fetch: (request: Request) => Promise<Response>): Hono {
  const app = new Hono();
  app.all('*', (c) => fetch(c.req.raw));
  return app;
}
