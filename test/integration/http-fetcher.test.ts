import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UndiciFetcher } from '../../functions/adapters/net/undici-fetcher.js';
import { FetchError, ForbiddenAddressError } from '../../functions/core/errors.js';
import { type FixtureServer, startFixtureServer } from '../support/fixture-server.js';

let server: FixtureServer;
const html = '<!doctype html><html><body><p>Hello</p></body></html>';

beforeAll(async () => {
  server = await startFixtureServer({
    '/page': (_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html),
    '/gzip': (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' }).end(gzipSync(html)),
    '/br': (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'br' })
        .end(brotliCompressSync(html)),
    '/bomb': (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' })
        .end(gzipSync(Buffer.alloc(20 * 1024 * 1024))),
    '/stacked': (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip, gzip, gzip' })
        .end(gzipSync(gzipSync(gzipSync(html)))),
    '/big': (_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end(Buffer.alloc(2 * 1024 * 1024)),
    '/redirect': (_req, res) => res.writeHead(302, { location: '/page' }).end(),
    '/loop': (_req, res) => res.writeHead(302, { location: '/loop' }).end(),
    '/to-metadata': (_req, res) =>
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
  });
});
afterAll(() => server.close());

const open = { allowPrivateNetwork: true };
const closed = { allowPrivateNetwork: false };
const fetcher = (policy = open, extra: Partial<ConstructorParameters<typeof UndiciFetcher>[0]> = {}) =>
  new UndiciFetcher({
    policy,
    userAgent: 'Redline-test',
    // A fake resolver: names under .test resolve to loopback, never to the network.
    resolver: async (host) => (host.endsWith('.test') ? ['127.0.0.1'] : []),
    ...extra,
  });

describe('UndiciFetcher', () => {
  it('fetches status, headers, final URL and body; follows redirects', async () => {
    const result = await fetcher().fetch(`${server.url}/redirect`);
    expect(result.http).toMatchObject({ status: 200, finalUrl: `${server.url}/page` });
    expect(result.http.contentType).toBe('text/html; charset=utf-8');
    expect(Buffer.from(result.body).toString()).toBe(html);
  });

  it('decodes gzip and brotli bodies', async () => {
    expect(Buffer.from((await fetcher().fetch(`${server.url}/gzip`)).body).toString()).toBe(html);
    expect(Buffer.from((await fetcher().fetch(`${server.url}/br`)).body).toString()).toBe(html);
  });

  it('stops a decompression bomb, stacked encodings, an oversized body and a redirect loop', async () => {
    const f = fetcher(open, { maxDecodedBytes: 1024 * 1024, maxBodyBytes: 1024 * 1024 });
    await expect(f.fetch(`${server.url}/bomb`)).rejects.toMatchObject({ reason: 'decoded_too_large' });
    await expect(f.fetch(`${server.url}/stacked`)).rejects.toMatchObject({ reason: 'too_many_encodings' });
    await expect(f.fetch(`${server.url}/big`)).rejects.toMatchObject({ reason: 'body_too_large' });
    await expect(f.fetch(`${server.url}/loop`)).rejects.toMatchObject({ reason: 'redirect_limit' });
  });

  it('refuses a redirect to the metadata address, even with private networks allowed', async () => {
    await expect(fetcher().fetch(`${server.url}/to-metadata`)).rejects.toThrow(ForbiddenAddressError);
  });

  it('refuses loopback by default and opens no socket to it', async () => {
    const before = server.connections;
    const port = server.port;
    const spellings = [
      `http://127.0.0.1:${port}/page`,
      `http://127.1:${port}/page`,
      `http://2130706433:${port}/page`,
      `http://0x7f.0.0.1:${port}/page`,
      `http://0177.0.0.1:${port}/page`,
      `http://[::ffff:127.0.0.1]:${port}/page`,
      `http://[::1]:${port}/page`,
      `http://localhost.test:${port}/page`,
    ];
    for (const url of spellings) {
      await expect(fetcher(closed).fetch(url), url).rejects.toThrow(ForbiddenAddressError);
    }
    expect(server.connections).toBe(before);
  });

  it('checks the address of every redirect hop, by name too', async () => {
    // The first hop is allowed (opt-in), the second resolves to loopback under a closed policy.
    const f = new UndiciFetcher({
      policy: closed,
      userAgent: 'Redline-test',
      resolver: async () => ['127.0.0.1'],
    });
    const before = server.connections;
    await expect(f.fetch('http://internal.test/admin')).rejects.toThrow(ForbiddenAddressError);
    expect(server.connections).toBe(before);
  });

  it('reports an unresolvable host as a dns failure', async () => {
    await expect(fetcher().fetch('http://nowhere.invalid/')).rejects.toSatisfy(
      (e) => e instanceof FetchError && e.reason === 'dns',
    );
  });
});
