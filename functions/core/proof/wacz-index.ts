import { createHash } from 'node:crypto';
import { getSurt, WARCParser, type WARCRecord } from 'warcio';
import { WaczBuildError } from '../domain/errors.js';

/** One CDXJ line's parts, before serialization. */
export interface CdxjEntry {
  surt: string;
  /** 14 digits, from WARC-Date. */
  timestamp: string;
  url: string;
  digest?: string;
  mime?: string;
  status?: number;
  filename: string;
  /** Where the record's gzip member starts in the WARC file, and its compressed length. */
  offset: number;
  length: number;
  warcType: string;
}

export interface IndexedWarc {
  entries: CdxjEntry[];
  /** `sha256:<hex>` of the whole WARC file as given. */
  hash: string;
  bytes: number;
  records: number;
}

/** Caps on outside data: a per-capture WARC with more records than this is not one Redline wrote. */
export const MAX_RECORDS_PER_WARC = 100_000;

/** Record types replay looks up by URL. Metadata records share the page URL and would shadow it; request/warcinfo are never replayed. */
const INDEXED_TYPES = new Set(['response', 'revisit', 'resource']);

export function surtOf(url: string): string {
  return /^https?:\/\//i.test(url) ? getSurt(url) : url.toLowerCase();
}

export function warcTimestamp(warcDate: string): string {
  const digits = warcDate.replace(/[^0-9]/g, '').slice(0, 14);
  if (digits.length !== 14) throw new WaczBuildError(`bad WARC-Date ${warcDate}`);
  return digits;
}

function entryFor(record: WARCRecord, filename: string, offset: number, length: number): CdxjEntry | null {
  const warcType = record.warcType ?? '';
  if (!INDEXED_TYPES.has(warcType)) return null;
  const url = record.warcTargetURI;
  const date = record.warcDate;
  if (!url || !date)
    throw new WaczBuildError(
      `${filename}: ${warcType} record at ${offset} lacks WARC-Target-URI or WARC-Date`,
    );
  const entry: CdxjEntry = {
    surt: surtOf(url),
    timestamp: warcTimestamp(date),
    url,
    filename,
    offset,
    length,
    warcType,
  };
  const digest = record.warcPayloadDigest;
  if (digest) entry.digest = digest;
  if (warcType === 'revisit') entry.mime = 'warc/revisit';
  else if (warcType === 'response') {
    const type = record.httpHeaders?.headers.get('content-type');
    if (type) entry.mime = type.split(';', 1)[0]?.trim() ?? type;
  } else if (record.warcContentType) entry.mime = record.warcContentType;
  if (record.httpHeaders && (warcType === 'response' || warcType === 'revisit')) {
    const status = Number(record.httpHeaders.statusCode);
    if (Number.isInteger(status)) entry.status = status;
  }
  return entry;
}

/**
 * Reads a gzipped WARC once: hashes and counts its bytes, and indexes its records with warcio, taking each
 * record's offset and length from the gzip member around it. Refuses a WARC that is not one gzip member per
 * record (members must tile the file exactly), since CDXJ offsets into it would not be readable on their own.
 */
export async function indexWarc(filename: string, source: AsyncIterable<Uint8Array>): Promise<IndexedWarc> {
  const hasher = createHash('sha256');
  let bytes = 0;
  let head: Uint8Array | undefined;
  const upstream = source[Symbol.asyncIterator]();
  const counted: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      async next() {
        const step = await upstream.next();
        if (!step.done) {
          const chunk = step.value instanceof Uint8Array ? step.value : new Uint8Array(step.value);
          if (!head && chunk.byteLength > 0) head = chunk.subarray(0, 2);
          hasher.update(chunk);
          bytes += chunk.byteLength;
          return { done: false, value: chunk };
        }
        return { done: true, value: undefined };
      },
    }),
  };
  const parser = new WARCParser(counted);
  const entries: CdxjEntry[] = [];
  let records = 0;
  let expectedOffset = 0;
  try {
    for await (const record of parser) {
      if (++records > MAX_RECORDS_PER_WARC)
        throw new WaczBuildError(`${filename}: more than ${MAX_RECORDS_PER_WARC} records`);
      await record.readFully();
      const { offset, recordLength } = parser;
      if (offset !== expectedOffset || recordLength <= 0) {
        throw new WaczBuildError(
          `${filename}: record ${records} is not its own gzip member (offset ${offset}, expected ${expectedOffset}, length ${recordLength})`,
        );
      }
      expectedOffset = offset + recordLength;
      const entry = entryFor(record, filename, offset, recordLength);
      if (entry) entries.push(entry);
    }
  } catch (cause) {
    if (cause instanceof WaczBuildError) throw cause;
    throw new WaczBuildError(`${filename}: unreadable WARC after record ${records}`, { cause });
  }
  // Whatever the parser left unread still belongs to the file's hash and size.
  for (let step = await upstream.next(); !step.done; step = await upstream.next()) {
    hasher.update(step.value);
    bytes += step.value.byteLength;
  }
  if (head?.[0] !== 0x1f || head?.[1] !== 0x8b) throw new WaczBuildError(`${filename}: not gzip-compressed`);
  if (records === 0) throw new WaczBuildError(`${filename}: no WARC records`);
  if (expectedOffset !== bytes) {
    throw new WaczBuildError(
      `${filename}: gzip members cover ${expectedOffset} of ${bytes} bytes (not one member per record)`,
    );
  }
  return { entries, hash: `sha256:${hasher.digest('hex')}`, bytes, records };
}

/** `surt timestamp {json}`; offset, length and status as strings, as pywb and warcio write them. */
export function cdxjLine(entry: CdxjEntry): string {
  const fields: Record<string, string> = { url: entry.url };
  if (entry.digest) fields.digest = entry.digest;
  if (entry.mime) fields.mime = entry.mime;
  fields.offset = String(entry.offset);
  fields.length = String(entry.length);
  if (entry.status !== undefined) fields.status = String(entry.status);
  fields.filename = entry.filename;
  return `${entry.surt} ${entry.timestamp} ${JSON.stringify(fields)}`;
}

/** Lines sorted bytewise (as `LC_ALL=C sort`), each ending in a newline. */
export function cdxjIndex(entries: CdxjEntry[]): Uint8Array {
  const lines = entries.map((entry) => Buffer.from(`${cdxjLine(entry)}\n`));
  lines.sort(Buffer.compare);
  return Buffer.concat(lines);
}
