import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import { WARCRecord, WARCSerializer } from 'warcio';
import { sha256 } from '../domain/digest.js';
import type { HttpExchange } from '../domain/ports.js';
import type { KnownPayload, WarcPayloads } from '../proof/payloads.js';

export interface WarcInput {
  /** When the capture started (every record's WARC-Date). */
  date: string;
  exchanges: HttpExchange[];
  /** The browser's own exchanges for the page's sub-resources, written after the fetcher's (never revisits). */
  subresources?: HttpExchange[];
  /** The capture's provenance, as a JSON `resource` record. */
  provenance?: Record<string, unknown>;
  /** The final response's payload was archived before: write a revisit record pointing at it. */
  previousPayload?: { digest: string; url: string; date: string };
  /**
   * Payloads archived before for the watch, by payload digest (the latest version's payload index): any
   * response, sub-resources included, whose payload is one of them becomes a revisit pointing at the
   * original record; and a payload repeated within this WARC is written once. Either way, a final payload
   * equal to `previousPayload` that no known entry covers is a revisit of it.
   */
  known?: ReadonlyMap<string, KnownPayload>;
  /** Capture details for the metadata record. */
  metadata: Record<string, unknown>;
  screenshot?: Uint8Array;
  software: string;
}

export interface WarcRecording extends WarcPayloads {
  warc: Uint8Array;
}

const WARC_1_1 = 'WARC/1.1' as const;
const recordId = () => `<urn:uuid:${randomUUID()}>`;

async function serialize(record: WARCRecord): Promise<Uint8Array> {
  return WARCSerializer.serialize(record, { gzip: true, digest: { algo: 'sha-256', prefix: 'sha256:' } });
}

async function* once(bytes: Uint8Array) {
  yield bytes;
}

/** Response headers as archived: the body is stored de-chunked, so the framing headers describe it. */
function archivedHeaders(exchange: HttpExchange): [string, string][] {
  // A truncated body keeps the length the server announced: the record says it is cut short.
  const headers = Object.entries(exchange.headers).filter(
    ([name]) =>
      name !== 'transfer-encoding' &&
      (name !== 'content-length' || exchange.truncated !== undefined) &&
      !name.startsWith(':'),
  );
  if (exchange.truncated === undefined)
    headers.push(['content-length', String(exchange.wireBody.byteLength)]);
  return headers;
}

/**
 * A response whose body was not available to record: the browser received one but no longer held it
 * (`truncated: 'unspecified'`, nothing kept). Its record says so instead of passing the empty payload off
 * as the response's body.
 */
export const bodyUnavailable = (exchange: HttpExchange) =>
  exchange.truncated === 'unspecified' && exchange.wireBody.byteLength === 0;

/** The WARC field naming a body that was not available (a WARC 1.1 extension field). */
export const BODY_UNAVAILABLE_FIELD = 'Redline-Body-Unavailable';

/** WARC-IP-Address and WARC-Truncated, when known; and that the body was not available, when so. */
function exchangeWarcHeaders(exchange: HttpExchange): Record<string, string> {
  return {
    ...(exchange.ipAddress ? { 'WARC-IP-Address': exchange.ipAddress } : {}),
    ...(exchange.truncated ? { 'WARC-Truncated': exchange.truncated } : {}),
    ...(bodyUnavailable(exchange)
      ? {
          [BODY_UNAVAILABLE_FIELD]:
            'the browser received a body but no longer held it; the empty payload is not the response body',
        }
      : {}),
  };
}

/** A payload a later record may refer to: whole (not cut short) and not empty (a redirect, a 204). */
const referable = (exchange: HttpExchange) =>
  exchange.truncated === undefined && exchange.wireBody.byteLength > 0;

/**
 * A capture as WARC 1.1 (one gzip member per record): warcinfo; request and response for every hop,
 * or a revisit for a final payload identical to the previous capture's; a metadata record with the
 * capture details; the screenshot as a resource record. Block and payload digests are sha256.
 */
export async function buildWarc(input: WarcInput): Promise<Uint8Array> {
  return (await recordWarc(input)).warc;
}

