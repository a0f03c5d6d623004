import type { Clock } from '../domain/clock.js';
import { InvalidInputError, WatchNotFoundError } from '../domain/errors.js';
import { type CaptureMode, CaptureModeSchema, type Watch } from '../domain/model.js';
import type { WatchStore } from '../domain/ports.js';
import { normalizeUrl, watchIdFor } from '../domain/url.js';
import { parseLinkPattern } from './watch-spec.js';

export interface WatchSettings {
  url: string;
  cadenceSeconds: number;
  mode: CaptureMode;
  tags: string[];
  /** Do not honour robots.txt for this watch, for this stated reason. */
  ignoreRobots?: string;
  /** A feed (RSS/Atom, sitemap, index page) whose links become article watches. */
  feed?: boolean;
  /** For HTML index pages: the pattern article links match. */
  linkPattern?: string;
  /** For feeds: links only on the feed's own site (default), or anywhere. */
  linkScope?: 'site' | 'any';
}

/** Adds a watch, due now; on an existing URL, updates its settings and keeps its history. */
export async function addWatch(
  deps: { watches: WatchStore; clock: Clock },
  settings: WatchSettings,
): Promise<{ watch: Watch; created: boolean }> {
  const url = normalizeUrl(settings.url);
  const mode = CaptureModeSchema.safeParse(settings.mode);
  if (!mode.success) throw new InvalidInputError(`invalid mode ${JSON.stringify(settings.mode)}`);
  if (settings.linkPattern !== undefined) parseLinkPattern(settings.linkPattern);
  const existing = await deps.watches.getWatch(watchIdFor(url));
  const watch = buildWatch({ ...settings, url, mode: mode.data }, existing, deps.clock.now());
  const { created } = await deps.watches.upsertWatch(watch);
  return { watch, created };
}

/** A watch with these settings; an existing watch keeps its history and schedule. New watches are due now. */
export function buildWatch(settings: WatchSettings, existing: Watch | undefined, now: Date): Watch {
  const url = normalizeUrl(settings.url);
  return {
    ...(existing ?? {
      createdAt: now.toISOString(),
      nextDueAt: now.toISOString(),
      latestVersion: 0,
      volatile: [],
      alertsInWindow: 0,
    }),
    id: watchIdFor(url),
    url,
    cadenceSeconds: settings.cadenceSeconds,
    mode: settings.mode,
    tags: [...new Set(settings.tags)].sort(),
    ignoreRobots: settings.ignoreRobots?.trim() || undefined,
    type: settings.feed ? 'feed' : (existing?.type ?? 'article'),
    ...(settings.linkPattern ? { linkPattern: settings.linkPattern } : {}),
    ...(settings.linkScope ? { linkScope: settings.linkScope } : {}),
  };
}

/** The watch for a URL; throws WatchNotFoundError. */
export async function findWatch(deps: { watches: WatchStore }, url: string): Promise<Watch> {
  const normalized = normalizeUrl(url);
  const watch = await deps.watches.getWatch(watchIdFor(normalized));
  if (!watch) throw new WatchNotFoundError(normalized);
  return watch;
}

export async function removeWatch(deps: { watches: WatchStore }, url: string): Promise<Watch> {
  const watch = await findWatch(deps, url);
  await deps.watches.removeWatch(watch.id);
  return watch;
}
