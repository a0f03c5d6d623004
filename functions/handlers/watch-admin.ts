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

/** One watch as written in `aws lambda invoke` payloads and in the watch-list file (config/<stage>.watches.json). */
export const WatchSpecSchema = z.object({
  url: z.string(),
  every: z.string().default('1h'),
  mode: CaptureModeSchema.default('auto'),
  tags: z.array(z.string()).default([]),
  /** Do not honour robots.txt for this URL; the reason is required and recorded. */
  ignoreRobots: z.string().trim().min(1).optional(),
  /** A feed, sitemap or index page whose links become article watches. */
  feed: z.boolean().default(false),
  linkPattern: z.string().optional(),
});

export type WatchSpec = z.input<typeof WatchSpecSchema>;

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
        return { ok: true, watch: (await addWatch(deps, settingsOf(command))).watch };
      case 'sync': {
        const watches: Watch[] = [];
        for (const spec of command.watches) watches.push((await addWatch(deps, settingsOf(spec))).watch);
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

function settingsOf(spec: z.output<typeof WatchSpecSchema>) {
  return {
    url: spec.url,
    cadenceSeconds: parseCadence(spec.every),
    mode: spec.mode,
    tags: spec.tags,
    feed: spec.feed,
    ...(spec.ignoreRobots ? { ignoreRobots: spec.ignoreRobots } : {}),
    ...(spec.linkPattern ? { linkPattern: spec.linkPattern } : {}),
  };
}

let store: DynamoCatalog | undefined;

export async function handler(event: unknown): Promise<WatchAdminResult> {
  store ??= new DynamoCatalog(new DynamoDBClient({}), parseEnv(WatchAdminEnvSchema).TABLE_NAME);
  return handleWatchAdmin(event, store);
}
