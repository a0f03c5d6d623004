import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CA_CNF, issueCertificate, makeRootCa } from './openssl.js';

/**
 * A test PKI made with the real `openssl` at test start: a root CA, an intermediate CA under it, and a
 * server certificate under the intermediate for the given names. Nothing is trusted globally: a test
 * hands `rootPem` to the fetcher and `leafSpki` to the browser, explicitly.
 */
export interface TestPki {
  dir: string;
  rootPem: string;
  intermediatePem: string;
  leafPem: string;
  leafKeyPem: string;
  /** base64 SHA-256 of the leaf's SubjectPublicKeyInfo (Chromium's --ignore-certificate-errors-spki-list). */
  leafSpki: string;
  /** SHA-256 fingerprints (X509Certificate.fingerprint256), leaf, intermediate, root. */
  fingerprints: string[];
  remove(): Promise<void>;
}

const CNF = (names: string[]) => `${CA_CNF}[ intermediate_ext ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ server_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = ${names.map((name) => (/^[\d.]+$/.test(name) ? `IP:${name}` : `DNS:${name}`)).join(',')}
`;

/** Makes the root, intermediate and server certificate (about a second of openssl). */
export async function makeTestPki(names: string[]): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'redline-pki-'));
  await writeFile(join(dir, 'openssl.cnf'), CNF(names));
  const pki = { dir, cnf: 'openssl.cnf' };
  await makeRootCa(pki, 'root', 'Redline Test TLS Root');
  await issueCertificate(pki, {
    name: 'intermediate',
    cn: 'Redline Test TLS Intermediate',
    ca: 'root',
    ext: 'intermediate_ext',
  });
  await issueCertificate(pki, {
    name: 'server',
    cn: names[0] ?? 'localhost',
    ca: 'intermediate',
    ext: 'server_ext',
  });
  const read = (file: string) => readFile(join(dir, file), 'utf8');
  const [rootPem, intermediatePem, leafPem, leafKeyPem] = await Promise.all(
    ['root.pem', 'intermediate.pem', 'server.pem', 'server.key'].map(read),
  );
  const leaf = new X509Certificate(leafPem!);
  const spki = leaf.publicKey.export({ type: 'spki', format: 'der' });
  return {
    dir,
    rootPem: rootPem!,
    intermediatePem: intermediatePem!,
    leafPem: leafPem!,
    leafKeyPem: leafKeyPem!,
    leafSpki: createHash('sha256').update(spki).digest('base64'),
    fingerprints: [leafPem!, intermediatePem!, rootPem!].map(
      (pem) => new X509Certificate(pem).fingerprint256,
    ),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface HttpsFixture {
  /** `https://<host>:<port>` */
  url: string;
  port: number;
  /** TCP connections accepted so far (a refused connect must open none). */
  connections: number;
  close(): Promise<void>;
}

/**
 * An https server on `address` that routes by path and serves the leaf with the intermediate (as a real
 * server does: not the root), so the chain a client reports is the served one plus the root it trusts.
 */
export async function startHttpsFixture(
  pki: TestPki,
  routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void>,
  host: string,
  address = '127.0.0.1',
): Promise<HttpsFixture> {
  const state = { connections: 0 };
  const server: Server = createServer(
    { key: pki.leafKeyPem, cert: `${pki.leafPem}${pki.intermediatePem}` },
    (req, res) => {
      const route = routes[new URL(req.url ?? '/', 'https://x').pathname];
      if (route) route(req, res);
      else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    },
  );
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `https://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
}