/** buildWarc, with what the WARC holds in full and what it refers to (for the capture's payload index). */
export async function recordWarc(input: WarcInput): Promise<WarcRecording> {
  const originals: WarcRecording['originals'] = [];
  const revisits: WarcRecording['revisits'] = [];
  // Payloads of this WARC's own response records, so a repeat within the capture refers to the first.
  const here = new Map<string, KnownPayload>();
  const parts: Uint8Array[] = [];
  const info = await WARCRecord.createWARCInfo(
    { filename: 'capture.warc.gz', warcVersion: WARC_1_1 },
    {
      software: input.software,
      format: 'WARC File Format 1.1',
      conformsTo: 'https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/',
    },
  );
  parts.push(await serialize(info));
  const all = [...input.exchanges, ...(input.subresources ?? [])];
  for (const [i, exchange] of all.entries()) {
    const target = new URL(exchange.url);
    const responseId = recordId();
    const final = i === input.exchanges.length - 1;
    const payloadDigest = sha256(exchange.wireBody);
    const statusline = `HTTP/1.1 ${exchange.status} ${STATUS_CODES[exchange.status] ?? ''}`.trimEnd();
    const known =
      input.known && referable(exchange)
        ? (input.known.get(payloadDigest) ?? here.get(payloadDigest))
        : undefined;
    // The last capture's final payload: a revisit whose original's WARC is not known here.
    const previous =
      !known && final && input.previousPayload?.digest === payloadDigest ? input.previousPayload : undefined;
    const revisit = known ?? previous;
    if (known) revisits.push({ digest: payloadDigest, ...known });
    else if (!previous && input.known && referable(exchange) && !here.has(payloadDigest)) {
      here.set(payloadDigest, { url: exchange.url, date: input.date });
      originals.push({ digest: payloadDigest, url: exchange.url, date: input.date });
    }
    const response = revisit
      ? WARCRecord.create(
          {
            url: exchange.url,
            date: input.date,
            type: 'revisit',
            warcVersion: WARC_1_1,
            statusline,
            httpHeaders: archivedHeaders(exchange),
            refersToUrl: revisit.url,
            refersToDate: revisit.date,
            warcHeaders: {
              'WARC-Record-ID': responseId,
              'WARC-Payload-Digest': payloadDigest,
              ...exchangeWarcHeaders(exchange),
            },
          },
          once(new Uint8Array()),
        )
      : WARCRecord.create(
          {
            url: exchange.url,
            date: input.date,
            type: 'response',
            warcVersion: WARC_1_1,
            statusline,
            httpHeaders: archivedHeaders(exchange),
            warcHeaders: { 'WARC-Record-ID': responseId, ...exchangeWarcHeaders(exchange) },
          },
          once(exchange.wireBody),
        );
    const request = WARCRecord.create(
      {
        url: exchange.url,
        date: input.date,
        type: 'request',
        warcVersion: WARC_1_1,
        statusline: `${exchange.method ?? 'GET'} ${target.pathname}${target.search} HTTP/1.1`,
        httpHeaders: Object.entries(exchange.requestHeaders).filter(([name]) => !name.startsWith(':')),
        warcHeaders: {
          'WARC-Concurrent-To': responseId,
          ...(exchange.ipAddress ? { 'WARC-IP-Address': exchange.ipAddress } : {}),
        },
      },
      once(exchange.requestBody ?? new Uint8Array()),
    );
    parts.push(await serialize(request), await serialize(response));
  }
  const finalUrl = input.exchanges.at(-1)?.url ?? 'urn:redline:unknown';
  const metadata = WARCRecord.create(
    {
      url: finalUrl,
      date: input.date,
      type: 'metadata',
      warcVersion: WARC_1_1,
      warcHeaders: { 'Content-Type': 'application/json' },
    },
    once(Buffer.from(JSON.stringify(input.metadata, null, 2))),
  );
  parts.push(await serialize(metadata));
  if (input.provenance) {
    const provenance = WARCRecord.create(
      {
        url: `urn:redline:provenance:${finalUrl}`,
        date: input.date,
        type: 'resource',
        warcVersion: WARC_1_1,
        warcHeaders: { 'Content-Type': 'application/json' },
      },
      once(Buffer.from(JSON.stringify(input.provenance, null, 2))),
    );
    parts.push(await serialize(provenance));
  }
  if (input.screenshot) {
    const screenshot = WARCRecord.create(
      {
        url: `urn:redline:screenshot:${finalUrl}`,
        date: input.date,
        type: 'resource',
        warcVersion: WARC_1_1,
        warcHeaders: { 'Content-Type': 'image/png' },
      },
      once(input.screenshot),
    );
    parts.push(await serialize(screenshot));
  }
  return { warc: Buffer.concat(parts), originals, revisits };
}
