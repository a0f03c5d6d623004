/**
 * An independent WACZ 1.1.1 validator, written from the WACZ and WACZ-auth specs and from what py-wacz's
 * `wacz validate` checks. It shares no code with Redline's writer: zip reading with yauzl, WARC records
 * parsed by hand, hashes with node:crypto, signatures with WebCrypto.
 */
import { createHash, webcrypto } from 'node:crypto';
import type { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import yauzl, { type Entry, type ZipFile } from 'yauzl';

export type WaczProblemCode =
  | 'zip'
  | 'missing-file'
  | 'bad-path'
  | 'not-stored'
  | 'datapackage'
  | 'unlisted-file'
  | 'missing-resource'
  | 'resource-hash'
  | 'resource-bytes'
  | 'digest'
  | 'signature'
  | 'cdxj-syntax'
  | 'cdxj-order'
  | 'cdxj-record'
  | 'cdxj-url'
  | 'cdxj-timestamp'
  | 'cdxj-digest'
  | 'cdxj-status'
  | 'pages'
  | 'page-not-indexed'
  | 'revisit-unresolved';

export interface WaczProblem {
  code: WaczProblemCode;
  /** The file the problem is in, when there is one. */
  path?: string;
  message: string;
}

export interface WaczValidateOptions {
  /** Base64 SPKI keys to trust; when given, a signature by any other key is a problem. */
  trustedPublicKeys?: string[];
  /** Require datapackage-digest.json to carry a signature. */
  requireSignature?: boolean;
}

const MAX_ENTRIES = 100_000;
const MAX_INDEX_LINES = 1_000_000;
const MAX_RECORD_BYTES = 512 * 1024 * 1024;
const CDXJ_LINE = /^(\S+) (\d{14}) (\{.*\})$/;

interface Cdxj {
  line: number;
  key: string;
  timestamp: string;
  fields: Record<string, unknown>;
}

function entries(zip: ZipFile): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    const found: Entry[] = [];
    zip.on('entry', (entry: Entry) => {
      found.push(entry);
      if (found.length > MAX_ENTRIES) {
        reject(new Error(`more than ${MAX_ENTRIES} zip entries`));
        return;
      }
      zip.readEntry();
    });
    zip.on('end', () => resolve(found));
    zip.on('error', reject);
    zip.readEntry();
  });
}

async function drain(stream: Readable, onChunk: (chunk: Buffer) => void): Promise<void> {
  for await (const chunk of stream) onChunk(chunk as Buffer);
}

async function readAll(zip: ZipFile, entry: Entry, range?: { start: number; end: number }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await drain(await zip.openReadStreamPromise(entry, range ?? {}), (chunk) => chunks.push(chunk));
  return Buffer.concat(chunks);
}

async function hashEntry(zip: ZipFile, entry: Entry): Promise<{ hash: string; bytes: number }> {
  const hasher = createHash('sha256');
  let bytes = 0;
  await drain(await zip.openReadStreamPromise(entry), (chunk) => {
    hasher.update(chunk);
    bytes += chunk.byteLength;
  });
  return { hash: `sha256:${hasher.digest('hex')}`, bytes };
}

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const withPrefix = (digest: string) => (digest.includes(':') ? digest : `sha256:${digest}`);

interface ParsedRecord {
  headers: Map<string, string>;
  block: Buffer;
}

/** One WARC record, and nothing after it: `WARC/1.x`, headers, CRLF, Content-Length bytes, CRLF CRLF. */
function parseSingleRecord(bytes: Buffer): ParsedRecord | string {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return 'no end of WARC headers';
  const lines = bytes.subarray(0, end).toString('utf8').split('\r\n');
  if (!/^WARC\/1\.[01]$/.test(lines[0] ?? ''))
    return `does not start with a WARC version line (${(lines[0] ?? '').slice(0, 20)})`;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return `bad WARC header line ${line.slice(0, 40)}`;
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const length = Number(headers.get('content-length'));
  if (!Number.isInteger(length) || length < 0) return 'no valid Content-Length';
  const blockStart = end + 4;
  if (bytes.byteLength !== blockStart + length + 4) {
    return `record is ${bytes.byteLength} bytes, headers and Content-Length say ${blockStart + length + 4} (not exactly one record)`;
  }
  if (bytes.subarray(blockStart + length).toString('latin1') !== '\r\n\r\n')
    return 'record not followed by CRLF CRLF';
  return { headers, block: bytes.subarray(blockStart, blockStart + length) };
}

