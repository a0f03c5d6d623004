import { describe, expect, it } from 'vitest';
import { WARCParser } from 'warcio';
import { buildWarc } from '../../functions/core/capture/warc.js';
import { sha256 } from '../../functions/core/domain/digest.js';

const exchange = (url: string, status: number, body: string, headers: Record<string, string> = {}) => ({
  url,
  requestHeaders: { host: new URL(url).host, 'user-agent': 'Redline-test' },
  status,
  headers: { 'content-type': 'text/html', ...headers },
  wireBody: Buffer.from(body),
});

async function records(bytes: Uint8Array) {
  const parser = new WARCParser(
    new Blob([Buffer.from(bytes)]).stream() as unknown as AsyncIterable<Uint8Array>,
  );
  const out: {
    type: string;
    url?: string;
    headers: { get(name: string): string | null | undefined };
    payload: string;
    status?: string;
  }[] = [];
  for await (const record of parser) {
    const payload = Buffer.from(await record.readFully(true)).toString();
    out.push({
      type: record.warcType ?? '',
      url: record.warcTargetURI ?? undefined,
      headers: record.warcHeaders.headers,
      payload,
      status: record.httpHeaders?.statusline,
    });
  }
  return out;
}

describe('buildWarc', () => {
  it('writes WARC 1.1 request/response pairs for every hop, metadata and a screenshot, with sha256 digests', async () => {
    const warc = await buildWarc({
      date: '2026-11-26T10:00:00.000Z',
      exchanges: [
        exchange('http://news.example/a', 301, '', { location: 'https://news.example/a' }),
        exchange('https://news.example/a', 200, '<p>story</p>', { 'transfer-encoding': 'chunked' }),
      ],
      metadata: { captureId: 'c1', verdict: 'first' },
      screenshot: Buffer.from('PNG'),
      software: 'Redline test',
    });
    expect(Buffer.from(warc).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b])); // gzip members
    const parsed = await records(warc);
    expect(parsed.map((r) => r.type)).toEqual([
      'warcinfo',
      'request',
      'response',
      'request',
      'response',
      'metadata',
      'resource',
    ]);
    const final = parsed[4]!;
    expect(final.status).toBe('HTTP/1.1 200 OK');
    expect(final.payload).toBe('<p>story</p>');
    expect(final.headers.get('WARC-Payload-Digest')).toBe(sha256('<p>story</p>'));
    expect(final.headers.get('WARC-Block-Digest')).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(parsed[3]!.headers.get('WARC-Concurrent-To')).toBe(final.headers.get('WARC-Record-ID'));
    expect(
      parsed.every((r) => r.headers.get('WARC-Date') === '2026-11-26T10:00:00.000Z' || r.type === 'warcinfo'),
    ).toBe(true);
    expect(JSON.parse(parsed[5]!.payload)).toEqual({ captureId: 'c1', verdict: 'first' });
  });

  it('writes a revisit record, without the payload, when the payload is the one archived before', async () => {
    const body = '<p>same story</p>';
    const warc = await buildWarc({
      date: '2026-11-26T11:00:00.000Z',
      exchanges: [exchange('https://news.example/a', 200, body)],
      previousPayload: {
        digest: sha256(body),
        url: 'https://news.example/a',
        date: '2026-11-26T10:00:00.000Z',
      },
      metadata: {},
      software: 'Redline test',
    });
    const revisit = (await records(warc)).find((r) => r.type === 'revisit')!;
    expect(revisit.payload).toBe('');
    expect(revisit.headers.get('WARC-Refers-To-Date')).toBe('2026-11-26T10:00:00.000Z');
    expect(revisit.headers.get('WARC-Payload-Digest')).toBe(sha256(body));
    expect(revisit.headers.get('WARC-Profile')).toContain('/warc/1.1/revisit/identical-payload-digest');
  });

  it('writes the browser sub-resources after the hops, with method, WARC-IP-Address and WARC-Truncated, then a provenance record', async () => {
    const body = '<p>same story</p>';
    const css = 'body{color:red}';
    const warc = await buildWarc({
      date: '2026-11-26T12:00:00.000Z',
      exchanges: [{ ...exchange('https://news.example/a', 200, body), ipAddress: '192.0.2.10' }],
      // The main payload is unchanged (a revisit); a sub-resource with the same bytes is still written in full.
      previousPayload: {
        digest: sha256(body),
        url: 'https://news.example/a',
        date: '2026-11-26T10:00:00.000Z',
      },
      subresources: [
        {
          ...exchange('https://cdn.example/s.css', 200, css, { 'content-type': 'text/css' }),
          ipAddress: '192.0.2.20',
        },
        {
          ...exchange('https://cdn.example/big.png', 200, 'PNGHEAD', {
            'content-type': 'image/png',
            'content-length': '20000000',
          }),
          truncated: 'length' as const,
        },
        {
          ...exchange('https://news.example/api', 200, body),
          method: 'POST',
          requestBody: Buffer.from('{"q":1}'),
        },
      ],
      provenance: { userAgent: 'Redline-test', serverIp: '192.0.2.10' },
      metadata: {},
      software: 'Redline test',
    });
    const parsed = await records(warc);
    expect(parsed.map((r) => `${r.type} ${r.url ?? ''}`)).toEqual([
      'warcinfo ',
      'request https://news.example/a',
      'revisit https://news.example/a',
      'request https://cdn.example/s.css',
      'response https://cdn.example/s.css',
      'request https://cdn.example/big.png',
      'response https://cdn.example/big.png',
      'request https://news.example/api',
      'response https://news.example/api',
      'metadata https://news.example/a',
      'resource urn:redline:provenance:https://news.example/a',
    ]);
    expect(parsed[1]!.headers.get('WARC-IP-Address')).toBe('192.0.2.10');
    expect(parsed[2]!.headers.get('WARC-IP-Address')).toBe('192.0.2.10');
    const style = parsed[4]!;
    expect(style.payload).toBe(css);
    expect(style.headers.get('WARC-IP-Address')).toBe('192.0.2.20');
    expect(style.headers.get('WARC-Truncated')).toBeFalsy();
    const big = parsed[6]!;
    expect(big.headers.get('WARC-Truncated')).toBe('length');
    expect(big.payload).toBe('PNGHEAD');
    expect(big.headers.get('WARC-IP-Address')).toBeFalsy();
    expect(parsed[7]!.status).toBe('POST /api HTTP/1.1');
    expect(parsed[7]!.payload).toBe('{"q":1}');
    expect(parsed[8]!.payload).toBe(body); // not a revisit: only the fetcher's final response may be
    const provenance = parsed[10]!;
    expect(provenance.headers.get('Content-Type')).toBe('application/json');
    expect(JSON.parse(provenance.payload)).toEqual({ userAgent: 'Redline-test', serverIp: '192.0.2.10' });
  });
});
