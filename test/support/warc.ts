/** Reads a WARC (gzip or not) with warcio, a parser independent of the writer Redline uses. */
import { WARCParser } from 'warcio';

/** One WARC record as read: its type, target URI, WARC headers, HTTP headers and status line, payload. */
export interface ParsedRecord {
  type: string;
  url: string;
  warc: { get(name: string): string | null | undefined };
  http?: { get(name: string): string | null | undefined };
  statusline?: string;
  /** The payload, de-chunked and decoded (warcio's readFully(true)). */
  payload: Buffer;
}

/** Every record of the WARC, in order. */
export async function readWarc(bytes: Uint8Array): Promise<ParsedRecord[]> {
  const parser = new WARCParser(
    new Blob([Buffer.from(bytes)]).stream() as unknown as AsyncIterable<Uint8Array>,
  );
  const out: ParsedRecord[] = [];
  for await (const record of parser) {
    const payload = Buffer.from(await record.readFully(true));
    out.push({
      type: record.warcType ?? '',
      url: record.warcTargetURI ?? '',
      warc: record.warcHeaders.headers,
      ...(record.httpHeaders ? { http: record.httpHeaders.headers } : {}),
      ...(record.httpHeaders?.statusline ? { statusline: record.httpHeaders.statusline } : {}),
      payload,
    });
  }
  return out;
}
