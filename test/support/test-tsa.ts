import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { CA_CNF, EC_P256, issueCertificate, makeRootCa, openssl } from './openssl.js';

/**
 * How the test TSA answers. `honest` signs with a TSA certificate (EKU critical,timeStamping) under the
 * test root; the others each break one thing a verifier must catch.
 */
export type TsaBehaviour =
  | 'honest'
  | 'ess-v1' // honest, but the ESS signing-certificate attribute is v1 (SHA-1), as older TSAs send
  | 'wrong-imprint' // answers a query for a different digest (same nonce)
  | 'wrong-nonce'
  | 'no-nonce'
  | 'no-ess' // the honest TSTInfo re-signed by the TSA's own key and certificate, without an ESS signing-certificate attribute
  | 'no-eku' // a valid token re-signed by a certificate of the same root without extendedKeyUsage
  | 'eku-not-critical' // the same, with a non-critical timeStamping EKU
  | 'other-ca' // signed by a proper TSA certificate under a root nobody configured (that root in the token)
  | 'reject' // openssl answers with status rejection (badAlg: it only accepts SHA-512 here)
  | 'twin-cert' // the honest token with its certificate swapped for another one of the same key, issuer and serial
  | 'bad-signature' // the honest reply with the last byte of the signature flipped
  | 'garbage' // random bytes served as application/timestamp-reply
  | 'html' // a 200 text/html page
  | 'http-500'
  | 'huge' // a 200 application/timestamp-reply body of 1 MB
  | 'hang'; // accepts the request and never answers

export interface TestTsa {
  url: string;
  dir: string;
  /** Paths of the PEM files: the test root, the TSA certificate, the other (unconfigured) root. */
  rootPemPath: string;
  tsaPemPath: string;
  otherRootPemPath: string;
  rootPem: string;
  otherRootPem: string;
  behaviour: TsaBehaviour;
  /** The URL of a TSA on the same server that always behaves as `behaviour`. */
  urlFor(behaviour: TsaBehaviour): string;
  /** Requests received, all behaviours. */
  requests: number;
  /** Replies `openssl ts -reply` made for a query, without the HTTP server: for tests of stored tokens. */
  reply(query: Uint8Array, behaviour?: TsaBehaviour): Promise<Uint8Array>;
  close(): Promise<void>;
}

