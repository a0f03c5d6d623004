import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UndiciFetcher } from '../../functions/adapters/net/undici-fetcher.js';
import {
  DeadlineError,
  FetchError,
  FetchTimeoutError,
  ForbiddenAddressError,
} from '../../functions/core/domain/errors.js';
import { drip, type FixtureServer, startFixtureServer } from '../support/fixture-server.js';

let server: FixtureServer;
/** Resolves when the socket that carried each /drip or /hang request closes. */
const dripSockets: Promise<unknown>[] = [];
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
    '/drip': (req, res) => {
      dripSockets.push(new Promise((resolve) => req.socket.once('close', resolve)));
      drip(res, 200);
    },
    '/hang': (req) => void dripSockets.push(new Promise((resolve) => req.socket.once('close', resolve))),
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

  it('ends a body that drips one byte every 200 ms at the total budget, and closes its socket', async () => {
    // Prepare: an idle timeout far above the drip's pace, so only the total budget can stop it.
    const f = fetcher(open, { bodyTimeoutMs: 30_000, totalTimeoutMs: 1500 });
    const start = performance.now();
    // Act
    const error = await f.fetch(`${server.url}/drip`).catch((e: unknown) => e);
    const ms = performance.now() - start;
    // Assess
    expect(error).toBeInstanceOf(FetchTimeoutError);
    expect((error as FetchTimeoutError).reason).toBe('timeout');
    expect((error as FetchTimeoutError).budget).toBe('total fetch');
    expect((error as Error).message).toMatch(/total fetch budget of 1500 ms ran out after \d+ ms/);
    expect((error as Error).cause).toBeInstanceOf(DeadlineError);
    expect(ms).toBeGreaterThanOrEqual(1400);
    expect(ms).toBeLessThan(15_000);
    await dripSockets.at(-1); // the server saw the socket close (the test times out otherwise)
    await f.close();
  });

  it("stops mid-body when the caller aborts, with the caller's reason as the cause", async () => {
    const f = fetcher(open, { totalTimeoutMs: 60_000 });
    const controller = new AbortController();
    const seen = server.requests.length;
    const pending = f.fetch(`${server.url}/drip`, {}, { signal: controller.signal }).catch((e: unknown) => e);
    // Abort only once the server is dripping the body, so the abort lands mid-body.
    while (server.requests.length === seen) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    const reason = new DeadlineError('capture', 300, 300);
    controller.abort(reason);
    const error = await pending;
    expect(error).toBeInstanceOf(FetchTimeoutError);
    expect((error as FetchTimeoutError).budget).toBe('capture');
    expect((error as Error).cause).toBe(reason);
    await dripSockets.at(-1);
    await f.close();
  });

  it('stops while waiting for headers, and refuses to start with an aborted signal', async () => {
    const f = fetcher(open, { headersTimeoutMs: 30_000, totalTimeoutMs: 60_000 });
    const controller = new AbortController();
    const pending = f.fetch(`${server.url}/hang`, {}, { signal: controller.signal }).catch((e: unknown) => e);
    setTimeout(() => controller.abort(new Error('shutting down')), 200);
    const error = await pending;
    expect(error).toBeInstanceOf(FetchTimeoutError);
    expect((error as Error).message).toMatch(/aborted by the caller after \d+ ms \(shutting down\)/);
    await dripSockets.at(-1);
    const before = server.connections;
    await expect(f.fetch(`${server.url}/page`, {}, { signal: AbortSignal.abort() })).rejects.toThrow(
      FetchTimeoutError,
    );
    expect(server.connections).toBe(before);
    await f.close();
  });

  it('lowers the body cap for one request when asked', async () => {
    await expect(fetcher().fetch(`${server.url}/page`, {}, { maxBodyBytes: 10 })).rejects.toMatchObject({
      reason: 'body_too_large',
    });
  });
});
