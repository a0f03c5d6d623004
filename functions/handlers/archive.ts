import { handle } from 'hono/aws-lambda';
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
  const gate = archiveGate(webDeps(env, defaultWebClients(), 'redline-archive'), {
    appUrl: env.APP_URL,
    key,
    clock: systemClock,
  });
  return handle(appOf(gate), ALWAYS_BINARY);
});

export async function handler(event: unknown, context: unknown) {
  const run = await ready();
  return run(event as never, context as never);
}
