import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipFile } from 'yazl';
import { WaczBuildError } from '../domain/errors.js';
import { type CdxjEntry, cdxjIndex, indexWarc } from './wacz-index.js';
import { signWaczHash, type WaczSignedData, type WaczSigningKey } from './wacz-sign.js';

export const WACZ_VERSION = '1.1.1';

/** A gzipped WARC (one gzip member per record). `open` is called twice (index, then zip): each call returns the same bytes from the start. */
export interface WaczWarcInput {
  /** File name inside `archive/`, ending `.warc.gz`. */
  name: string;
  open(): AsyncIterable<Uint8Array>;
}

export interface WaczPageInput {
  /** Stable id; defaults to a hash of url and ts. */
  id?: string;
  /** The URL as archived (a WARC-Target-URI of a response or revisit record). */
  url: string;
  /** ISO 8601; its first 14 digits must match the record's WARC-Date. */
  ts: string;
  title?: string;
  text?: string;
}

/** An extra file, e.g. `redline/manifests/<id>.json` or a timestamp token, kept in its own folder. */
export interface WaczExtraFile {
  path: string;
  bytes: Uint8Array;
}

export interface WaczInput {
  title: string;
  /** ISO 8601; also every zip entry's date, so the same input gives the same bytes. */
  created: string;
  software: string;
  warcs: WaczWarcInput[];
  pages: WaczPageInput[];
  /** Defaults to the last page. */
  mainPage?: { url: string; ts: string };
  extras?: WaczExtraFile[];
  description?: string;
  /** Sign datapackage.json's hash (anonymous ECDSA P-256, WACZ auth spec). */
  sign?: WaczSigningKey;
}

export interface WaczResource {
  name: string;
  path: string;
  hash: string;
  bytes: number;
}

export interface WaczSummary {
  resources: WaczResource[];
  /** `sha256:<hex>` of datapackage.json. */
  datapackageHash: string;
  signedData?: WaczSignedData;
  indexLines: number;
  records: number;
}

export const MAX_WARCS = 10_000;
export const MAX_PAGES = 100_000;
export const MAX_EXTRAS = 10_000;
const RESERVED_FOLDERS = ['archive/', 'indexes/', 'pages/'];
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

function resourceName(path: string): string {
  return path.toLowerCase().replace(/[^-a-z0-9._/]/g, '-');
}

function checkExtraPath(path: string): void {
  const parts = path.split('/');
  const folderOk = parts.length >= 2 && !RESERVED_FOLDERS.some((folder) => path.startsWith(folder));
  if (!folderOk || !parts.every((part) => SAFE_NAME.test(part))) {
    throw new WaczBuildError(
      `extra file ${path} must sit in its own folder (not archive/, indexes/, pages/) with plain names`,
    );
  }
}

function pageId(page: WaczPageInput): string {
  return page.id ?? createHash('sha256').update(`${page.url} ${page.ts}`).digest('hex').slice(0, 32);
}

function tsDigits(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) throw new WaczBuildError(`bad timestamp ${iso}`);
  return date
    .toISOString()
    .replace(/[^0-9]/g, '')
    .slice(0, 14);
}