async function checkSignature(
  signedData: Record<string, unknown>,
  datapackageHash: string,
  created: unknown,
  options: WaczValidateOptions,
  problem: (code: WaczProblemCode, message: string, path?: string) => void,
): Promise<void> {
  const path = 'datapackage-digest.json';
  const { hash, signature, publicKey } = signedData;
  const allowed = new Set(['hash', 'created', 'software', 'version', 'signature', 'publicKey']);
  for (const key of Object.keys(signedData)) {
    if (!allowed.has(key))
      problem('signature', `signedData has property ${key}, not in the anonymous signature format`, path);
  }
  if (typeof hash !== 'string' || typeof signature !== 'string' || typeof publicKey !== 'string') {
    problem('signature', 'signedData needs string hash, signature and publicKey', path);
    return;
  }
  if (hash !== datapackageHash)
    problem('signature', 'signedData.hash is not the hash of datapackage.json', path);
  if (signedData.created !== created)
    problem('signature', 'signedData.created differs from datapackage.json created', path);
  let key: CryptoKey;
  try {
    key = await webcrypto.subtle.importKey(
      'spki',
      Buffer.from(publicKey, 'base64'),
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    );
  } catch {
    problem('signature', 'signedData.publicKey is not a base64 SPKI ECDSA P-256 key', path);
    return;
  }
  const ok = await webcrypto.subtle.verify(
    { name: 'ECDSA', hash: 'SHA-256' },
    key,
    Buffer.from(signature, 'base64'),
    Buffer.from(hash, 'utf8'),
  );
  if (!ok) problem('signature', 'signature does not verify with signedData.publicKey', path);
  if (options.trustedPublicKeys && !options.trustedPublicKeys.includes(publicKey)) {
    problem('signature', 'signed with a public key that is not trusted', path);
  }
}

/** Validates a WACZ (a file path or its bytes). Returns every problem found; an empty list means valid. */
export async function validateWacz(
  source: string | Uint8Array,
  options: WaczValidateOptions = {},
): Promise<WaczProblem[]> {
  const problems: WaczProblem[] = [];
  const problem = (code: WaczProblemCode, message: string, path?: string) =>
    problems.push(path ? { code, path, message } : { code, message });
  let zip: ZipFile;
  try {
    zip =
      typeof source === 'string'
        ? await yauzl.openPromise(source, { lazyEntries: true, autoClose: false })
        : await yauzl.fromBufferPromise(Buffer.from(source), { lazyEntries: true });
  } catch (error) {
    return [{ code: 'zip', message: `not a readable zip: ${(error as Error).message}` }];
  }
  try {
    await validateOpen(zip, options, problem);
  } catch (error) {
    problem('zip', `reading failed: ${(error as Error).message}`);
  } finally {
    zip.close();
  }
  return problems;
}