const OPENSSL_CNF = `${CA_CNF}[ tsa_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ noeku_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ noncritical_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

function tsConfig(dir: string): string {
  const section = (name: string, cert: string, key: string, extra: Record<string, string>) => {
    const settings: Record<string, string> = {
      serial: join(dir, `serial-${name}`),
      crypto_device: 'builtin',
      signer_cert: join(dir, cert),
      signer_key: join(dir, key),
      signer_digest: 'sha256',
      default_policy: '1.3.6.1.4.1.55555.1.1',
      digests: 'sha256, sha384, sha512',
      accuracy: 'secs:1',
      ordering: 'yes',
      tsa_name: 'yes',
      ess_cert_id_chain: 'no',
      ess_cert_id_alg: 'sha256',
      ...extra,
    };
    return `[ ${name} ]\n${Object.entries(settings)
      .map(([k, v]) => `${k} = ${v}`)
      .join('\n')}\n`;
  };
  return [
    '[ tsa ]\ndefault_tsa = good\n',
    section('good', 'tsa.pem', 'tsa.key', {}),
    section('essv1', 'tsa.pem', 'tsa.key', { ess_cert_id_alg: 'sha1' }),
    section('reject', 'tsa.pem', 'tsa.key', { digests: 'sha512' }),
    // The impostor ships its own root in the token: a verifier must not trust what the token carries.
    section('other', 'other-tsa.pem', 'other-tsa.key', { certs: join(dir, 'other-root.pem') }),
  ].join('\n');
}

async function makeCertificates(dir: string): Promise<void> {
  const cnf = join(dir, 'openssl.cnf');
  await writeFile(cnf, OPENSSL_CNF);
  const pki = { dir, cnf };
  await Promise.all([
    makeRootCa(pki, 'root', 'Redline Test Root'),
    makeRootCa(pki, 'other-root', 'Somebody Else Root'),
  ]);
  await Promise.all([
    issueCertificate(pki, {
      name: 'tsa',
      cn: 'Redline Test TSA',
      ca: 'root',
      ext: 'tsa_ext',
      key: ['rsa:2048'],
    }),
    issueCertificate(pki, { name: 'noeku', cn: 'No EKU Signer', ca: 'root', ext: 'noeku_ext', key: EC_P256 }),
    issueCertificate(pki, {
      name: 'noncritical',
      cn: 'Non-critical EKU Signer',
      ca: 'root',
      ext: 'noncritical_ext',
      key: EC_P256,
    }),
    issueCertificate(pki, {
      name: 'other-tsa',
      cn: 'Other CA TSA',
      ca: 'other-root',
      ext: 'tsa_ext',
      key: EC_P256,
    }),
  ]);
  // A second certificate for the TSA's own key, with the same issuer and serial number: a token whose
  // certificate is swapped for it still verifies by key; only the ESS signing-certificate binding tells.
  const serial = (await openssl(['x509', '-in', 'tsa.pem', '-noout', '-serial'], dir)).trim().split('=')[1]!;
  await openssl(
    [
      'req',
      '-new',
      '-key',
      'tsa.key',
      '-out',
      'twin.csr',
      '-subj',
      '/O=Redline Tests/CN=Twin',
      '-config',
      cnf,
    ],
    dir,
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      'twin.csr',
      '-CA',
      'root.pem',
      '-CAkey',
      'root.key',
      '-set_serial',
      `0x${serial}`,
      '-days',
      '825',
      '-out',
      'twin.pem',
      '-extfile',
      cnf,
      '-extensions',
      'tsa_ext',
    ],
    dir,
  );
  for (const s of ['good', 'essv1', 'reject', 'other']) await writeFile(join(dir, `serial-${s}`), '01\n');
  await writeFile(join(dir, 'ts.cnf'), tsConfig(dir));
}

function mutateQuery(query: Uint8Array, change: (req: pkijs.TimeStampReq) => void): Uint8Array {
  const req = pkijs.TimeStampReq.fromBER(new Uint8Array(query));
  change(req);
  return new Uint8Array(req.toSchema().toBER(false));
}

function pemToDer(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

/** A granted TimeStampResp around a token: SEQUENCE { PKIStatusInfo { 0 }, token }. */
function wrapToken(token: Uint8Array): Uint8Array {
  const status = new asn1js.Sequence({ value: [new asn1js.Integer({ value: 0 })] });
  const parsed = asn1js.fromBER(token);
  return new Uint8Array(new asn1js.Sequence({ value: [status, parsed.result] }).toBER(false));
}

export async function startTestTsa(): Promise<TestTsa> {
  const dir = await mkdtemp(join(tmpdir(), 'redline-tsa-'));
  await makeCertificates(dir);
  let counter = 0;

  // `openssl ts -reply` reads and rewrites the section's serial file: concurrent runs can read it half
  // written. One reply at a time, as a real TSA would serialize its serial numbers.
  let queue: Promise<unknown> = Promise.resolve();
  const opensslReply = (query: Uint8Array, section: string): Promise<Uint8Array> => {
    const next = queue.then(() => opensslReplyNow(query, section));
    queue = next.catch(() => undefined);
    return next;
  };
  const opensslReplyNow = async (query: Uint8Array, section: string): Promise<Uint8Array> => {
    const id = ++counter;
    const q = join(dir, `q${id}.tsq`);
    const r = join(dir, `r${id}.tsr`);
    await writeFile(q, query);
    await openssl([
      'ts',
      '-reply',
      '-config',
      join(dir, 'ts.cnf'),
      '-section',
      section,
      '-queryfile',
      q,
      '-out',
      r,
    ]);
    const bytes = new Uint8Array(await readFile(r));
    await Promise.all([rm(q, { force: true }), rm(r, { force: true })]);
    return bytes;
  };

  /** The honest token's TSTInfo, re-signed with `openssl cms` by a signer openssl ts would refuse. */
  const resign = async (
    query: Uint8Array,
    signer: string,
    extraArgs: string[] = ['-cades'],
  ): Promise<Uint8Array> => {
    const honest = await opensslReply(query, 'good');
    const resp = pkijs.TimeStampResp.fromBER(new Uint8Array(honest));
    const signed = new pkijs.SignedData({ schema: resp.timeStampToken!.content });
    const id = ++counter;
    const tst = join(dir, `tst${id}.der`);
    const out = join(dir, `tok${id}.der`);
    await writeFile(tst, new Uint8Array(signed.encapContentInfo.eContent!.getValue()));
    await openssl([
      'cms',
      '-sign',
      '-binary',
      '-nodetach',
      '-in',
      tst,
      '-outform',
      'DER',
      '-out',
      out,
      '-econtent_type',
      '1.2.840.113549.1.9.16.1.4',
      '-signer',
      join(dir, `${signer}.pem`),
      '-inkey',
      join(dir, `${signer}.key`),
      '-md',
      'sha256',
      '-nosmimecap',
      ...extraArgs,
    ]);
    const token = new Uint8Array(await readFile(out));
    await Promise.all([rm(tst, { force: true }), rm(out, { force: true })]);
    return wrapToken(token);
  };

  const reply = async (query: Uint8Array, behaviour: TsaBehaviour = 'honest'): Promise<Uint8Array> => {
    switch (behaviour) {
      case 'honest':
        return opensslReply(query, 'good');
      case 'ess-v1':
        return opensslReply(query, 'essv1');
      case 'reject':
        return opensslReply(query, 'reject');
      case 'other-ca':
        return opensslReply(query, 'other');
      case 'wrong-imprint':
        return opensslReply(
          mutateQuery(query, (req) => {
            req.messageImprint.hashedMessage = new asn1js.OctetString({
              valueHex: new Uint8Array(32).fill(7),
            });
          }),
          'good',
        );
      case 'wrong-nonce':
        return opensslReply(
          mutateQuery(query, (req) => {
            req.nonce = asn1js.Integer.fromBigInt(123456789n);
          }),
          'good',
        );
      case 'no-nonce':
        return opensslReply(
          mutateQuery(query, (req) => {
            delete req.nonce;
          }),
          'good',
        );
      case 'no-ess':
        return resign(query, 'tsa', []);
      case 'no-eku':
        return resign(query, 'noeku');
      case 'eku-not-critical':
        // `-keyid`: the signer named by subjectKeyIdentifier, not issuer and serial.
        return resign(query, 'noncritical', ['-cades', '-keyid']);
      case 'twin-cert': {
        const honest = await opensslReply(query, 'good');
        const resp = pkijs.TimeStampResp.fromBER(new Uint8Array(honest));
        const signed = new pkijs.SignedData({ schema: resp.timeStampToken!.content });
        const twin = pkijs.Certificate.fromBER(
          new Uint8Array(pemToDer(await readFile(join(dir, 'twin.pem'), 'utf8'))),
        );
        signed.certificates = [twin];
        const token = new pkijs.ContentInfo({
          contentType: '1.2.840.113549.1.7.2',
          content: signed.toSchema(true),
        });
        return wrapToken(new Uint8Array(token.toSchema().toBER(false)));
      }
      case 'bad-signature': {
        const bytes = await opensslReply(query, 'good');
        bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x01;
        return bytes;
      }
      default:
        throw new Error(`behaviour ${behaviour} has no reply body`);
    }
  };

  const sockets = new Set<Socket>();
  const tsa: TestTsa = {
    url: '',
    dir,
    rootPemPath: join(dir, 'root.pem'),
    tsaPemPath: join(dir, 'tsa.pem'),
    otherRootPemPath: join(dir, 'other-root.pem'),
    rootPem: await readFile(join(dir, 'root.pem'), 'utf8'),
    otherRootPem: await readFile(join(dir, 'other-root.pem'), 'utf8'),
    behaviour: 'honest',
    urlFor: (behaviour) => `${tsa.url}/b/${behaviour}`,
    requests: 0,
    reply,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };

  const server: Server = createServer((req, res) => {
    tsa.requests++;
    // `/b/<behaviour>` picks a behaviour per URL, so several misbehaving TSAs can share one server.
    const named = /\/b\/([a-z0-9-]+)$/.exec(req.url ?? '')?.[1] as TsaBehaviour | undefined;
    const behaviour = named ?? tsa.behaviour;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > 64 * 1024) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (behaviour === 'hang') return;
      const send = (status: number, type: string, body: Uint8Array | string) => {
        res.writeHead(status, { 'content-type': type }).end(body);
      };
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/timestamp-query') {
        send(400, 'text/plain', 'expected a POST of application/timestamp-query');
        return;
      }
      if (behaviour === 'html') return send(200, 'text/html', '<html><body>Not a TSA</body></html>');
      if (behaviour === 'http-500') return send(500, 'text/plain', 'internal error');
      if (behaviour === 'garbage') {
        return send(
          200,
          'application/timestamp-reply',
          globalThis.crypto.getRandomValues(new Uint8Array(300)),
        );
      }
      if (behaviour === 'huge') return send(200, 'application/timestamp-reply', new Uint8Array(1024 * 1024));
      reply(new Uint8Array(Buffer.concat(chunks)), behaviour).then(
        (bytes) => send(200, 'application/timestamp-reply', bytes),
        (error: unknown) => send(500, 'text/plain', String(error)),
      );
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  tsa.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tsa`;
  return tsa;
}
