import { Agent, get, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChromiumRenderer } from '../../functions/adapters/chromium/chromium-renderer.js';
import { GuardProxy, parsePort } from '../../functions/adapters/net/guard-proxy.js';
import { type FixtureServer, startFixtureServer, waitFor } from '../support/fixture-server.js';

/**
 * The guard proxy driven by plain Node clients standing in for the browser: HTTP forwarding, CONNECT
 * tunnels, and what happens to the upstream sockets when either side goes away.
 */
let upstream: FixtureServer;
let proxy: GuardProxy;
let proxyPort: number;
const routes: Parameters<typeof startFixtureServer>[0] = {
  '/page': (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('hello'),
  '/hang': () => {}, // never answers
  '/cut': (_req, res) => {
    // Promises 100 bytes, sends 3, and hangs up.
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
    res.write('abc', () => res.socket?.destroy());
  },
};
/** The upstream keeps idle connections for a minute: a leaked pooled socket outlasts every wait below. */
const keepIdle = { keepAliveTimeoutMs: 60_000 };
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  upstream = await startFixtureServer(routes, keepIdle);
  proxy = new GuardProxy({ allowPrivateNetwork: true }, async () => ['127.0.0.1'], 8);
  proxyPort = Number(new URL(await proxy.start()).port);
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await proxy.close();
  await upstream.close();
});

