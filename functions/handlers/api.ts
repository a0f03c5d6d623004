import type { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import type { z } from 'zod';
import { S3Downloads } from '../adapters/s3/s3-downloads.js';
import { readTsaRoots } from '../adapters/tsa/config.js';
import { createApp } from '../api/app.js';
import { ArchiveSigner } from '../api/archive-token.js';
import { ApiEnvSchema, parseEnv } from '../contracts/env.js';
import { systemClock } from '../core/domain/clock.js';
import {
  ALWAYS_BINARY,
  archiveKey,
  defaultWebClients,
  once,
  type WebClients,
  webDeps,
} from './web-context.js';

/**
 * API Gateway (HTTP API, JWT authorizer on every route) → the API, Memento and the viewer's JSON
 * (createApp). Archive links in its answers are capability links signed with the archive key.
 */
export function apiApp(env: z.infer<typeof ApiEnvSchema>, clients: WebClients, key: Uint8Array): Hono {
  const signer = new ArchiveSigner(key, env.ARCHIVE_LINK_TTL_SECONDS, systemClock);
  return createApp(
    {
      ...webDeps(env, clients, 'redline-api'),
      downloads: new S3Downloads(clients.s3, env.EXPORTS_BUCKET_NAME),
      evidence: { maxBytes: env.EXPORT_MAX_BYTES },
      ...(env.REDLINE_TSA_CA_FILE ? { tsaCaPem: readTsaRoots(env.REDLINE_TSA_CA_FILE).pem } : {}),
    },
    { app: env.APP_URL, archive: env.ARCHIVE_URL, signArchive: (path) => signer.sign(path) },
  );
}

/** The claims API Gateway's JWT authorizer verified and passed on; none means the route has no authorizer. */
interface HttpApiEvent {
  requestContext?: { authorizer?: { jwt?: { claims?: Record<string, unknown> } } };
}

const unauthorized = () => ({
  statusCode: 401,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify({ error: { status: 401, code: 'unauthorized', message: 'sign in first' } }),
  isBase64Encoded: false,
});

const ready = once(async () => {
  const env = parseEnv(ApiEnvSchema) as ReturnType<typeof ApiEnvSchema.parse>;
  return handle(
    await apiApp(env, defaultWebClients(), await archiveKey(env.ARCHIVE_KEY_SECRET_ARN)),
    ALWAYS_BINARY,
  );
});

export async function handler(event: unknown, context: unknown) {
  // Defence in depth: every route has the authorizer (test/infra/web-stack.test.ts); a request that
  // reached here without verified claims is refused all the same.
  const claims = (event as HttpApiEvent).requestContext?.authorizer?.jwt?.claims;
  if (!claims || typeof claims.sub !== 'string' || claims.sub === '') return unauthorized();
  const run = await ready();
  return run(event as never, context as never);
}
