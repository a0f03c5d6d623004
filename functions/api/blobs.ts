import type { Context } from 'hono';
import { z } from 'zod';
import { DigestSchema } from '../core/domain/digest.js';
import type { ArtifactRef } from '../core/domain/model.js';
import type { BlobStore, CaptureLog, VersionLog } from '../core/domain/ports.js';
import { readVerified } from '../core/history/history.js';
import { ARCHIVED_HEADERS, parseInput } from './http.js';

export interface BlobDeps {
  blobs: BlobStore;
  captures: CaptureLog;
  versions: VersionLog;
}

const BlobQuerySchema = z.object({
  watch: z
    .string()
    .regex(/^w_[0-9a-f]{20}$/)
    .optional(),
});

/** The record naming a blob among a watch's captures and versions (its content type), if any does. */
async function recordedRef(
  deps: BlobDeps,
  watchId: string,
  digest: string,
): Promise<ArtifactRef | undefined> {
  const [captures, versions] = await Promise.all([
    deps.captures.listCaptures(watchId),
    deps.versions.listVersions(watchId),
  ]);
  for (const record of [...versions, ...captures]) {
    for (const ref of Object.values(record.artifacts)) if (ref?.digest === digest) return ref;
    if ('diff' in record && record.diff?.digest === digest) return record.diff;
  }
  return undefined;
}

/**
 * An artifact's bytes by digest, verified against it by the store. `?watch=` names the watch whose records
 * say its content type (else application/octet-stream). Served sandboxed and unsniffed whatever it is.
 */
export async function serveBlob(c: Context, deps: BlobDeps): Promise<Response> {
  const digest = parseInput(DigestSchema, c.req.param('digest'), 'digest');
  const query = parseInput(BlobQuerySchema, c.req.query(), 'query');
  const [bytes, ref] = await Promise.all([
    readVerified(deps.blobs, digest),
    query.watch ? recordedRef(deps, query.watch, digest) : Promise.resolve(undefined),
  ]);
  return c.body(Buffer.from(bytes), 200, {
    ...ARCHIVED_HEADERS,
    'Content-Type': ref?.contentType || 'application/octet-stream',
    ETag: `"${digest}"`,
    'Cache-Control': 'public, max-age=31536000, immutable',
  });
}
