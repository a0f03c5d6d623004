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

/**
 * Changes to a watch's settings: a field left out is kept as it is. `null` clears an optional setting
 * (the robots.txt override, a feed's link pattern or scope).
 */
export interface WatchChanges {
  cadenceSeconds?: number;
  mode?: CaptureMode;
  /** Replaces the tags (deduplicated, sorted). */
  tags?: string[];
  ignoreRobots?: string | null;
  feed?: boolean;
  linkPattern?: string | null;
  linkScope?: 'site' | 'any' | null;
}

/** The watch with these changes applied; everything not named is kept (history, schedule, settings). */
export function applyWatchChanges(watch: Watch, changes: WatchChanges): Watch {
  if (
    changes.cadenceSeconds !== undefined &&
    (!Number.isInteger(changes.cadenceSeconds) || changes.cadenceSeconds < 60)
  )
    throw new InvalidInputError(
      `cadence must be a whole number of seconds, at least 60: ${changes.cadenceSeconds}`,
    );
  if (changes.mode !== undefined && !CaptureModeSchema.safeParse(changes.mode).success)
    throw new InvalidInputError(`invalid mode ${JSON.stringify(changes.mode)}`);
  if (typeof changes.linkPattern === 'string') parseLinkPattern(changes.linkPattern);
  const next: Watch = { ...watch };
  if (changes.cadenceSeconds !== undefined) next.cadenceSeconds = changes.cadenceSeconds;
  if (changes.mode !== undefined) next.mode = changes.mode;
  if (changes.tags !== undefined) next.tags = [...new Set(changes.tags)].sort();
  if (changes.ignoreRobots !== undefined) {
    const reason = changes.ignoreRobots?.trim();
    if (reason) next.ignoreRobots = reason;
    else delete next.ignoreRobots;
  }
  if (changes.feed !== undefined) next.type = changes.feed ? 'feed' : 'article';
  if (changes.linkPattern !== undefined) {
    if (changes.linkPattern) next.linkPattern = changes.linkPattern;
    else delete next.linkPattern;
  }
  if (changes.linkScope !== undefined) {
    if (changes.linkScope) next.linkScope = changes.linkScope;
    else delete next.linkScope;
  }
  if (next.type !== 'feed' && (next.linkPattern !== undefined || next.linkScope !== undefined))
    throw new InvalidInputError('a link pattern or scope applies to feed watches only');
  return next;
}

/** Changes only the given settings of a watch (by id); throws WatchNotFoundError. */
export async function updateWatch(
  deps: { watches: WatchStore },
  id: string,
  changes: WatchChanges,
): Promise<Watch> {
  const existing = await deps.watches.getWatch(id);
  if (!existing) throw new WatchNotFoundError(id);
  const watch = applyWatchChanges(existing, changes);
  await deps.watches.upsertWatch(watch);
  return watch;
}

/**
 * `watch add` semantics: a new URL becomes a watch with `settings`; on a URL already watched only the
 * settings in `given` change (the rest, tags and cadence included, are kept).
 */
export async function addOrUpdateWatch(
  deps: { watches: WatchStore; clock: Clock },
  settings: WatchSettings,
  given: WatchChanges,
): Promise<{ watch: Watch; created: boolean }> {
  const url = normalizeUrl(settings.url);
  const existing = await deps.watches.getWatch(watchIdFor(url));
  if (!existing) return addWatch(deps, settings);
  return { watch: await updateWatch(deps, existing.id, given), created: false };
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