function pagesJsonl(pages: WaczPageInput[]): Uint8Array {
  const lines = [JSON.stringify({ format: 'json-pages-1.0', id: 'pages', title: 'All Pages' })];
  for (const page of pages) {
    const line: Record<string, string> = {
      id: pageId(page),
      url: page.url,
      ts: new Date(page.ts).toISOString(),
    };
    if (page.title !== undefined) line.title = page.title;
    if (page.text !== undefined) line.text = page.text;
    lines.push(JSON.stringify(line));
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

function checkPagesIndexed(pages: WaczPageInput[], entries: CdxjEntry[]): void {
  const replayable = new Set(
    entries
      .filter((e) => e.warcType === 'response' || e.warcType === 'revisit')
      .map((e) => `${e.timestamp} ${e.url}`),
  );
  for (const page of pages) {
    if (!replayable.has(`${tsDigits(page.ts)} ${page.url}`)) {
      throw new WaczBuildError(
        `page ${page.url} at ${page.ts} has no response or revisit record in the WARCs`,
      );
    }
  }
}

function checkInput(input: WaczInput): void {
  if (input.warcs.length === 0) throw new WaczBuildError('a WACZ needs at least one WARC');
  if (input.warcs.length > MAX_WARCS) throw new WaczBuildError(`more than ${MAX_WARCS} WARCs`);
  if (input.pages.length > MAX_PAGES) throw new WaczBuildError(`more than ${MAX_PAGES} pages`);
  if ((input.extras?.length ?? 0) > MAX_EXTRAS)
    throw new WaczBuildError(`more than ${MAX_EXTRAS} extra files`);
  if (Number.isNaN(new Date(input.created).getTime()))
    throw new WaczBuildError(`bad created date ${input.created}`);
  const names = new Set<string>();
  for (const warc of input.warcs) {
    if (!SAFE_NAME.test(warc.name) || !warc.name.endsWith('.warc.gz')) {
      throw new WaczBuildError(`WARC name ${warc.name} must be a plain file name ending .warc.gz`);
    }
    if (names.has(warc.name)) throw new WaczBuildError(`WARC name ${warc.name} given twice`);
    names.add(warc.name);
  }
  const extraPaths = new Set<string>();
  for (const extra of input.extras ?? []) {
    checkExtraPath(extra.path);
    if (extraPaths.has(extra.path)) throw new WaczBuildError(`extra file ${extra.path} given twice`);
    extraPaths.add(extra.path);
  }
}

/**
 * Writes a WACZ 1.1.1 to `out`: the WARCs stored (not deflated) under `archive/`, a bytewise-sorted CDXJ
 * index, pages, extras, datapackage.json and datapackage-digest.json (signed when `sign` is given).
 * Memory stays bounded by the index and one WARC chunk at a time; each WARC is read twice.
 * The same input gives byte-identical output.
 */
export async function buildWacz(input: WaczInput, out: Writable): Promise<WaczSummary> {
  checkInput(input);
  const created = new Date(input.created).toISOString();
  const mtime = new Date(created);
  const entries: CdxjEntry[] = [];
  const resources: WaczResource[] = [];
  let records = 0;
  for (const warc of input.warcs) {
    const indexed = await indexWarc(warc.name, warc.open());
    entries.push(...indexed.entries);
    records += indexed.records;
    const path = `archive/${warc.name}`;
    resources.push({ name: resourceName(path), path, hash: indexed.hash, bytes: indexed.bytes });
  }
  checkPagesIndexed(input.pages, entries);

  const buffers: { path: string; bytes: Uint8Array }[] = [
    { path: 'indexes/index.cdx', bytes: cdxjIndex(entries) },
    { path: 'pages/pages.jsonl', bytes: pagesJsonl(input.pages) },
    ...(input.extras ?? []),
  ];
  for (const file of buffers) {
    resources.push({
      name: resourceName(file.path),
      path: file.path,
      hash: sha256(file.bytes),
      bytes: file.bytes.byteLength,
    });
  }

  const main = input.mainPage ?? input.pages.at(-1);
  const datapackage: Record<string, unknown> = {
    profile: 'data-package',
    wacz_version: WACZ_VERSION,
    title: input.title,
    ...(input.description ? { description: input.description } : {}),
    created,
    software: input.software,
    ...(main ? { mainPageUrl: main.url, mainPageDate: new Date(main.ts).toISOString() } : {}),
    resources,
  };
  const datapackageBytes = Buffer.from(`${JSON.stringify(datapackage, null, 2)}\n`);
  const datapackageHash = sha256(datapackageBytes);
  const signedData = input.sign
    ? signWaczHash(datapackageHash, created, input.software, input.sign)
    : undefined;
  const digest = { path: 'datapackage.json', hash: datapackageHash, ...(signedData ? { signedData } : {}) };

  const zip = new ZipFile();
  const options = { mtime, mode: 0o100644, compress: false };
  for (const [i, warc] of input.warcs.entries()) {
    const size = resources[i]?.bytes ?? 0;
    zip.addReadStreamLazy(`archive/${warc.name}`, { ...options, size }, (callback) =>
      callback(null, Readable.from(warc.open(), { objectMode: false })),
    );
  }
  for (const file of buffers) zip.addBuffer(Buffer.from(file.bytes), file.path, options);
  zip.addBuffer(datapackageBytes, 'datapackage.json', options);
  zip.addBuffer(Buffer.from(`${JSON.stringify(digest, null, 2)}\n`), 'datapackage-digest.json', options);
  zip.end();
  try {
    await pipeline(zip.outputStream, out);
  } catch (cause) {
    throw new WaczBuildError('writing the WACZ failed (did a WARC change between its two reads?)', { cause });
  }
  return { resources, datapackageHash, signedData, indexLines: entries.length, records };
}

/** The WACZ in memory (tests, small exports). */
export async function buildWaczBytes(input: WaczInput): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  await buildWacz(input, sink);
  return Buffer.concat(chunks);
}