/** GET through the proxy (absolute-form request), on the given client agent. */
function proxiedGet(path: string, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: proxyPort, path: `${upstream.url}${path}`, agent },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Sends a raw CONNECT for `authority`; resolves with the status line and the socket. */
function rawConnect(authority: string): Promise<{ statusLine: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(proxyPort, '127.0.0.1', () =>
      socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`),
    );
    let seen = '';
    socket.on('data', function onData(chunk: Buffer) {
      seen += chunk.toString('latin1');
      if (seen.includes('\r\n\r\n')) {
        socket.off('data', onData);
        resolve({ statusLine: seen.split('\r\n')[0]!, socket });
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ statusLine: seen.split('\r\n')[0] ?? '', socket }));
  });
}

/** Reads one HTTP/1.1 response for GET `path` over an open tunnel. */
function getOverTunnel(socket: Socket, path: string): Promise<string> {
  return new Promise((resolve) => {
    let seen = '';
    socket.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (seen.includes('hello')) resolve(seen);
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  });
}

const settled = async () => {
  await waitFor(() => upstream.openSockets() === 0, 20_000, 'upstream sockets to close');
  await waitFor(() => proxy.openUpstreams === 0, 20_000, 'the proxy to forget its upstreams');
};

describe('GuardProxy', () => {
  it('accepts only integer ports from 1 to 65535', () => {
    expect(['1', '80', '443', '65535'].map(parsePort)).toEqual([1, 80, 443, 65535]);
    for (const bad of ['0', '65536', '70000', '', 'http', '-1', '1e3', '8080 ', '999999999999'])
      expect(parsePort(bad), bad).toBeUndefined();
  });

  it('leaves no upstream socket open once keep-alive browser connections close', async () => {
    // Prepare: a client that keeps its connections to the proxy open between requests, as a browser does.
    const agent = new Agent({ keepAlive: true, maxSockets: 3 });
    // Act
    const results = await Promise.all(Array.from({ length: 6 }, () => proxiedGet('/page', agent)));
    // Assess: every response arrived; each upstream connection ended with its response.
    expect(results.every((r) => r.status === 200 && r.body === 'hello')).toBe(true);
    // Node's pooling agent would keep them 5 s; unpooled they close right after their responses.
    await waitFor(
      () => upstream.openSockets() === 0,
      3_000,
      'upstream sockets to close after their responses',
    );
    await settled();
    agent.destroy();
    await settled();
  });

  it('closes the upstream when the browser gives up waiting for a response', async () => {
    const agent = new Agent({ keepAlive: true });
    const req = request({ host: '127.0.0.1', port: proxyPort, path: `${upstream.url}/hang`, agent });
    req.on('error', () => undefined);
    req.end();
    await waitFor(() => upstream.openSockets() === 1, 20_000, 'the upstream request');
    req.destroy();
    agent.destroy();
    await settled();
  });

  it('cuts the browser off when the upstream cuts a response short, so it is not taken for whole', async () => {
    const agent = new Agent({ keepAlive: true });
    const outcome = await new Promise<string>((resolve) => {
      const req = request(
        { host: '127.0.0.1', port: proxyPort, path: `${upstream.url}/cut`, agent },
        (res) => {
          res.on('data', () => undefined);
          res.on('end', () => resolve(res.complete ? 'complete' : 'incomplete'));
          res.on('error', () => resolve('error'));
          res.on('aborted', () => resolve('aborted'));
        },
      );
      req.on('error', () => resolve('error'));
      req.end();
    });
    expect(outcome).not.toBe('complete');
    agent.destroy();
    await settled();
  });

  it('closes the upstream of a tunnel when the browser closes it, and the browser side when the upstream does', async () => {
    const first = await rawConnect(`127.0.0.1:${upstream.port}`);
    expect(first.statusLine).toBe('HTTP/1.1 200 Connection Established');
    expect(await getOverTunnel(first.socket, '/page')).toMatch(/^HTTP\/1\.1 200/);
    first.socket.destroy();
    await settled();

    const second = await rawConnect(`127.0.0.1:${upstream.port}`);
    const browserClosed = new Promise((resolve) => second.socket.once('close', resolve));
    await waitFor(() => upstream.openSockets() === 1, 20_000, 'the tunnel to open');
    await upstream.close(); // the upstream server drops every connection
    await browserClosed;
    await settled();
    upstream = await startFixtureServer(routes, keepIdle);
  });

  it('answers 400 to a CONNECT with a bad port, keeps serving, and rejects nothing unhandled', async () => {
    for (const authority of [
      `127.0.0.1:70000`,
      `127.0.0.1:0`,
      `127.0.0.1:http`,
      `127.0.0.1`,
      `127.0.0.1:`,
      `[::1]:99999999999999999999`,
    ]) {
      const { statusLine, socket } = await rawConnect(authority);
      expect(statusLine, authority).toBe('HTTP/1.1 400 Bad Request');
      socket.destroy();
    }
    const agent = new Agent();
    expect(await proxiedGet('/page', agent)).toEqual({ status: 200, body: 'hello' });
    agent.destroy();
    // Give a stray rejection a moment to surface before checking there was none.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(unhandled).toEqual([]);
  });

  it('ends every upstream socket on close(), tunnels and waiting requests included', async () => {
    const tunnels = await Promise.all([1, 2, 3].map(() => rawConnect(`127.0.0.1:${upstream.port}`)));
    for (const { socket } of tunnels) socket.on('error', () => undefined);
    const hanging = get({ host: '127.0.0.1', port: proxyPort, path: `${upstream.url}/hang` });
    hanging.on('error', () => undefined);
    await waitFor(() => upstream.openSockets() === 4, 20_000, 'four upstream connections');
    expect(proxy.openUpstreams).toBe(4);
    await proxy.close();
    await settled();
    expect(upstream.openSockets()).toBe(0);
  });
});

describe('GuardProxy under the renderer', () => {
  it('leaves no upstream socket open after three renders and close()', async () => {
    // Prepare: a page with sub-resources, on a server that would keep idle connections for a minute.
    const page = `<!doctype html><html><body><h1>Story</h1>${[1, 2, 3]
      .map((i) => `<img src="/pixel-${i}.png">`)
      .join('')}<script>fetch('/data.json')</script></body></html>`;
    const pixel = (_req: unknown, res: import('node:http').ServerResponse) =>
      res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(10));
    const site = await startFixtureServer(
      {
        '/story': (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page),
        '/pixel-1.png': pixel,
        '/pixel-2.png': pixel,
        '/pixel-3.png': pixel,
        '/data.json': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
      },
      keepIdle,
    );
    const renderer = new ChromiumRenderer({
      policy: { allowPrivateNetwork: true },
      userAgent: 'Redline-test',
      screenshot: false,
    });
    try {
      // Act
      for (let i = 0; i < 3; i++) {
        const rendered = await renderer.render(`${site.url}/story`);
        expect(rendered.html).toContain('<h1>Story</h1>');
      }
      expect(site.connections).toBeGreaterThan(0);
      await renderer.close();
      // Assess: Node's pooling agent would have kept them ~5 s; closing the proxy ends them at once.
      await waitFor(() => site.openSockets() === 0, 3_000, 'upstream sockets to close after close()');
    } finally {
      await renderer.close();
      await site.close();
    }
  });
});
