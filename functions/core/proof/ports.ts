import type { TimestampToken } from './timestamp.js';

/** An RFC 3161 timestamp authority: stamps a SHA-256 digest and returns a token that passed every check. */
export interface TimestampAuthority {
  /** Names the authority in records and logs (its URL for HTTP authorities). */
  readonly url: string;
  /** Throws TimestampAuthorityError (no usable reply) or TimestampError (a reply that failed verification). */
  stamp(digestHex: string, signal?: AbortSignal): Promise<TimestampToken>;
}
