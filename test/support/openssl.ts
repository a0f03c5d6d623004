/**
 * The real `openssl` command, for the test PKIs (test TSA, test TLS): run it, make a root CA, issue a
 * certificate under a CA. Every file is named relative to `dir`, where openssl runs.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs the real `openssl` command; fails with its stderr. */
export async function openssl(args: string[], cwd?: string): Promise<string> {
  try {
    const { stdout } = await run('openssl', args, { cwd, maxBuffer: 4 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args.join(' ')} failed: ${stderr}`, { cause: error });
  }
}

/** The start of an openssl.cnf for a test PKI: no prompts, and `root_ext` for a self-signed root CA. */
export const CA_CNF = `
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ root_ext ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
`;

/** `-newkey` arguments for an EC P-256 key. */
export const EC_P256 = ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];

/** Where openssl runs and the openssl.cnf (a CA_CNF and more sections) it reads. */
export interface PkiDir {
  dir: string;
  cnf: string;
}

/** A self-signed root CA, `<name>.key` and `<name>.pem` (EC P-256, ten years, `root_ext`). */
export async function makeRootCa(pki: PkiDir, name: string, cn: string): Promise<void> {
  await openssl(
    [
      ...['req', '-x509', '-newkey', ...EC_P256, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`],
      ...[
        '-days',
        '3650',
        '-subj',
        `/O=Redline Tests/CN=${cn}`,
        '-config',
        pki.cnf,
        '-extensions',
        'root_ext',
      ],
    ],
    pki.dir,
  );
}

/** `<name>.key` and `<name>.pem` issued by the CA `<ca>.pem`/`<ca>.key` with the cnf section `ext`. */
export async function issueCertificate(
  pki: PkiDir,
  cert: { name: string; cn: string; ca: string; ext: string; key?: string[] },
): Promise<void> {
  const { name, cn, ca, ext, key = EC_P256 } = cert;
  await openssl(
    [
      ...['req', '-new', '-newkey', ...key, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`],
      ...['-subj', `/O=Redline Tests/CN=${cn}`, '-config', pki.cnf],
    ],
    pki.dir,
  );
  await openssl(
    [
      ...['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`],
      ...['-set_serial', `0x${Math.floor(Math.random() * 2 ** 40).toString(16)}`, '-days', '825'],
      ...['-out', `${name}.pem`, '-extfile', pki.cnf, '-extensions', ext],
    ],
    pki.dir,
  );
}
