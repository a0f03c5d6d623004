import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FixtureServer {
  url: string;
  port: number;
  /** TCP connections accepted so far. */
  connections: number;
  /** TCP connections accepted and not yet closed. */
  openSockets(): number;
  requests: string[];
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 that routes by path and counts every socket it accepts. */
export async function startFixtureServer(
  routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void>,
  options: { keepAliveTimeoutMs?: number } = {},
): Promise<FixtureServer> {
  const state = { connections: 0, requests: [] as string[] };
  const server: Server = createServer((req, res) => {
    state.requests.push(req.url ?? '');
    const route = routes[new URL(req.url ?? '/', 'http://x').pathname];
    if (route) route(req, res);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    port,
    openSockets: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as FixtureServer;
}

/** Polls `condition` every 20 ms until it holds; rejects after `withinMs`. */
export async function waitFor(condition: () => boolean, withinMs: number, what: string): Promise<void> {
  const until = performance.now() + withinMs;
  while (!condition()) {
    if (performance.now() > until) throw new Error(`gave up waiting for ${what} after ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Sends headers, then one byte every `everyMs` for ever (until the client goes away): a body that never
 * ends and never goes quiet long enough for an idle timeout.
 */
export function drip(res: ServerResponse, everyMs: number, contentType = 'text/html'): void {
  res.writeHead(200, { 'content-type': contentType });
  res.write('<');
  const timer = setInterval(() => {
    if (res.destroyed) clearInterval(timer);
    else res.write('a');
  }, everyMs);
  res.on('close', () => clearInterval(timer));
}
