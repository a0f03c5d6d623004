import { InvalidInputError, WatchNotFoundError } from '../domain/errors.js';
import type { VersionRecord, Watch } from '../domain/model.js';
import type { CaptureLog, VersionLog, WatchStore } from '../domain/ports.js';
import { normalizeUrl, watchIdFor } from '../domain/url.js';
import type { WatchRef } from './history.js';

const WATCH_ID = /^w_[0-9a-f]{20}$/;

/** A watch's history: the watch if it is still watched, else only what its records say (id and URL). */
export interface ArchivedWatch extends WatchRef {
  /** Undefined once the watch was removed (its captures and versions are kept). */
  watch?: Watch;
}

/**
 * Finds a watch's history by watch id (`w_…`) or by URL, whether it is still watched or was removed: a
 * removed watch is found by its records (a capture or a version). Throws WatchNotFoundError when the
 * archive holds nothing for it, InvalidInputError for a key that is neither an id nor an http(s) URL.
 */
export async function findHistory(
  deps: { watches: WatchStore; versions: VersionLog; captures: CaptureLog },
  key: string,
): Promise<ArchivedWatch> {
  const byId = WATCH_ID.test(key);
  const url = byId ? undefined : normalizeUrl(key);
  const id = byId ? key : watchIdFor(url!);
  const watch = await deps.watches.getWatch(id);
  if (watch) return { id, url: watch.url, watch };
  const latest = await deps.versions.latestVersion(id);
  if (latest) return { id, url: url ?? latest.url };
  const captures = await deps.captures.listCaptures(id);
  const first = captures[0];
  if (first) return { id, url: url ?? first.url };
  throw new WatchNotFoundError(url ?? key);
}

/** Parses a watch key: a watch id, or an http(s) URL. */
export function isWatchId(key: string): boolean {
  return WATCH_ID.test(key);
}

/** Memento's rule (RFC 7089 TimeGate): the latest version captured at or before `at`, else the first. */
export function versionAtOrFirst<T extends Pick<VersionRecord, 'capturedAt'>>(
  versions: readonly T[],
  at: Date,
): T {
  if (versions.length === 0) throw new InvalidInputError('no versions');
  const time = at.getTime();
  // Versions are oldest first: binary search for the last one at or before `time`.
  let lo = 0;
  let hi = versions.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (Date.parse(versions[mid]!.capturedAt) <= time) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return versions[Math.max(found, 0)]!;
}

/** `YYYYMMDDhhmmss` (UTC) of a time: a memento's timestamp in its URL. */
export function mementoTimestamp(at: Date | string): string {
  return new Date(at).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** The end of the second a 14-digit timestamp names (UTC), or undefined if it names no real time. */
export function parseMementoTimestamp(stamp: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(stamp);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const time = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  const date = new Date(time);
  if (
    date.getUTCFullYear() !== y ||
    date.getUTCMonth() !== mo! - 1 ||
    date.getUTCDate() !== d ||
    date.getUTCHours() !== h ||
    date.getUTCMinutes() !== mi ||
    date.getUTCSeconds() !== s
  )
    return undefined;
  return new Date(time + 999);
}

const HTTP_DATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An RFC 7231 IMF-fixdate (`Accept-Datetime`'s format, RFC 7089 §2.1.1), or undefined. */
export function parseHttpDate(value: string): Date | undefined {
  const m = HTTP_DATE.exec(value.trim());
  if (!m) return undefined;
  const [, , d, mon, y, h, mi, s] = m;
  const time = Date.UTC(Number(y), MONTHS.indexOf(mon!), Number(d), Number(h), Number(mi), Number(s));
  const date = new Date(time);
  if (date.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60)
    return undefined;
  return date;
}
