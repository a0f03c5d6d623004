import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { NetworkPolicy } from '../../core/net-policy.js';
import { type Resolver, resolveChecked, systemResolver } from './resolve.js';

export interface DeniedConnection {
  host: string;
  reason: string;
}

/**
 * A forward proxy on 127.0.0.1 that every browser connection goes through (HTTP, CONNECT for TLS and
 * WebSockets, upgrades). Each target is resolved once, checked by the network policy, and connected to
 * by the checked address: the browser itself never resolves or connects to anything else.
 */
export class GuardProxy {
  private server?: Server;
  readonly denied: DeniedConnection[] = [];
  private readonly sockets = new Set<Duplex>();
  /** Upstream connections open per host, and who waits for one: at most `perHost` at once. */
  private readonly open = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(
    private readonly policy: NetworkPolicy,
    private readonly resolver: Resolver = systemResolver,
    private readonly perHost = 2,
  ) {}

  /** Waits for one of the host's connection slots; the returned function gives it back (once). */
  private async slot(host: string): Promise<() => void> {
    if ((this.open.get(host) ?? 0) >= this.perHost) {
      await new Promise<void>((resolve) =>
        this.waiting.set(host, [...(this.waiting.get(host) ?? []), resolve]),
      );
    }
    this.open.set(host, (this.open.get(host) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open.set(host, (this.open.get(host) ?? 1) - 1);
      const next = this.waiting.get(host)?.shift();
      next?.();
    };
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => void this.onRequest(req, res));
    server.on(
      'connect',
      (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.onConnect(req, socket, head),
    );
    server.on(
      'upgrade',
      (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.onUpgrade(req, socket, head),
    );
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async check(host: string): Promise<string | undefined> {
    try {
      return await resolveChecked(host, this.policy, this.resolver);
    } catch (error) {
      this.denied.push({ host, reason: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (target.protocol !== 'http:') {
      res.writeHead(400).end();
      return;
    }
    const address = await this.check(target.hostname);
    if (!address) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('blocked by Redline network guard');
      return;
    }
    const release = await this.slot(target.hostname);
    res.on('close', release);
    const upstream = request(
      {
        host: address,
        port: Number(target.port || 80),
        method: req.method,
        path: `${target.pathname}${target.search}`,
        headers: { ...req.headers, host: target.host },
        setHost: false,
      },
      (response) => {
        res.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(res);
      },
    );
    upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
    req.pipe(upstream);
  }

  private async onConnect(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(req.url ?? '');
    if (!match) {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const address = await this.check(match[1]!);
    if (!address) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const release = await this.slot(match[1]!);
    socket.on('close', release);
    const upstream = connect(Number(match[2]), address, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
  }

  /** Plain-HTTP WebSocket upgrades (ws://): same check, then a raw tunnel carrying the original request. */
  private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const address = await this.check(target.hostname);
    if (!address) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const release = await this.slot(target.hostname);
    socket.on('close', release);
    const upstream = connect(Number(target.port || 80), address, () => {
      const lines = [`${req.method} ${target.pathname}${target.search} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i]!;
        if (!/^proxy-/i.test(name)) lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
  }
}
