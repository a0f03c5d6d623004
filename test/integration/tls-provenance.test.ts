import { randomBytes, X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articlePage, ORIGINAL } from '../../demo/news-site.js';
import { ChromiumRenderer } from '../../functions/adapters/chromium/chromium-renderer.js';
import { UndiciFetcher } from '../../functions/adapters/net/undici-fetcher.js';
import { type CaptureDeps, captureWatch } from '../../functions/core/capture/capture.js';
import { sha256 } from '../../functions/core/domain/digest.js';
import { FetchError, ForbiddenAddressError } from '../../functions/core/domain/errors.js';
import { silentLogger } from '../../functions/core/domain/ports.js';
import { parseManifest } from '../../functions/core/proof/manifest.js';
import { addWatch } from '../../functions/core/watches/watches.js';
import { type MemoryBlobStore, MemoryCatalog, memoryStores } from '../support/memory.js';
import { type HttpsFixture, makeTestPki, startHttpsFixture, type TestPki } from '../support/test-tls.js';
import { readWarc } from '../support/warc.js';

/**
 * An https article (a stylesheet and an image on the same origin) captured through the real pipeline:
 * the real fetcher, which trusts the test root only because this test says so (an option, never
 * NODE_TLS_REJECT_UNAUTHORIZED), and the real browser, which accepts the test server's key only because
 * this test names its SPKI. The provenance must hold the chain the server presented, leaf first.
 */
const HOST = 'news.fixture.test';
const SERVER_IP = '127.0.0.1';
const resolver = async (host: string) => (host === HOST ? [SERVER_IP] : []);
const CSS = 'body{color:#123} .hero{width:40px;height:40px}';
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(1_500)]);
const page = articlePage(ORIGINAL, 1)
  .replace('</head>', '<link rel="stylesheet" href="/style.css"></head>')
  .replace('</body>', '<img class="hero" src="/hero.png" alt=""></body>');

let pki: TestPki;
let server: HttpsFixture;
let deps: CaptureDeps & { blobs: MemoryBlobStore };
let renderer: ChromiumRenderer;
const policy = { allowPrivateNetwork: true };

beforeAll(async () => {
  pki = await makeTestPki([HOST]);
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/old': (_req, res) => res.writeHead(301, { location: '/story' }).end(),
    '/story': (_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page),
    '/style.css': (_req, res) => res.writeHead(200, { 'content-type': 'text/css' }).end(CSS),
    '/hero.png': (_req, res) =>
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': PNG.byteLength }).end(PNG),
  };
  server = await startHttpsFixture(pki, routes, HOST, SERVER_IP);
  renderer = new ChromiumRenderer({
    policy,
    resolver,
    userAgent: 'Redline-test',
    acceptSpki: [pki.leafSpki],
  });
  deps = {
    ...memoryStores(new MemoryCatalog()),
    fetcher: new UndiciFetcher({
      policy,
      resolver,
      userAgent: 'Redline-test',
      extraTrustedRoots: [pki.rootPem],
    }),
    renderer,
    clock: { now: () => new Date() },
    logger: silentLogger,
  };
}, 60_000);

afterAll(async () => {
  await renderer?.close();
  await (deps?.fetcher as UndiciFetcher | undefined)?.close();
  await server?.close();
  await pki?.remove();
});

