import { describe, expect, it } from 'vitest';
import { WARCParser } from 'warcio';
import { recordWarc } from '../../functions/core/capture/warc.js';
import { sha256 } from '../../functions/core/domain/digest.js';
import { InvalidInputError } from '../../functions/core/domain/errors.js';
import type { HttpExchange } from '../../functions/core/domain/ports.js';
import {
  knownPayloads,
  nextPayloadIndex,
  PAYLOADS_FORMAT,
  parsePayloadIndex,
  payloadIndexBytes,
} from '../../functions/core/proof/payloads.js';

const exchange = (url: string, body: string, extra: Partial<HttpExchange> = {}): HttpExchange => ({
  url,
  requestHeaders: { host: new URL(url).host },
  status: 200,
  headers: { 'content-type': 'text/plain' },
  wireBody: Buffer.from(body),
  ...extra,
});

async function types(bytes: Uint8Array): Promise<string[]> {
  const out: string[] = [];
  const parser = new WARCParser(
    new Blob([Buffer.from(bytes)]).stream() as unknown as AsyncIterable<Uint8Array>,
  );
  for await (const record of parser) {
    await record.readFully();
    out.push(`${record.warcType} ${record.warcTargetURI ?? ''}`.trim());
  }
  return out;
}

const WARC_A = sha256('warc a');
const WARC_B = sha256('warc b');
const DATE = '2026-11-26T12:00:00.000Z';

describe('recordWarc with known payloads', () => {
  it('revisits a known payload, writes a repeat within the WARC once, never revisits a cut-short or empty body', async () => {
    const known = new Map([
      [sha256('css'), { url: 'https://news.example/s.css', date: '2026-11-26T10:00:00.000Z', warc: WARC_A }],
      [sha256('cut'), { url: 'https://news.example/cut', date: '2026-11-26T10:00:00.000Z', warc: WARC_A }],
    ]);
    const recording = await recordWarc({
      date: DATE,
      exchanges: [exchange('https://news.example/a', 'page')],
      subresources: [
        exchange('https://news.example/s.css', 'css'),
        exchange('https://news.example/logo.png', 'png'),
        exchange('https://cdn.example/logo.png', 'png'),
        exchange('https://news.example/cut', 'cut', { truncated: 'length' }),
        exchange('https://news.example/empty', ''),
        exchange('https://news.example/empty-too', ''),
      ],
      known,
      metadata: {},
      software: 'test',
    });
    expect(await types(recording.warc)).toEqual([
      'warcinfo',
      'request https://news.example/a',
      'response https://news.example/a',
      'request https://news.example/s.css',
      'revisit https://news.example/s.css',
      'request https://news.example/logo.png',
      'response https://news.example/logo.png',
      'request https://cdn.example/logo.png',
      'revisit https://cdn.example/logo.png',
      'request https://news.example/cut',
      'response https://news.example/cut',
      'request https://news.example/empty',
      'response https://news.example/empty',
      'request https://news.example/empty-too',
      'response https://news.example/empty-too',
      'metadata https://news.example/a',
    ]);
    expect(recording.originals.map((o) => o.url)).toEqual([
      'https://news.example/a',
      'https://news.example/logo.png',
    ]);
    expect(recording.revisits).toEqual([
      {
        digest: sha256('css'),
        url: 'https://news.example/s.css',
        date: '2026-11-26T10:00:00.000Z',
        warc: WARC_A,
      },
      // Its original is in this WARC: `warc` is filled in once the WARC's digest is known.
      { digest: sha256('png'), url: 'https://news.example/logo.png', date: DATE },
    ]);
  });
});

describe('payload index', () => {
  const earlier = nextPayloadIndex(
    WARC_A,
    {
      originals: [
        { digest: sha256('old-1'), url: 'https://news.example/1', date: DATE },
        { digest: sha256('old-2'), url: 'https://news.example/2', date: DATE },
      ],
      revisits: [],
    },
    undefined,
    10,
  );

  it('names this WARC for its own originals, keeps the revisits, then the earlier payloads, up to the cap', () => {
    const index = nextPayloadIndex(
      WARC_B,
      {
        originals: [{ digest: sha256('new'), url: 'https://news.example/new', date: DATE }],
        revisits: [
          { digest: sha256('old-2'), url: 'https://news.example/2', date: DATE, warc: WARC_A },
          { digest: sha256('new'), url: 'https://news.example/new', date: DATE },
        ],
      },
      earlier,
      2,
    );
    expect(index.format).toBe(PAYLOADS_FORMAT);
    expect(index.warc).toBe(WARC_B);
    expect(index.revisits.map((r) => r.warc)).toEqual([WARC_A, WARC_B]);
    expect(index.known.map((k) => [k.url, k.warc])).toEqual([
      ['https://news.example/new', WARC_B],
      ['https://news.example/2', WARC_A],
    ]);
    expect(parsePayloadIndex(payloadIndexBytes(index))).toEqual(index);
    expect([...knownPayloads(index).keys()]).toEqual([sha256('new'), sha256('old-2')]);
  });

  it('refuses bytes that are not a payload index', () => {
    expect(() => parsePayloadIndex(Buffer.from('{"format":"other"}'))).toThrow(InvalidInputError);
    expect(() => parsePayloadIndex(Buffer.from('not json'))).toThrow(InvalidInputError);
    expect(() => parsePayloadIndex(Buffer.alloc(3 * 1024 * 1024, 0x20))).toThrow(/more than/);
  });
});
