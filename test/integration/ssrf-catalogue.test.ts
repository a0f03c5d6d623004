import net from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChromiumRenderer } from '../../functions/adapters/chromium/chromium-renderer.js';
import { UndiciFetcher } from '../../functions/adapters/net/undici-fetcher.js';
import { ForbiddenAddressError, InvalidInputError } from '../../functions/core/domain/errors.js';
import { type FixtureServer, startFixtureServer } from '../support/fixture-server.js';

/**
 * SSRF catalogue. Every case must be refused with a specific error and open no socket to the
 * forbidden address. Loopback cases hit a counting fixture server on 127.0.0.1 (its connection count
 * must not move); other ranges are checked by spying on every socket connect in this process. Names
 * resolve through a fake resolver: nothing here reaches a real DNS server or the network.
 */
let server: FixtureServer;
const dialed: string[] = [];
const originalConnect = net.Socket.prototype.connect;

beforeAll(async () => {
  server = await startFixtureServer({
    '/page': (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<p>secret</p>'),
  });
});
afterAll(() => server.close());
beforeEach(() => {
  dialed.length = 0;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    // net.connect passes its normalized arguments as one array.
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    const options = first as { host?: string; port?: number } | number;
    dialed.push(typeof options === 'object' ? String(options.host) : String(args[1] ?? ''));
    return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
});
afterEach(() => {
  net.Socket.prototype.connect = originalConnect;
});

const FAKE_DNS: Record<string, string[]> = {
  'loopback.test': ['127.0.0.1'],
  'private.test': ['10.0.0.5'],
  'metadata.test': ['169.254.169.254'],
  'mixed.test': ['93.184.216.34', '127.0.0.1'],
  'v6-loopback.test': ['::1'],
  'v6-metadata.test': ['fd00:ec2::254'],
  'nat64.test': ['64:ff9b::a9fe:a9fe'],
  'cgnat.test': ['100.64.1.1'],
};
const resolver = async (host: string) => FAKE_DNS[host] ?? [];
const closed = { allowPrivateNetwork: false };
const fetcher = (policy = closed) => new UndiciFetcher({ policy, userAgent: 'Redline-test', resolver });

describe('HTTP fetcher refuses forbidden addresses, opening no socket to them', () => {
  it('(control) the socket spy and the fixture server see a permitted connection', async () => {
    const before = server.connections;
    await fetcher({ allowPrivateNetwork: true }).fetch(`http://127.0.0.1:${server.port}/page`);
    expect(dialed).toContain('127.0.0.1');
    expect(server.connections).toBe(before + 1);
  });

  const port = () => server.port;
  const loopbackSpellings = [
    '127.0.0.1',
    '127.1',
    '127.0.1',
    '2130706433',
    '0x7f000001',
    '0x7f.0.0.1',
    '0177.0.0.1',
    '017700000001',
    '127.000.000.001',
    '127.255.255.254',
    '[::1]',
    '[::ffff:127.0.0.1]',
    '[::ffff:7f00:1]',
    '[0:0:0:0:0:ffff:127.0.0.1]',
    '0.0.0.0',
    '0',
    'loopback.test',
    'v6-loopback.test',
    'mixed.test',
  ];
  it.each(loopbackSpellings)('loopback spelled %s', async (host) => {
    const before = server.connections;
    await expect(fetcher().fetch(`http://${host}:${port()}/page`)).rejects.toThrow(ForbiddenAddressError);
    expect(server.connections).toBe(before);
  });

  const otherRanges: [string, RegExp][] = [
    ['10.0.0.1', /private/],
    ['10.255.255.255', /private/],
    ['10.1', /private/],
    ['0xa000001', /private/],
    ['012.0.0.1', /private/],
    ['172.16.0.1', /private/],
    ['172.31.255.255', /private/],
    ['192.168.0.1', /private/],
    ['100.64.0.1', /carrierGradeNat/],
    ['169.254.0.1', /linkLocal/],
    ['169.254.169.254', /metadata/],
    ['169.254.43518', /metadata/],
    ['2852039166', /metadata/],
    ['0xA9FEA9FE', /metadata/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /broadcast/],
    ['240.0.0.1', /reserved/],
    ['[fc00::1]', /uniqueLocal/],
    ['[fd00:ec2::254]', /metadata/],
    ['[fe80::1]', /linkLocal/],
    ['[::]', /unspecified/],
    ['[ff02::1]', /multicast/],
    ['[64:ff9b::a00:1]', /rfc6052/],
    ['[2002:a00:1::]', /6to4/],
    ['[2001:0:4136:e378:8000:63bf:3fff:fdd2]', /teredo/],
    ['[::ffff:169.254.169.254]', /metadata/],
    ['[::ffff:10.0.0.1]', /private/],
    ['private.test', /private/],
    ['metadata.test', /metadata/],
    ['v6-metadata.test', /metadata/],
    ['nat64.test', /rfc6052/],
    ['cgnat.test', /carrierGradeNat/],
  ];
  it.each(otherRanges)('%s (%s)', async (host, rule) => {
    const error = await fetcher()
      .fetch(`http://${host}/latest/meta-data/`)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForbiddenAddressError);
    expect((error as ForbiddenAddressError).rule).toMatch(rule);
    const address = (error as ForbiddenAddressError).address;
    // A name may be handed to connect (its lookup is then refused); the forbidden address never is.
    expect(
      dialed
        .filter((d) => d === address || d === host.replace(/^\[|\]$/g, ''))
        .filter((d) => !d.endsWith('.test')),
    ).toEqual([]);
    expect(dialed.length).toBeLessThanOrEqual(1);
  });

  it.each([
    'file:///etc/passwd',
    'ftp://ftp.example/x',
    'gopher://x.example/',
    'javascript:alert(1)',
    'data:text/html,x',
  ])('refuses the scheme of %s', async (url) => {
    await expect(fetcher().fetch(url)).rejects.toThrow(InvalidInputError);
    expect(dialed).toEqual([]);
  });

  it.each([
    ['a metadata literal', 'http://169.254.169.254/latest/meta-data/'],
    ['the metadata address in decimal', 'http://2852039166/'],
    ['a name resolving to metadata', 'http://metadata.test/'],
    ['IPv6 metadata', 'http://[fd00:ec2::254]/'],
    ['file://', 'file:///etc/passwd'],
  ])('refuses a redirect to %s even with private networks allowed', async (_name, location) => {
    const redirector = await startFixtureServer({
      '/go': (_req, res) => res.writeHead(302, { location }).end(),
    });
    try {
      const error = await fetcher({ allowPrivateNetwork: true })
        .fetch(`${redirector.url}/go`)
        .catch((e: unknown) => e);
      expect(error instanceof ForbiddenAddressError || error instanceof InvalidInputError).toBe(true);
      expect(dialed.filter((d) => d.startsWith('169.254') || d.startsWith('fd00'))).toEqual([]);
    } finally {
      await redirector.close();
    }
  });
});

