// The store process a redline command starts for its data dir (functions/local/store-client.ts):
// `node redline-store.js <dataDir>`. scripts/build.mjs compiles it to dist/cli/redline-store.js.
// Exit codes: 0 stopped (idle, replaced, signal), 75 the database is held by another process, 1 failed.
import { z } from 'zod';
import { jsonLogger } from '../adapters/json-logger.js';
import { StoreBusyError, startStore } from './store.js';
import { STORE_BUSY_EXIT } from './store-file.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const dataDir = process.argv[2];
const idleMs = z.coerce
  .number()
  .int()
  .min(100)
  .max(86_400_000)
  .default(60_000)
  .parse(process.env.REDLINE_STORE_IDLE_MS || undefined);
const logger = jsonLogger({ component: 'store' });

if (!dataDir) {
  process.stderr.write('usage: redline-store <dataDir>\n');
  process.exit(2);
}
let phase: 'starting' | 'serving' | 'stopping' = 'starting';
// dynalite reports a database it could not open by throwing from a request callback. While starting, that
// is another store winning the lock between our check and dynalite's open: exit as busy. Later, a failure.
process.on('uncaughtException', (error) => {
  if (phase === 'starting' && /Database is closed/.test(String(error?.message)))
    process.exit(STORE_BUSY_EXIT);
  if (phase === 'stopping') process.exit(0);
  logger.error('store failed', { error: String(error?.message ?? error), stack: String(error?.stack) });
  process.exit(1);
});
try {
  const store = await startStore({ dataDir, idleMs, logger });
  phase = 'serving';
  await store.closed;
  phase = 'stopping';
  process.exit(0);
} catch (error) {
  if (error instanceof StoreBusyError) process.exit(STORE_BUSY_EXIT);
  const e = error as Error;
  const cause = (e?.cause as Error | undefined)?.message;
  logger.error('store failed', {
    error: `${e?.message ?? String(error)}${cause ? `: ${cause}` : ''}`,
    stack: String(e?.stack),
  });
  process.exit(1);
}
