/**
 * A capture's payload index (ADR 0006): which payloads its WARC holds in full, which records of it are
 * revisits and where their originals are, and the payloads the next capture may refer to. Stored as a
 * small JSON blob (`payloads` artifact) beside the WARC, so the next capture learns the digests already
 * archived without reading any earlier WARC, and an export finds the WARCs its revisits need.
 */
import { z } from 'zod';
import { type Digest, DigestSchema } from '../domain/digest.js';
import { InvalidInputError } from '../domain/errors.js';

/** Where an archived payload's original `response` record is: its URL, WARC-Date and WARC blob. */
export interface KnownPayload {
  url: string;
  date: string;
  /** The WARC blob holding the original record; undefined while it is the WARC being built. */
  warc?: Digest;
}

/** What a WARC just written holds in full (`originals`) and refers to (`revisits`). */
export interface WarcPayloads {
  /** Payloads the WARC holds in full (a response record each), first occurrence only. */
  originals: { digest: Digest; url: string; date: string }[];
  /** The WARC's revisit records: the payload and where its original is (`warc` undefined: this WARC). */
  revisits: ({ digest: Digest } & KnownPayload)[];
}

export const PAYLOADS_CONTENT_TYPE = 'application/vnd.redline.payloads+json';
export const PAYLOADS_FORMAT = 'redline.payloads/1';
/** A payload index read back is at most this big (1,000 entries are ~250 KB); anything bigger is not one. */
export const MAX_PAYLOAD_INDEX_BYTES = 2 * 1024 * 1024;
/** Entries read from one list at most, whatever the options said when it was written. */
const MAX_ENTRIES = 10_000;

const IsoTime = z.iso.datetime({ offset: true });
const EntrySchema = z.object({ digest: DigestSchema, url: z.string(), date: IsoTime, warc: DigestSchema });
export type PayloadEntry = z.infer<typeof EntrySchema>;

export const PayloadIndexSchema = z.object({
  format: z.literal(PAYLOADS_FORMAT),
  /** The capture's own WARC. */
  warc: DigestSchema,
  /** Every revisit record of that WARC: the payload, and the URL, date and WARC blob of its original. */
  revisits: z.array(EntrySchema).max(MAX_ENTRIES),
  /** Payloads archived in full for the watch that the next capture may refer to, newest first (capped). */
  known: z.array(EntrySchema).max(MAX_ENTRIES),
});
export type PayloadIndex = z.infer<typeof PayloadIndexSchema>;

/** Reads a stored payload index; throws InvalidInputError saying what is wrong. */
export function parsePayloadIndex(bytes: Uint8Array): PayloadIndex {
  if (bytes.byteLength > MAX_PAYLOAD_INDEX_BYTES)
    throw new InvalidInputError(
      `${bytes.byteLength} bytes, more than a payload index's ${MAX_PAYLOAD_INDEX_BYTES}`,
    );
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new InvalidInputError('payload index: not JSON', { cause });
  }
  const parsed = PayloadIndexSchema.safeParse(value);
  if (!parsed.success)
    throw new InvalidInputError(`not a payload index: ${parsed.error.issues[0]?.message ?? 'invalid'}`, {
      cause: parsed.error,
    });
  return parsed.data;
}

/** The payloads an earlier index lets a capture refer to, by digest. */
export function knownPayloads(index: PayloadIndex | undefined): Map<string, KnownPayload> {
  const known = new Map<string, KnownPayload>();
  for (const entry of index?.known ?? [])
    if (!known.has(entry.digest))
      known.set(entry.digest, { url: entry.url, date: entry.date, warc: entry.warc });
  return known;
}

/**
 * The index of a WARC just written: its revisits (originals in this WARC named by its digest), and the
 * payloads known from now on: those this capture archived or referred to first, then the earlier ones,
 * at most `max` in all.
 */
export function nextPayloadIndex(
  warc: Digest,
  recording: WarcPayloads,
  earlier: PayloadIndex | undefined,
  max: number,
): PayloadIndex {
  const revisits = recording.revisits.map((r) => ({
    digest: r.digest,
    url: r.url,
    date: r.date,
    warc: r.warc ?? warc,
  }));
  const known: PayloadEntry[] = [];
  const seen = new Set<string>();
  const add = (entry: PayloadEntry) => {
    if (known.length >= max || seen.has(entry.digest)) return;
    seen.add(entry.digest);
    known.push(entry);
  };
  for (const original of recording.originals) add({ ...original, warc });
  for (const revisit of revisits) add(revisit);
  for (const entry of earlier?.known ?? []) add(entry);
  return { format: PAYLOADS_FORMAT, warc, revisits, known };
}

export function payloadIndexBytes(index: PayloadIndex): Uint8Array {
  return Buffer.from(JSON.stringify(index));
}
