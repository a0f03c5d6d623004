import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { DynamoCatalog } from '../adapters/dynamo/dynamo-catalog.js';
import { systemClock } from '../core/clock.js';
import { RedlineError } from '../core/errors.js';
import type { Watch } from '../core/model.js';
import type { WatchStore } from '../core/ports.js';
import { WatchSpecSchema, watchSettingsOf } from '../core/watch-spec.js';
import { addWatch, removeWatch } from '../core/watches.js';
import { parseEnv, WatchAdminEnvSchema } from './env.js';

export { type WatchSpec, WatchSpecSchema } from '../core/watch-spec.js';

/** `aws lambda invoke` payloads for managing watches in a deployed stack. */
export const WatchAdminEventSchema = z.discriminatedUnion('action', [
  WatchSpecSchema.extend({ action: z.literal('add') }),
  /** Upserts every watch in the list (the watch-list file synced on deploy); other watches stay. */
  z.object({ action: z.literal('sync'), watches: z.array(WatchSpecSchema) }),
  z.object({ action: z.literal('remove'), url: z.string() }),
  z.object({ action: z.literal('list') }),
]);

export type WatchAdminResult = { ok: true; watch?: Watch; watches?: Watch[] } | { ok: false; error: string };

export async function handleWatchAdmin(event: unknown, store: WatchStore): Promise<WatchAdminResult> {
  const parsed = WatchAdminEventSchema.safeParse(event);
  if (!parsed.success) return { ok: false, error: z.prettifyError(parsed.error) };
  const command = parsed.data;
  const deps = { watches: store, clock: systemClock };
  try {
    switch (command.action) {
      case 'add':
        return { ok: true, watch: (await addWatch(deps, watchSettingsOf(command))).watch };
      case 'sync': {
        const watches: Watch[] = [];
        for (const spec of command.watches) watches.push((await addWatch(deps, watchSettingsOf(spec))).watch);
        return { ok: true, watches };
      }
      case 'remove':
        return { ok: true, watch: await removeWatch(deps, command.url) };
      case 'list':
        return { ok: true, watches: await store.listWatches() };
    }
  } catch (error) {
    if (error instanceof RedlineError) return { ok: false, error: error.message };
    throw error;
  }
}

let store: DynamoCatalog | undefined;

export async function handler(event: unknown): Promise<WatchAdminResult> {
  store ??= new DynamoCatalog(new DynamoDBClient({}), parseEnv(WatchAdminEnvSchema).TABLE_NAME);
  return handleWatchAdmin(event, store);
}
