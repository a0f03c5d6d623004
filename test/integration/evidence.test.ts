import { execFile } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ArticleState,
  articlePage,
  EDITED,
  type NewsSite,
  ORIGINAL,
  startNewsSite,
} from '../../demo/news-site.js';
import { HttpTimestampAuthority } from '../../functions/adapters/tsa/http-tsa.js';
import { captureWatch } from '../../functions/core/capture/capture.js';
import { loadPdfJs } from '../../functions/core/detect/pdf.js';
import {
  BlobIntegrityError,
  InvalidInputError,
  VersionNotFoundError,
  WatchNotFoundError,
} from '../../functions/core/domain/errors.js';
import type { VersionRecord } from '../../functions/core/domain/model.js';
import { DEFAULT_EVIDENCE_OPTIONS } from '../../functions/core/domain/options.js';
import {
  buildEvidence,
  EvidenceLimitError,
  EvidenceRangeError,
} from '../../functions/core/proof/evidence.js';
import { parsePemCertificates } from '../../functions/core/proof/timestamp.js';
import { addWatch } from '../../functions/core/watches/watches.js';
import { runRedline } from '../support/cli.js';
import { memoryCaptureDeps } from '../support/memory.js';
import { memorySink } from '../support/sink.js';
import { startTestTsa, type TestTsa } from '../support/test-tsa.js';
import { validateWacz } from '../support/wacz-validator.js';
import { unzip } from '../support/zip.js';

/**
 * Evidence bundles (`buildEvidence`, `redline evidence`) checked as someone without Redline would: unzipped
 * with an independent reader, then `sha256sum -c`, `openssl ts -verify` against the bundled TSA roots,
 * the independent WACZ validator, and the report read back with pdf.js.
 */

const run = promisify(execFile);
const URL_A = 'https://news.example/2026/11/24/flood-barrier';
const THIRD: ArticleState = {
  headline: 'Riverfront flood barrier approved; mayor to sign next month',
  paragraphs: [...EDITED.paragraphs.slice(0, 5), 'The mayor will sign the measure next month.'],
};
const STATES = [ORIGINAL, EDITED, THIRD];
/** Control characters, bidi overrides, zero-width joiners, emoji, CJK, a lone surrogate, HTML. */
const HOSTILE_TITLE =
  'Bell\u0007 NUL\u0000 \u202Eevil override\u202C \u200Fمرحبا\u200E 漢字テスト 🎉👩‍👩‍👧 \ud800 <script>alert(1)</script> & "quotes" \r\n\tend';

