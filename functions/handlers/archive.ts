import { handle } from 'hono/aws-lambda';
import { s3BlobLinks } from '../adapters/s3/blob-links.js';
import { appOf, archiveGate } from '../api/archive-gate.js';
import { ArchiveEnvSchema, parseEnv } from '../contracts/env.js';
import { systemClock } from '../core/domain/clock.js';
import { ALWAYS_BINARY, archiveKey, defaultWebClients, once, webDeps } from './web-context.js';

/**
 * CloudFront (the archive domain) → this function's URL (IAM auth, CloudFront's origin access control):
 * archived bytes, only through capability links the authenticated API handed out (archive-gate.ts).
 */
const ready = once(async () => {
  const env = parseEnv(ArchiveEnvSchema);
  const key = await archiveKey(env.ARCHIVE_KEY_SECRET_ARN);
  const clients = defaultWebClients();
  const deps = webDeps(env, clients, 'redline-archive');
  const gate = archiveGate(deps, {
    appUrl: env.APP_URL,
    key,
    clock: systemClock,
    // Over ~4.6 MB (a long PDF report): a ten-minute download link to the blob itself.
    blobLink: s3BlobLinks(clients.s3, env.BUCKET_NAME),
  });
  return handle(appOf(gate), ALWAYS_BINARY);
});

export async function handler(event: unknown, context: unknown) {
  const run = await ready();
  return run(event as never, context as never);
}
