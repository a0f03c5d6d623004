import { sha256 } from './digest.js';
import { InvalidInputError } from './errors.js';

/** Parses a user-supplied URL: http(s) only, no credentials, fragment dropped. */
export function normalizeUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch (cause) {
    throw new InvalidInputError(`invalid URL: ${JSON.stringify(input)}`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidInputError(`unsupported URL scheme ${url.protocol} (only http and https): ${input}`);
  }
  if (url.username || url.password)
    throw new InvalidInputError(`URLs with credentials are refused: ${input}`);
  if (!url.hostname) throw new InvalidInputError(`URL has no host: ${input}`);
  url.hash = '';
  return url.toString();
}

/** Stable watch id for a normalized URL. */
export function watchIdFor(url: string): string {
  return `w_${sha256(url).slice('sha256:'.length, 'sha256:'.length + 20)}`;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Parses a cadence such as `15m`, `1h`, `2d`; at least one minute. */
export function parseCadence(input: string): number {
  const match = /^(\d+)\s*([smhdw])$/.exec(input.trim());
  if (!match) throw new InvalidInputError(`invalid cadence ${JSON.stringify(input)} (examples: 15m, 1h, 1d)`);
  const seconds = Number(match[1]) * UNITS[match[2]!]!;
  if (seconds < 60) throw new InvalidInputError(`cadence must be at least 1m, got ${input}`);
  return seconds;
}

export function formatCadence(seconds: number): string {
  for (const unit of ['w', 'd', 'h', 'm'] as const) {
    const size = UNITS[unit]!;
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