describe('TLS provenance of an https capture', () => {
  let provenance: {
    tlsChains: {
      urls: string[];
      connection: string;
      origin: string;
      ipAddress?: string;
      protocol?: string;
      cipher?: string;
      authorized: boolean;
      chain: string[];
      omitted: number;
    }[];
    tls: { origin: string; protocol?: string; issuer?: string }[];
  };
  let provenanceDigest: string;
  let manifestBytes: Uint8Array;
  let warc: Uint8Array;

  beforeAll(async () => {
    const { watch } = await addWatch(deps, {
      url: `${server.url}/old`,
      cadenceSeconds: 3600,
      mode: 'auto',
      tags: [],
    });
    const result = await captureWatch(deps, watch);
    expect(result.capture.status, JSON.stringify(result.capture)).toBe('complete');
    const { artifacts } = result.capture;
    provenanceDigest = artifacts.provenance!.digest;
    provenance = JSON.parse(Buffer.from(deps.blobs.blobs.get(provenanceDigest)!).toString());
    manifestBytes = deps.blobs.blobs.get(result.version!.manifest!.digest)!;
    warc = deps.blobs.blobs.get(artifacts.warc!.digest)!;
  }, 120_000);

  it('holds the served chain as PEM, leaf first, up to the trusted root, from the fetcher connection', () => {
    expect(provenance.tlsChains).toHaveLength(1);
    const [tls] = provenance.tlsChains;
    expect(tls).toMatchObject({
      // A redirect within the origin: one connection, one chain, both hops.
      urls: [`${server.url}/old`, `${server.url}/story`],
      connection: 'fetcher',
      origin: server.url,
      ipAddress: SERVER_IP,
      authorized: true,
      omitted: 0,
    });
    expect(tls!.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(tls!.cipher).toMatch(/^TLS_/);
    // Leaf and intermediate as served, then the root the chain verified to: compared by fingerprint.
    expect(tls!.chain.map((pem) => new X509Certificate(pem).fingerprint256)).toEqual(pki.fingerprints);
    expect(tls!.chain[0]).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
  });

  it('is the blob the version manifest names, and the WARC provenance record', async () => {
    expect(sha256(Buffer.from(JSON.stringify(provenance, null, 2)))).toBe(provenanceDigest);
    expect(parseManifest(manifestBytes).provenance).toBe(provenanceDigest);
    const record = (await readWarc(warc)).find((r) => r.url.startsWith('urn:redline:provenance:'));
    expect(sha256(record!.payload)).toBe(provenanceDigest);
  });

  it('let the browser load the https sub-resources (it accepted the test key, named by its SPKI)', async () => {
    const records = await readWarc(warc);
    const css = records.find((r) => r.type === 'response' && r.url === `${server.url}/style.css`);
    const png = records.find((r) => r.type === 'response' && r.url === `${server.url}/hero.png`);
    expect(css?.payload.toString()).toBe(CSS);
    expect(png?.payload.equals(PNG)).toBe(true);
    expect(provenance.tls).toEqual([
      expect.objectContaining({ origin: server.url, issuer: 'Redline Test TLS Intermediate' }),
    ]);
  });
});

describe('the fetcher over TLS', () => {
  it('refuses a server whose root it was not told to trust (no global trust change)', async () => {
    const fetcher = new UndiciFetcher({ policy, resolver, userAgent: 'Redline-test' });
    try {
      const error = await fetcher.fetch(`${server.url}/story`).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FetchError);
      expect(String((error as FetchError).cause)).toMatch(/certificate/i);
    } finally {
      await fetcher.close();
    }
  });

  it('still checks the address before any connection: a forbidden one opens no socket, so no TLS', async () => {
    const before = server.connections;
    const fetcher = new UndiciFetcher({
      policy: { allowPrivateNetwork: false },
      resolver,
      userAgent: 'Redline-test',
      extraTrustedRoots: [pki.rootPem],
    });
    try {
      await expect(fetcher.fetch(`${server.url}/story`)).rejects.toBeInstanceOf(ForbiddenAddressError);
      expect(server.connections).toBe(before);
    } finally {
      await fetcher.close();
    }
  });

  it('keeps at most the capped number of certificates, and counts the rest', async () => {
    const fetcher = new UndiciFetcher({
      policy,
      resolver,
      userAgent: 'Redline-test',
      extraTrustedRoots: [pki.rootPem],
      maxChainCertificates: 1,
    });
    try {
      const fetched = await fetcher.fetch(`${server.url}/story`);
      const tls = fetched.exchanges!.at(-1)!.tls!;
      expect(tls.chain.map((pem) => new X509Certificate(pem).fingerprint256)).toEqual([pki.fingerprints[0]]);
      expect(tls.omitted).toBe(2);
    } finally {
      await fetcher.close();
    }
  });
});