describe('the browser refuses forbidden addresses through the guard proxy, opening no socket to them', () => {
  let renderer: ChromiumRenderer;
  beforeAll(() => {
    renderer = new ChromiumRenderer({
      policy: closed,
      userAgent: 'Redline-test',
      resolver,
      navigateTimeoutMs: 10_000,
    });
  });
  afterAll(() => renderer.close());

  const origin = () => `http://127.0.0.1:${server.port}`;
  const cases: [string, () => string][] = [
    ['an image by loopback literal', () => `<img src="${origin()}/page">`],
    ['an image by short loopback', () => `<img src="http://127.1:${server.port}/page">`],
    ['an image by decimal loopback', () => `<img src="http://2130706433:${server.port}/page">`],
    [
      'a script by a name resolving to loopback',
      () => `<script src="http://loopback.test:${server.port}/page"></script>`,
    ],
    [
      'a stylesheet from IPv6 loopback',
      () => `<link rel="stylesheet" href="http://[::1]:${server.port}/page">`,
    ],
    ['an iframe to loopback', () => `<iframe src="${origin()}/page"></iframe>`],
    ['fetch() to loopback', () => `<script>fetch('${origin()}/page').catch(() => {})</script>`],
    [
      'XMLHttpRequest to loopback',
      () => `<script>const x = new XMLHttpRequest(); x.open('GET', '${origin()}/page'); x.send();</script>`,
    ],
    [
      'a WebSocket to loopback',
      () => `<script>try { new WebSocket('ws://127.0.0.1:${server.port}/page') } catch {}</script>`,
    ],
    [
      'a JavaScript navigation to loopback',
      () => `<script>setTimeout(() => { location.href = '${origin()}/page' }, 10)</script>`,
    ],
    ['a meta refresh to loopback', () => `<meta http-equiv="refresh" content="0;url=${origin()}/page">`],
    ['window.open to loopback', () => `<script>window.open('${origin()}/page')</script>`],
    [
      'a form posted to loopback',
      () => `<form id=f method=post action="${origin()}/page"></form><script>f.submit()</script>`,
    ],
    ['a beacon to loopback', () => `<script>navigator.sendBeacon('${origin()}/page', 'x')</script>`],
    [
      'a service worker',
      () => `<script>navigator.serviceWorker?.register('/sw.js').catch(() => {})</script>`,
    ],
    ['an image from the metadata address', () => '<img src="http://169.254.169.254/latest/meta-data/">'],
    ['a navigation to file://', () => "<script>location.href = 'file:///etc/passwd'</script>"],
  ];
  it.each(cases)('%s', async (_name, html) => {
    const before = server.connections;
    const page = `<!doctype html><html><head><title>t</title></head><body><p>Article text.</p>${html()}</body></html>`;
    const rendered = await renderer.render('http://news.test/story', {
      http: { status: 200, finalUrl: 'http://news.test/story', contentType: 'text/html', headers: {} },
      body: Buffer.from(page),
    });
    expect(server.connections).toBe(before);
    expect(rendered.html ?? '').not.toContain('secret');
    expect(rendered.html ?? '').not.toContain('root:');
    expect(dialed.filter((d) => d.startsWith('169.254'))).toEqual([]);
  });

  it('launches Chromium with every request routed through the guard', () => {
    expect(renderer.denied.length).toBeGreaterThan(10);
    expect(renderer.denied.every((d) => /refused|resolve/.test(d.reason))).toBe(true);
  });
});
