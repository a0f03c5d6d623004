import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { DynamoCatalog } from '../adapters/dynamo/dynamo-catalog.js';
import { systemClock } from '../core/clock.js';
import { RedlineError } from '../core/errors.js';
import { CaptureModeSchema, type Watch } from '../core/model.js';
import type { WatchStore } from '../core/ports.js';
import { parseCadence } from '../core/url.js';
import { addWatch, removeWatch } from '../core/watches.js';
import { parseEnv, WatchAdminEnvSchema } from './env.js';

/** `aws lambda invoke` payloads for managing watches in a deployed stack. */
export const WatchAdminEventSchema = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('add'),
    url: z.string(),
    every: z.string().default('1h'),
    mode: CaptureModeSchema.default('auto'),
    tags: z.array(z.string()).default([]),
    /** Do not honour robots.txt for this URL; the reason is required and recorded. */
    ignoreRobots: z.string().trim().min(1).optional(),
    /** A feed, sitemap or index page whose links become article watches. */
    feed: z.boolean().default(false),
    linkPattern: z.string().optional(),
  }),
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
      case 'add': {
        const settings = {
          url: command.url,
          cadenceSeconds: parseCadence(command.every),
          mode: command.mode,
          tags: command.tags,
          ...(command.ignoreRobots ? { ignoreRobots: command.ignoreRobots } : {}),
          feed: command.feed,
          ...(command.linkPattern ? { linkPattern: command.linkPattern } : {}),
        };
        return { ok: true, watch: (await addWatch(deps, settings)).watch };
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
