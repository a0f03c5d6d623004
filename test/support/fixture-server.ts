import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FixtureServer {
  url: string;
  port: number;
  /** TCP connections accepted so far. */
  connections: number;
  requests: string[];
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 that routes by path and counts every socket it accepts. */
export async function startFixtureServer(
  routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void>,
): Promise<FixtureServer> {
  const state = { connections: 0, requests: [] as string[] };
  const server: Server = createServer((req, res) => {
    state.requests.push(req.url ?? '');
    const route = routes[new URL(req.url ?? '/', 'http://x').pathname];
    if (route) route(req, res);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  }) as FixtureServer;
}
