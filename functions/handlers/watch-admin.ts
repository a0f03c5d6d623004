import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { DynamoCatalog } from '../adapters/dynamo/dynamo-catalog.js';
import { jsonBytes, LAMBDA_SYNC_PAYLOAD_MAX_BYTES } from '../contracts/aws-limits.js';
import { parseEnv, WatchAdminEnvSchema } from '../contracts/env.js';
import { systemClock } from '../core/domain/clock.js';
import { RedlineError } from '../core/domain/errors.js';
import type { Watch } from '../core/domain/model.js';
import type { WatchStore } from '../core/domain/ports.js';
import { WatchSpecSchema, watchSettingsOf } from '../core/watches/watch-spec.js';
import { addWatch, removeWatch } from '../core/watches/watches.js';

export { type WatchSpec, WatchSpecSchema } from '../core/watches/watch-spec.js';

/** `aws lambda invoke` payloads for managing watches in a deployed stack. */
export const WatchAdminEventSchema = z.discriminatedUnion('action', [
  WatchSpecSchema.extend({ action: z.literal('add') }),
  /** Upserts every watch in the list (the watch-list file synced on deploy); other watches stay. */
  z.object({ action: z.literal('sync'), watches: z.array(WatchSpecSchema) }),
  z.object({ action: z.literal('remove'), url: z.string() }),
  /** One page of watches by id: pass `nextCursor` back as `cursor` for the next (a response stays under Lambda's 6 MB). */
  z.object({
    action: z.literal('list'),
    limit: z.number().int().min(1).max(1000).default(500),
    cursor: z.string().optional(),
  }),
]);

export type WatchAdminResult =
  | { ok: true; watch?: Watch; watches?: Watch[]; nextCursor?: string }
  | { ok: false; error: string };

/** A `list` page's watches stay under this as JSON: Lambda's synchronous response limit less room for the rest. */
export const LIST_PAGE_MAX_BYTES = LAMBDA_SYNC_PAYLOAD_MAX_BYTES - 64 * 1024;

/** The watches after `cursor` (by id), at most `limit` and at most `maxBytes` of JSON. */
export function listPage(watches: Watch[], limit: number, cursor?: string, maxBytes = LIST_PAGE_MAX_BYTES) {
  const after = [...watches].sort((a, b) => a.id.localeCompare(b.id)).filter((w) => !cursor || w.id > cursor);
  const page: Watch[] = [];
  let bytes = 2;
  for (const watch of after.slice(0, limit)) {
    const size = jsonBytes(watch) + 1;
    if (bytes + size > maxBytes && page.length > 0) break;
    page.push(watch);
    bytes += size;
  }
  return page.length < after.length ? { watches: page, nextCursor: page.at(-1)!.id } : { watches: page };
}

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
        return { ok: true, ...listPage(await store.listWatches(), command.limit, command.cursor) };
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