async function validateOpen(
  zip: ZipFile,
  options: WaczValidateOptions,
  problem: (code: WaczProblemCode, message: string, path?: string) => void,
): Promise<void> {
  const byPath = new Map<string, Entry>();
  for (const entry of await entries(zip)) {
    if (entry.fileName.endsWith('/')) continue;
    const parts = entry.fileName.split('/');
    if (
      entry.fileName.startsWith('/') ||
      parts.some((part) => part === '..' || part === '') ||
      entry.fileName.includes('\\')
    ) {
      problem('bad-path', `unsafe path ${entry.fileName}`, entry.fileName);
      continue;
    }
    if (byPath.has(entry.fileName)) problem('bad-path', `${entry.fileName} appears twice`, entry.fileName);
    byPath.set(entry.fileName, entry);
  }
  const paths = [...byPath.keys()];
  const warcPaths = paths.filter((path) => /^archive\/[^/]+\.warc(\.gz)?$/.test(path));
  for (const required of ['datapackage.json', 'datapackage-digest.json', 'pages/pages.jsonl']) {
    if (!byPath.has(required)) problem('missing-file', `${required} is missing`, required);
  }
  if (warcPaths.length === 0) problem('missing-file', 'no WARC file in archive/', 'archive/');
  const indexPath = ['indexes/index.cdx', 'indexes/index.cdx.gz'].find((path) => byPath.has(path));
  if (!indexPath) problem('missing-file', 'no indexes/index.cdx or indexes/index.cdx.gz', 'indexes/');
  for (const path of paths) {
    const folder = path.split('/')[0];
    if (folder === 'archive' && !warcPaths.includes(path))
      problem('bad-path', `archive/ holds a non-WARC file ${path}`, path);
    if (folder === 'indexes' && !/^indexes\/[^/]+\.(cdx|cdx\.gz|cdxj|idx)$/.test(path))
      problem('bad-path', `unexpected index ${path}`, path);
    if (folder === 'pages' && !/^pages\/[^/]+\.jsonl$/.test(path))
      problem('bad-path', `unexpected pages file ${path}`, path);
    const entry = byPath.get(path);
    if (entry && (folder === 'archive' || path.endsWith('.cdx.gz')) && entry.compressionMethod !== 0) {
      problem('not-stored', `${path} is compressed in the zip (must be stored for random access)`, path);
    }
  }

  // datapackage.json: the package and every resource's hash and size.
  const datapackageEntry = byPath.get('datapackage.json');
  if (!datapackageEntry) return;
  const datapackageBytes = await readAll(zip, datapackageEntry);
  const datapackageHash = sha256(datapackageBytes);
  let datapackage: Record<string, unknown>;
  try {
    datapackage = JSON.parse(datapackageBytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    problem('datapackage', 'datapackage.json is not JSON', 'datapackage.json');
    return;
  }
  const dp = 'datapackage.json';
  if (datapackage.profile !== 'data-package') problem('datapackage', 'profile is not "data-package"', dp);
  if (typeof datapackage.wacz_version !== 'string') problem('datapackage', 'wacz_version missing', dp);
  else if (!/^1\.\d+\.\d+$/.test(datapackage.wacz_version))
    problem('datapackage', `unknown wacz_version ${datapackage.wacz_version}`, dp);
  if (typeof datapackage.created !== 'string' || Number.isNaN(Date.parse(datapackage.created))) {
    problem('datapackage', 'created is not an ISO date', dp);
  }
  if (typeof datapackage.software !== 'string') problem('datapackage', 'software missing', dp);
  const resources = Array.isArray(datapackage.resources)
    ? (datapackage.resources as Record<string, unknown>[])
    : [];
  if (!Array.isArray(datapackage.resources)) problem('datapackage', 'resources is not a list', dp);
  const listed = new Set<string>();
  for (const resource of resources) {
    const { name, path, hash, bytes } = resource;
    if (
      typeof path !== 'string' ||
      typeof hash !== 'string' ||
      typeof bytes !== 'number' ||
      typeof name !== 'string'
    ) {
      problem(
        'datapackage',
        `resource ${JSON.stringify(resource).slice(0, 80)} needs name, path, hash, bytes`,
        dp,
      );
      continue;
    }
    if (!/^[-a-z0-9._/]+$/.test(name))
      problem('datapackage', `resource name ${name} is not lowercase [-a-z0-9._/]`, dp);
    if (!/^sha256:[0-9a-f]{64}$/.test(hash))
      problem('datapackage', `resource ${path} hash is not sha256:<hex>`, dp);
    listed.add(path);
    const entry = byPath.get(path);
    if (!entry) {
      problem('missing-resource', `${path} is listed in datapackage.json but not in the zip`, path);
      continue;
    }
    const actual = await hashEntry(zip, entry);
    if (actual.hash !== hash)
      problem('resource-hash', `${path} hashes to ${actual.hash}, datapackage.json says ${hash}`, path);
    if (actual.bytes !== bytes)
      problem('resource-bytes', `${path} is ${actual.bytes} bytes, datapackage.json says ${bytes}`, path);
  }
  for (const path of paths) {
    if (path !== 'datapackage.json' && path !== 'datapackage-digest.json' && !listed.has(path)) {
      problem('unlisted-file', `${path} is not listed in datapackage.json resources`, path);
    }
  }

  // datapackage-digest.json and its signature.
  const digestEntry = byPath.get('datapackage-digest.json');
  if (digestEntry) {
    const dd = 'datapackage-digest.json';
    let digest: Record<string, unknown> | undefined;
    try {
      digest = JSON.parse((await readAll(zip, digestEntry)).toString('utf8')) as Record<string, unknown>;
    } catch {
      problem('digest', 'datapackage-digest.json is not JSON', dd);
    }
    if (digest) {
      if (digest.path !== 'datapackage.json') problem('digest', 'path is not "datapackage.json"', dd);
      if (digest.hash !== datapackageHash)
        problem('digest', `hash ${String(digest.hash)} is not datapackage.json's ${datapackageHash}`, dd);
      const signed = digest.signedData;
      if (signed && typeof signed === 'object') {
        await checkSignature(
          signed as Record<string, unknown>,
          datapackageHash,
          datapackage.created,
          options,
          problem,
        );
      } else if (options.requireSignature) problem('signature', 'no signedData', dd);
    }
  }

  // The CDXJ index: syntax, order, and every record it points at.
  const index: Cdxj[] = [];
  if (indexPath) {
    const raw = await readAll(zip, byPath.get(indexPath) as Entry);
    const text = (indexPath.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    if (lines.length > MAX_INDEX_LINES)
      problem('cdxj-syntax', `more than ${MAX_INDEX_LINES} lines`, indexPath);
    let previous: Buffer | undefined;
    for (const [i, line] of lines.slice(0, MAX_INDEX_LINES).entries()) {
      const at = `${indexPath} line ${i + 1}`;
      const current = Buffer.from(line);
      if (previous && Buffer.compare(previous, current) > 0)
        problem('cdxj-order', `${at} sorts before the line above it`, indexPath);
      previous = current;
      const match = CDXJ_LINE.exec(line);
      if (!match) {
        problem('cdxj-syntax', `${at} is not "key timestamp {json}"`, indexPath);
        continue;
      }
      try {
        const fields = JSON.parse(match[3] as string) as Record<string, unknown>;
        index.push({ line: i + 1, key: match[1] as string, timestamp: match[2] as string, fields });
      } catch {
        problem('cdxj-syntax', `${at} has invalid JSON`, indexPath);
      }
    }
    const seen: IndexedRecord[] = [];
    for (const entry of index) {
      const record = await checkIndexedRecord(zip, byPath, entry, indexPath, problem);
      if (record) seen.push(record);
    }
    // Every revisit (identical-payload-digest) must name a response in the package with its URL, date and payload.
    const originals = new Set(
      seen.filter((r) => r.type === 'response').map((r) => `${r.url} ${r.date} ${r.payloadDigest}`),
    );
    for (const revisit of seen.filter((r) => r.type === 'revisit')) {
      const { refersTo } = revisit;
      if (!refersTo || !originals.has(`${refersTo.url} ${refersTo.date} ${revisit.payloadDigest}`))
        problem(
          'revisit-unresolved',
          `revisit of ${revisit.url} refers to ${refersTo?.url ?? 'nothing'} at ${refersTo?.date ?? '?'} with payload ${revisit.payloadDigest}: no such response in the package`,
          indexPath,
        );
    }
  }

  // pages.jsonl: the header line, then pages each found in the index by URL and timestamp.
  const pagesEntry = byPath.get('pages/pages.jsonl');
  if (pagesEntry) {
    const pp = 'pages/pages.jsonl';
    const lines = (await readAll(zip, pagesEntry))
      .toString('utf8')
      .split('\n')
      .filter((line) => line.trim() !== '');
    const indexed = new Set(index.map((entry) => `${entry.timestamp} ${String(entry.fields.url)}`));
    for (const [i, line] of lines.entries()) {
      let page: Record<string, unknown>;
      try {
        page = JSON.parse(line) as Record<string, unknown>;
      } catch {
        problem('pages', `line ${i + 1} is not JSON`, pp);
        continue;
      }
      if (i === 0) {
        if (page.format !== 'json-pages-1.0')
          problem('pages', 'first line is not the json-pages-1.0 header', pp);
        continue;
      }
      if (typeof page.url !== 'string' || typeof page.ts !== 'string' || Number.isNaN(Date.parse(page.ts))) {
        problem('pages', `line ${i + 1} needs url and an ISO ts`, pp);
        continue;
      }
      if (typeof page.id !== 'string') problem('pages', `line ${i + 1} has no id`, pp);
      const ts = new Date(page.ts).toISOString().replace(/\D/g, '').slice(0, 14);
      if (!indexed.has(`${ts} ${page.url}`))
        problem('page-not-indexed', `page ${page.url} at ${page.ts} is not in the index`, pp);
    }
  }
}

interface IndexedRecord {
  type: string;
  url: string;
  date: string;
  payloadDigest?: string;
  /** A revisit's WARC-Refers-To-Target-URI and WARC-Refers-To-Date (14 digits). */
  refersTo?: { url: string; date: string };
}

async function checkIndexedRecord(
  zip: ZipFile,
  byPath: Map<string, Entry>,
  entry: Cdxj,
  indexPath: string,
  problem: (code: WaczProblemCode, message: string, path?: string) => void,
): Promise<IndexedRecord | undefined> {
  const at = `${indexPath} line ${entry.line}`;
  const { url, filename, digest, status } = entry.fields;
  const offset = Number(entry.fields.offset);
  const length = Number(entry.fields.length);
  if (
    typeof url !== 'string' ||
    typeof filename !== 'string' ||
    !Number.isInteger(offset) ||
    !Number.isInteger(length)
  ) {
    problem('cdxj-syntax', `${at} needs url, filename, offset and length`, indexPath);
    return undefined;
  }
  const warc = byPath.get(`archive/${filename}`);
  if (!warc) {
    problem('cdxj-record', `${at} names ${filename}, not in archive/`, indexPath);
    return undefined;
  }
  if (offset < 0 || length <= 0 || length > MAX_RECORD_BYTES || offset + length > warc.uncompressedSize) {
    problem('cdxj-record', `${at}: offset ${offset} + length ${length} is outside ${filename}`, indexPath);
    return undefined;
  }
  let bytes: Buffer;
  try {
    // A stored entry is read by range, as a replay tool would; a deflated one (already a problem) only whole.
    const slice =
      warc.compressionMethod === 0
        ? await readAll(zip, warc, { start: offset, end: offset + length })
        : (await readAll(zip, warc)).subarray(offset, offset + length);
    bytes = filename.endsWith('.gz') ? gunzipSync(slice) : slice;
  } catch (error) {
    problem(
      'cdxj-record',
      `${at}: no gzip member at offset ${offset} length ${length} (${(error as Error).message})`,
      indexPath,
    );
    return undefined;
  }
  const record = parseSingleRecord(bytes);
  if (typeof record === 'string') {
    problem('cdxj-record', `${at}: ${record}`, indexPath);
    return undefined;
  }
  const target = record.headers.get('warc-target-uri')?.replace(/^<|>$/g, '');
  if (target !== url) problem('cdxj-url', `${at}: record is for ${target}, index says ${url}`, indexPath);
  const date = (record.headers.get('warc-date') ?? '').replace(/\D/g, '').slice(0, 14);
  if (date !== entry.timestamp)
    problem('cdxj-timestamp', `${at}: record dated ${date}, index says ${entry.timestamp}`, indexPath);
  const blockDigest = record.headers.get('warc-block-digest');
  if (blockDigest?.startsWith('sha256:') && sha256(record.block) !== blockDigest) {
    problem('cdxj-digest', `${at}: block does not hash to WARC-Block-Digest`, indexPath);
  }
  const payloadDigest = record.headers.get('warc-payload-digest');
  const type = record.headers.get('warc-type');
  let statusCode: number | undefined;
  if (type === 'response' || type === 'revisit') {
    const httpEnd = record.block.indexOf('\r\n\r\n');
    const statusLine = record.block.subarray(0, Math.max(0, record.block.indexOf('\r\n'))).toString('latin1');
    statusCode = Number(/^HTTP\/\d(?:\.\d)? (\d{3})/.exec(statusLine)?.[1]);
    if (type === 'response' && httpEnd >= 0 && payloadDigest?.startsWith('sha256:')) {
      if (sha256(record.block.subarray(httpEnd + 4)) !== payloadDigest) {
        problem('cdxj-digest', `${at}: payload does not hash to WARC-Payload-Digest`, indexPath);
      }
    }
  }
  if (typeof digest === 'string' && (!payloadDigest || withPrefix(digest) !== withPrefix(payloadDigest))) {
    problem(
      'cdxj-digest',
      `${at}: index digest ${digest} is not the record's WARC-Payload-Digest ${payloadDigest}`,
      indexPath,
    );
  }
  if (status !== undefined && status !== '' && Number(status) !== statusCode) {
    problem('cdxj-status', `${at}: index status ${String(status)}, record ${statusCode}`, indexPath);
  }
  const refersUrl = record.headers.get('warc-refers-to-target-uri')?.replace(/^<|>$/g, '');
  const refersDate = record.headers.get('warc-refers-to-date')?.replace(/\D/g, '').slice(0, 14);
  return {
    type: type ?? '',
    url: target ?? '',
    date,
    ...(payloadDigest ? { payloadDigest: withPrefix(payloadDigest) } : {}),
    ...(refersUrl && refersDate ? { refersTo: { url: refersUrl, date: refersDate } } : {}),
  };
}