let tsa: TestTsa;
beforeAll(async () => {
  tsa = await startTestTsa();
});
afterAll(async () => {
  await tsa?.close();
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function unzipTo(bytes: Uint8Array, dir: string): Promise<Map<string, Buffer>> {
  const files = await unzip(bytes);
  for (const [name, content] of files) {
    expect(name).not.toMatch(/^\/|\.\./);
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return files;
}

/** The text of each page of a PDF, read with pdf.js. */
async function pdfPages(bytes: Uint8Array): Promise<string[]> {
  const { getDocument } = await loadPdfJs();
  const doc = await getDocument({ data: new Uint8Array(bytes), verbosity: 0, isEvalSupported: false })
    .promise;
  const pages: string[] = [];
  for (let p = 1; p <= doc.numPages; p++) {
    const content = await (await doc.getPage(p)).getTextContent();
    let text = '';
    for (const item of content.items as { str?: string; hasEOL?: boolean }[])
      text += (item.str ?? '') + (item.hasEOL ? '\n' : '');
    pages.push(text);
  }
  await doc.destroy();
  return pages;
}

async function pdfText(bytes: Uint8Array): Promise<string> {
  return (await pdfPages(bytes)).map((page) => `${page}\n`).join('');
}

/** Three versions of URL_A by the real capture pipeline (in-memory ports), each stamped by the test TSA. */
async function stampedArchive() {
  const env = memoryCaptureDeps(new Date());
  const authority = new HttpTimestampAuthority({ url: tsa.url, roots: parsePemCertificates(tsa.rootPem) });
  const deps = { ...env.deps, timestamps: [authority] };
  const { watch } = await addWatch(deps, { url: URL_A, cadenceSeconds: 900, mode: 'auto', tags: [] });
  for (const [i, state] of STATES.entries()) {
    deps.fetcher.pages.set(URL_A, { body: articlePage(state, i + 1) });
    env.advance(15);
    const result = await captureWatch(deps, (await env.catalog.getWatch(watch.id))!);
    expect(result.capture.version).toBe(i + 1);
  }
  const versions = await env.catalog.listVersions(watch.id);
  return { ...env, deps, watchId: watch.id, versions };
}

/** Every digest the report must name: artifacts, text hashes, manifests. */
function digestsOf(versions: VersionRecord[], sides: number[]): string[] {
  const out: string[] = [];
  for (const v of versions) {
    if (v.manifest) out.push(v.manifest.digest);
    if (sides.includes(v.number)) {
      out.push(v.textHash);
      for (const ref of Object.values(v.artifacts)) out.push(ref.digest);
    }
  }
  return out;
}

describe('buildEvidence', { timeout: 180_000 }, () => {
  it('bundles two versions, the chain between them, the tokens, the WACZ and a report that names every digest', async () => {
    const { deps, versions, catalog, watchId } = await stampedArchive();
    // A hostile title, as a page could set it: the report must show it escaped, and the PDF must not break.
    catalog.versions.get(`${watchId}#3`)!.title = HOSTILE_TITLE;
    const { sink, bytes } = memorySink();
    const summary = await buildEvidence(deps, URL_A, { from: 1, to: 3, tsaCaPem: tsa.rootPem }, sink);
    const zip = bytes();
    expect(summary).toMatchObject({
      from: 1,
      to: 3,
      manifests: 3,
      tokens: 3,
      wacz: true,
      tokensChecked: true,
      notes: [],
    });
    const rootFingerprint = new X509Certificate(tsa.rootPem).fingerprint256.replace(/:/g, '').toLowerCase();
    expect(summary.bytes).toBe(zip.byteLength);
    expect(summary.sha256).toBe(`sha256:${sha256(zip)}`);

    const files = await unzip(zip);
    const names = [...files.keys()];
    expect(names).toEqual(
      expect.arrayContaining([
        'before/response-body.html',
        'before/rendered.html',
        'before/rendered.pdf',
        'before/screenshot.png',
        'before/text.txt',
        'before/provenance.json',
        'before/payloads.json',
        'after/response-body.html',
        'after/rendered.html',
        'after/rendered.pdf',
        'after/screenshot.png',
        'after/text.txt',
        'after/payloads.json',
        'after/diff-from-version-2.html',
        'diff.html',
        'chain/000001.json',
        'chain/000002.json',
        'chain/000003.json',
        'tokens/000001-1.tst',
        'tokens/000002-1.tst',
        'tokens/000003-1.tst',
        'tsa-ca.pem',
        'archive.wacz',
        'report.html',
        'report.pdf',
        'verify.sh',
        'SHA256SUMS',
      ]),
    );
    expect(`sha256:${sha256(files.get('after/payloads.json')!)}`).toBe(
      versions[2]!.artifacts.payloads!.digest,
    );
    // Artifacts and manifests byte for byte as stored.
    const [v1, v2, v3] = versions as [VersionRecord, VersionRecord, VersionRecord];
    expect(`sha256:${sha256(files.get('before/rendered.html')!)}`).toBe(v1.artifacts.rendered!.digest);
    expect(`sha256:${sha256(files.get('after/text.txt')!)}`).toBe(v3.artifacts.text!.digest);
    for (const v of [v1, v2, v3])
      expect(`sha256:${sha256(files.get(`chain/00000${v.number}.json`)!)}`).toBe(v.manifest!.digest);
    expect(`sha256:${sha256(files.get('tokens/000002-1.tst')!)}`).toBe(v2.timestamps![0]!.token.digest);
    // SHA256SUMS lists every other file, GNU format.
    const sums = files.get('SHA256SUMS')!.toString('utf8').trim().split('\n');
    expect(sums.map((l) => l.slice(66)).sort()).toEqual(names.filter((n) => n !== 'SHA256SUMS').sort());
    for (const line of sums) {
      expect(line).toMatch(/^[0-9a-f]{64} {2}\S+$/);
      expect(sha256(files.get(line.slice(66))!)).toBe(line.slice(0, 64));
    }
    expect(await validateWacz(files.get('archive.wacz')!)).toEqual([]);

    // The report, in HTML and PDF: the URL, every digest, the commands; the hostile title escaped.
    const html = files.get('report.html')!.toString('utf8');
    const pdf = await pdfText(files.get('report.pdf')!);
    const commands = [
      'sha256sum -c SHA256SUMS',
      'openssl ts -verify -data chain/000001.json -in tokens/000001-1.tst -token_in -CAfile tsa-ca.pem',
      'openssl ts -verify -data chain/000002.json -in tokens/000002-1.tst -token_in -CAfile tsa-ca.pem',
      'openssl ts -verify -data chain/000003.json -in tokens/000003-1.tst -token_in -CAfile tsa-ca.pem',
      'wacz validate --file archive.wacz',
      'jq -cSj . chain/000001.json | sha256sum',
    ];
    for (const text of [html, pdf.replace(/\s+/g, ' ')]) {
      expect(text).toContain(URL_A);
      for (const digest of digestsOf(versions, [1, 3])) expect(text).toContain(digest);
      for (const v of [v1, v3]) {
        expect(text).toContain(v.captureId);
        expect(text).toContain(v.capturedAt);
      }
      expect(text).toContain(v2.timestamps![0]!.tsa);
      expect(text).toContain('checked at export');
      // Every digest a version record names is in the bundle: nothing is listed as absent.
      expect(text).not.toContain('not included in this bundle');
      expect(text).not.toContain('not in this bundle');
      // The trust model: the bundled root is only what Redline was configured with; its fingerprint to compare.
      expect(text).toContain('tsa-ca.pem is the root certificate Redline was configured with');
      expect(text).toContain(rootFingerprint);
      expect(text).toContain('the files match each other and the list');
      expect(text).toContain('existed no later than genTime');
      // The times of a capture, each named for what it is.
      expect(text).toContain('Capture started');
      expect(text).toContain('Version recorded');
      expect(text).toContain('WARC-Date');
    }
    for (const command of commands) {
      expect(html).toContain(command);
      expect(pdf).toContain(command);
    }
    expect(html).not.toContain('<script>');
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;U+202E&gt;evil override&lt;U+202C&gt;');
    expect(html).toContain('漢字テスト 🎉');
    expect(html).not.toContain('\u0007');
    expect(html).not.toContain('\u202E');
    // The PDF shows what WinAnsi can, names the invisible characters, and replaces the rest.
    expect(pdf).toContain('Bell<U+0007> NUL<U+0000> <U+202E>evil override<U+202C>');
    expect(pdf).toContain('<script>alert(1)</script>');
    const diffHtml = files.get('diff.html')!.toString('utf8');
    expect(diffHtml).not.toMatch(/<script/i);
    expect(diffHtml).toContain("default-src 'none'");
  });

  it('says plainly which versions have no manifest or token, and bundles them anyway', async () => {
    const { deps, catalog, watchId } = await stampedArchive();
    const v2 = catalog.versions.get(`${watchId}#2`)!;
    delete v2.manifest;
    delete v2.timestamps;
    const v3 = catalog.versions.get(`${watchId}#3`)!;
    delete v3.timestamps;
    // And no later capture holds a retried token for them.
    for (const capture of catalog.captures.values()) delete capture.timestamps;
    const { sink, bytes } = memorySink();
    const summary = await buildEvidence(deps, URL_A, { from: 1, to: 3 }, sink);
    expect(summary.tokensChecked).toBe(false);
    expect(summary.manifests).toBe(2);
    expect(summary.tokens).toBe(1);
    expect(summary.notes).toEqual(
      expect.arrayContaining(['version 2: no manifest', 'version 3: no timestamp token']),
    );
    const files = await unzip(bytes());
    expect(files.has('chain/000002.json')).toBe(false);
    expect(files.has('tsa-ca.pem')).toBe(false);
    const html = files.get('report.html')!.toString('utf8');
    expect(html).toContain('No manifest for version 2');
    expect(html).toContain('No timestamp token for version 3');
    expect(html).toContain('No tsa-ca.pem');
    expect(html).toContain('not checked (no TSA roots configured)');
    expect(await pdfText(files.get('report.pdf')!)).toContain('No manifest for version 2');
  });

  it('reports a token that does not stamp its manifest (swapped) as failed, and bundles it for anyone to check', async () => {
    const { deps, catalog, watchId } = await stampedArchive();
    const v1 = catalog.versions.get(`${watchId}#1`)!;
    const v3 = catalog.versions.get(`${watchId}#3`)!;
    v3.timestamps = v1.timestamps;
    for (const capture of catalog.captures.values()) delete capture.timestamps;
    const { sink, bytes } = memorySink();
    const summary = await buildEvidence(deps, URL_A, { from: 2, to: 3, tsaCaPem: tsa.rootPem }, sink);
    expect(summary.notes).toEqual([
      expect.stringMatching(/^version 3: token tokens\/000003-1\.tst failed its check: imprint: /),
    ]);
    const files = await unzip(bytes());
    const html = files.get('report.html')!.toString('utf8');
    expect(html).toContain('(NOT the manifest digest)');
    expect(html).toMatch(/FAILED: imprint/);
    expect(await pdfText(files.get('report.pdf')!)).toContain('FAILED: imprint');
  });

  it('refuses what it cannot bundle, with named errors, before writing anything', async () => {
    const { deps, catalog, watchId, versions } = await stampedArchive();
    const attempt = async (url: string, options: Parameters<typeof buildEvidence>[2]) => {
      const { sink, bytes } = memorySink();
      const error = await buildEvidence(deps, url, options, sink).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(bytes().byteLength).toBe(0);
      return error;
    };
    expect(await attempt('https://news.example/never', {})).toBeInstanceOf(WatchNotFoundError);
    expect(await attempt(URL_A, { from: 1, to: 9 })).toMatchObject({ problem: 'beyond', to: 9, latest: 3 });
    expect(await attempt(URL_A, { to: 9 })).toBeInstanceOf(EvidenceRangeError);
    expect(await attempt(URL_A, { from: 5 })).toMatchObject({ problem: 'reversed', from: 5, to: 3 });
    const reversed = await attempt(URL_A, { from: 3, to: 1 });
    expect(reversed).toBeInstanceOf(InvalidInputError);
    expect(reversed).toMatchObject({ problem: 'reversed', from: 3, to: 1 });
    const span = await attempt(URL_A, { from: 1, to: 3, limits: { maxVersions: 2 } });
    expect(span).toBeInstanceOf(EvidenceLimitError);
    expect(span).toMatchObject({ limit: 'versions', value: 3, max: 2 });
    const size = await attempt(URL_A, { from: 1, to: 3, limits: { maxBytes: 10_000 } });
    expect(size).toMatchObject({ limit: 'bytes', max: 10_000 });
    expect((size as Error).message).toContain('narrower range');
    // A stored artifact that is not its digest's bytes: the named integrity error, no bundle.
    const digest = versions[2]!.artifacts.screenshot!.digest;
    const stored = deps.blobs.blobs.get(digest)!;
    deps.blobs.blobs.set(
      digest,
      Uint8Array.from(stored, (b, i) => (i === 0 ? b ^ 1 : b)),
    );
    const corrupt = await attempt(URL_A, { from: 1, to: 3 });
    expect(corrupt).toBeInstanceOf(BlobIntegrityError);
    expect(corrupt).toMatchObject({ digest });
    // By default: the latest version against the one before.
    deps.blobs.blobs.set(digest, stored);
    const { sink } = memorySink();
    expect(await buildEvidence(deps, URL_A, {}, sink)).toMatchObject({ from: 2, to: 3 });
    // A missing version inside the range is named.
    catalog.versions.delete(`${watchId}#2`);
    expect(await attempt(URL_A, { from: 2, to: 3 })).toBeInstanceOf(VersionNotFoundError);
  });

  it('bundles one version alone: version/, its manifest and tokens, its WACZ, the report, no diff', async () => {
    const { deps, versions, catalog, watchId } = await stampedArchive();
    const [v1, v2] = versions as [VersionRecord, VersionRecord];
    // to=1 alone: version 1 (there is none before it); to=2 alone: 1 against 2.
    expect(await buildEvidence(deps, URL_A, { to: 2 }, memorySink().sink)).toMatchObject({ from: 1, to: 2 });
    const { sink, bytes } = memorySink();
    const summary = await buildEvidence(deps, URL_A, { to: 1, tsaCaPem: tsa.rootPem }, sink);
    expect(summary).toMatchObject({ from: 1, to: 1, manifests: 1, tokens: 1, wacz: true, notes: [] });
    const files = await unzip(bytes());
    const names = [...files.keys()];
    expect(names.filter((n) => /^(before|after|diff)/.test(n))).toEqual([]);
    expect(names).toEqual(
      expect.arrayContaining([
        'version/rendered.html',
        'version/text.txt',
        'version/provenance.json',
        'version/payloads.json',
        'version/version-record.json',
        'chain/000001.json',
        'tokens/000001-1.tst',
        'tsa-ca.pem',
        'archive.wacz',
        'report.html',
        'report.pdf',
        'verify.sh',
        'SHA256SUMS',
      ]),
    );
    expect(names.filter((n) => n.startsWith('chain/') || n.startsWith('tokens/'))).toHaveLength(2);
    expect(`sha256:${sha256(files.get('version/text.txt')!)}`).toBe(v1.artifacts.text!.digest);
    expect(await validateWacz(files.get('archive.wacz')!)).toEqual([]);
    const html = files.get('report.html')!.toString('utf8');
    expect(html).toContain('The version: version 1 (version/)');
    expect(html).not.toContain('Changes, version');
    for (const digest of digestsOf([v1], [1])) expect(html).toContain(digest);
    expect(html).not.toContain(v2.manifest!.digest);
    // from = to names the same: a later version alone (its chain link to the one before is named, not bundled).
    const laterZip = memorySink();
    const later = await buildEvidence(deps, URL_A, { from: 2, to: 2, tsaCaPem: tsa.rootPem }, laterZip.sink);
    expect(later).toMatchObject({ from: 2, to: 2, manifests: 1 });
    const dir = await mkdtemp(join(tmpdir(), 'redline-evidence-one-'));
    try {
      await unzipTo(laterZip.bytes(), dir);
      const verified = await run('bash', ['verify.sh'], { cwd: dir });
      expect(verified.stdout).toContain(
        `OK      chain/000002.json previous is ${v1.manifest!.digest} (version 1's manifest per Redline's records; not in this bundle)`,
      );
      expect(verified.stdout).toContain('All checks passed.');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // A watch with one version: its bundle by default.
    catalog.versions.delete(`${watchId}#2`);
    catalog.versions.delete(`${watchId}#3`);
    expect(await buildEvidence(deps, URL_A, {}, memorySink().sink)).toMatchObject({ from: 1, to: 1 });
  });

  it('keeps its limits in the one options module', () => {
    expect(DEFAULT_EVIDENCE_OPTIONS).toEqual({
      maxVersions: 100,
      maxBytes: 256 * 1024 * 1024,
      maxFieldChars: 2_000,
      maxProvenanceEntries: 200,
      maxTokensPerVersion: 20,
    });
  });
});

describe('redline evidence (compiled CLI, real local archive, offline tools)', { timeout: 300_000 }, () => {
  let site: NewsSite;
  let home: string;
  let outDir: string;
  const redline = (args: string[]) =>
    runRedline(args, {
      ...process.env,
      REDLINE_HOME: home,
      REDLINE_ALLOW_PRIVATE_NETWORK: '1',
      REDLINE_TSA_URLS: tsa.url,
      REDLINE_TSA_CA_FILE: tsa.rootPemPath,
    });

  beforeAll(async () => {
    site = await startNewsSite();
    home = await mkdtemp(join(tmpdir(), 'redline-evidence-'));
    outDir = await mkdtemp(join(tmpdir(), 'redline-evidence-out-'));
  });
  afterAll(async () => {
    await site?.close();
    await rm(home, { recursive: true, force: true });
    await rm(outDir, { recursive: true, force: true });
  });

  it('writes a bundle that sha256sum, openssl ts -verify and a WACZ validator accept; exit 2 for unknown watch or version', async () => {
    tsa.behaviour = 'honest';
    const url = site.articleUrl;
    expect((await redline(['watch', 'add', url, '--every', '15m', '--mode', 'http'])).code).toBe(0);
    for (const [i, state] of STATES.entries()) {
      site.setRound(i + 1, state);
      const captured = await redline(['capture', url, '--json']);
      expect(captured.code, captured.stderr).toBe(0);
      expect(JSON.parse(captured.stdout).capture.version).toBe(i + 1);
    }
    const file = join(outDir, 'evidence.zip');
    const made = await redline(['evidence', url, '--from', '1', '--to', '3', '-o', file, '--json']);
    expect(made.code, made.stderr).toBe(0);
    const summary = JSON.parse(made.stdout);
    const zip = await readFile(file);
    expect(summary).toMatchObject({ from: 1, to: 3, manifests: 3, tokens: 3, wacz: true, file });
    expect(summary.sha256).toBe(`sha256:${sha256(zip)}`);

    const dir = join(outDir, 'unzipped');
    const files = await unzipTo(zip, dir);
    const checked = await run('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir });
    expect(checked.stdout.trim().split('\n')).toHaveLength(files.size - 1);
    expect(checked.stdout).not.toMatch(/FAILED/);
    const tokens = [...files.keys()].filter((f) => f.startsWith('tokens/')).sort();
    expect(tokens).toEqual(['tokens/000001-1.tst', 'tokens/000002-1.tst', 'tokens/000003-1.tst']);
    for (const token of tokens) {
      const manifest = `chain/${token.slice('tokens/'.length, 'tokens/'.length + 6)}.json`;
      const { stdout } = await run(
        'openssl',
        ['ts', '-verify', '-data', manifest, '-in', token, '-token_in', '-CAfile', 'tsa-ca.pem'],
        { cwd: dir },
      );
      expect(stdout).toContain('Verification: OK');
    }
    // A token checked against another manifest fails: the check can fail.
    await expect(
      run(
        'openssl',
        [
          'ts',
          '-verify',
          '-data',
          'chain/000001.json',
          '-in',
          tokens[1]!,
          '-token_in',
          '-CAfile',
          'tsa-ca.pem',
        ],
        { cwd: dir },
      ),
    ).rejects.toThrow();
    expect(await validateWacz(join(dir, 'archive.wacz'))).toEqual([]);
    const pages = await pdfPages(files.get('report.pdf')!);
    const pdf = pages.map((page) => `${page}\n`).join('');
    // The commands begin a page, each on lines that paste as they are (the python one over four short lines).
    const commandsPage = pages.find((page) => page.includes('Verify this bundle offline'))!;
    expect(commandsPage.trimStart().startsWith('Verify this bundle offline, without Redline')).toBe(true);
    for (const line of [
      "python3 -c 'import json,sys,hashlib",
      'd = json.load(sys.stdin)',
      'c = json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False)',
      "print(hashlib.sha256(c.encode()).hexdigest())' < chain/000001.json",
      'bash verify.sh',
    ])
      expect(pdf.split('\n').map((l) => l.trim())).toContain(line);
    for (const text of [pdf, files.get('report.html')!.toString('utf8')]) {
      expect(text).toContain(url);
      expect(text).toContain('sha256sum -c SHA256SUMS');
      expect(text).toContain('wacz validate --file archive.wacz');
      for (const token of tokens) expect(text).toContain(`-in ${token} -token_in -CAfile tsa-ca.pem`);
    }

    // verify.sh runs every check: the files, each token, each manifest's digest, canonical form and link.
    const verified = await run('bash', ['verify.sh'], { cwd: dir });
    const oks = verified.stdout.split('\n').filter((l) => l.startsWith('OK '));
    // The files, 3 tokens, 3 manifests × (digest, canonical form), 2 links and the first one's recorded
    // link, and one check per artifact file that the manifests name (not the records).
    const artifactFiles = [...files.keys()].filter(
      (p) => /^(before|after)\//.test(p) && !p.endsWith('-record.json'),
    );
    expect(artifactFiles.length).toBeGreaterThanOrEqual(10);
    expect(oks).toHaveLength(1 + 3 + 3 * 2 + 1 + 2 + artifactFiles.length);
    for (const path of artifactFiles)
      expect(verified.stdout).toMatch(new RegExp(`^OK {6}${path} is the `, 'm'));
    expect(verified.stdout).toContain('OK      token tokens/000002-1.tst stamps chain/000002.json');
    expect(verified.stdout).toContain('OK      chain/000003.json previous is chain/000002.json');
    expect(verified.stdout).toContain('All checks passed.');
    // Against another root (here: not a certificate at all), every token check fails, and the script says so.
    const otherRoot = await run('bash', ['verify.sh'], {
      cwd: dir,
      env: { ...process.env, TSA_ROOT: 'chain/000001.json' },
    }).then(
      () => undefined,
      (e: { code: number; stdout: string }) => e,
    );
    expect(otherRoot?.code).toBe(1);
    expect(otherRoot?.stdout.match(/^FAILED {2}token /gm)).toHaveLength(3);

    // One flipped byte: sha256sum -c fails and names the file.
    const target = join(dir, 'after', 'text.txt');
    const text = await readFile(target);
    text[0] = (text[0] ?? 0) ^ 0x01;
    await writeFile(target, text);
    const failed = await run('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir }).then(
      () => undefined,
      (e: { code: number; stdout: string }) => e,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toContain('after/text.txt: FAILED');
    expect(failed?.stdout.match(/FAILED/g)).toHaveLength(1);
    const refused = await run('bash', ['verify.sh'], { cwd: dir }).then(
      () => undefined,
      (e: { code: number; stdout: string }) => e,
    );
    expect(refused?.code).toBe(1);
    expect(refused?.stdout).toContain('FAILED  every file matches SHA256SUMS');
    expect(refused?.stdout).toContain('Some checks FAILED.');
    // A forger who also rewrites SHA256SUMS: the files and the list agree again, but the timestamped
    // manifest still names the original text, and verify.sh says so.
    const sums = (await readFile(join(dir, 'SHA256SUMS'), 'utf8')).replace(
      /^[0-9a-f]{64}(?= {2}after\/text\.txt$)/m,
      createHash('sha256').update(text).digest('hex'),
    );
    await writeFile(join(dir, 'SHA256SUMS'), sums);
    const forged = await run('bash', ['verify.sh'], { cwd: dir }).then(
      () => undefined,
      (e: { code: number; stdout: string }) => e,
    );
    expect(forged?.code).toBe(1);
    expect(forged?.stdout).toContain('OK      every file matches SHA256SUMS');
    expect(forged?.stdout.match(/^FAILED .*$/gm)).toEqual([
      expect.stringMatching(/^FAILED {2}after\/text\.txt is the text chain\/\d{6}\.json names$/),
    ]);

    const line = await redline(['evidence', url, '-o', file]);
    expect(line.code, line.stderr).toBe(0);
    expect(line.stdout).toMatch(/v2–v3 → .*evidence\.zip: \d+ files, 2 manifests, 2 timestamp tokens, WACZ/);

    const unknown = await redline(['evidence', `${url}-never-watched`, '-o', join(outDir, 'x.zip')]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no watch for');
    const missing = await redline(['evidence', url, '--from', '1', '--to', '7', '-o', join(outDir, 'x.zip')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('has no version 7');
    const reversed = await redline([
      'evidence',
      url,
      '--from',
      '3',
      '--to',
      '1',
      '-o',
      join(outDir, 'x.zip'),
    ]);
    expect(reversed.code).toBe(2);
    expect(reversed.stderr.trim()).toBe('redline: --from 3 is after --to 1');
    expect((await readdir(outDir)).sort()).toEqual(['evidence.zip', 'unzipped']);

    // One version alone.
    const single = await redline(['evidence', url, '--from', '1', '--to', '1', '-o', file, '--json']);
    expect(single.code, single.stderr).toBe(0);
    expect(JSON.parse(single.stdout)).toMatchObject({ from: 1, to: 1, manifests: 1, tokens: 1 });
    expect((await unzip(await readFile(file))).has('version/version-record.json')).toBe(true);

    // An output folder that does not exist: one line on stderr, exit 2, for evidence and export alike.
    for (const command of ['evidence', 'export']) {
      const nowhere = await redline([command, url, '-o', join(outDir, 'no-such-folder', 'f.zip')]);
      expect(nowhere.code, `${command}: ${nowhere.stderr}`).toBe(2);
      expect(nowhere.stderr.trim().split('\n')).toEqual([
        `redline: cannot write ${join(outDir, 'no-such-folder', 'f.zip')}: its folder does not exist`,
      ]);
    }

    // No TSA roots configured: the bundle is made (exit 0), with a warning that its tokens were not checked.
    const { REDLINE_TSA_CA_FILE: _unset, ...withoutRoots } = process.env;
    const unchecked = await runRedline(['evidence', url, '-o', file, '--json'], {
      ...withoutRoots,
      REDLINE_HOME: home,
      REDLINE_ALLOW_PRIVATE_NETWORK: '1',
    });
    expect(unchecked.code, unchecked.stderr).toBe(0);
    expect(JSON.parse(unchecked.stdout)).toMatchObject({ tokens: 2, tokensChecked: false });
    expect(unchecked.stderr).toContain(
      'warning: the 2 timestamp tokens were not checked and tsa-ca.pem is not in the bundle: set REDLINE_TSA_CA_FILE',
    );
    expect((await unzip(await readFile(file))).has('tsa-ca.pem')).toBe(false);
  });
});
