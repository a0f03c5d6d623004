/**
 * The evidence bundle's human-readable report: one list of blocks built from what the bundle holds, written
 * out as HTML (evidence-report.ts) and as PDF (evidence-pdf.ts), so both say the same. Pure.
 */
import { digestHex, sha256 } from '../domain/digest.js';
import type { CaptureRecord, VersionRecord } from '../domain/model.js';
import { escapeHtml, shown } from './evidence-text.js';
import type { TokenInfo } from './evidence-tokens.js';
import { pemBlockDer, pemCertificateBlocks } from './timestamp.js';

export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3; text: string }
  | { kind: 'para'; text: string; warn?: boolean }
  | { kind: 'fields'; rows: { label: string; value: string; mono?: boolean }[] }
  | { kind: 'code'; lines: string[] }
  /** What follows starts on a new page (PDF; HTML when printed). */
  | { kind: 'page' };

/** A file of the bundle the report lists, with its digest. */
export interface ListedFile {
  path: string;
  sha256: string;
  size: number;
  contentType?: string;
}

export interface ReportSide {
  /** `version`: the one version of a one-version bundle (version/). */
  role: 'before' | 'after' | 'version';
  version: VersionRecord;
  capture?: CaptureRecord;
  /** Files under before/ or after/ (the artifacts written out, and the records). */
  files: (ListedFile & { kind: string })[];
  /** Every artifact digest the version record names, with where the bundle holds it. */
  artifacts: { kind: string; digest: string; size: number; where?: string }[];
  /** The kinds of the usual artifacts this version has none of (`pdf`, `screenshot`, …). */
  absent: string[];
  provenance?: { digest: string; value?: unknown; unreadable?: string };
  /** The page's modified date as its article.json holds it; null: the page shows none. */
  modified?: string | null;
}

export interface ChainEntry {
  version: number;
  capturedAt: string;
  captureId: string;
  manifest?: {
    path: string;
    digest: string;
    /** `previous` as the manifest says, when it parses. */
    previous?: string | null;
    problem?: string;
    /** Whether `previous` names the manifest of the version before (undefined: that one is not in the bundle). */
    linked?: boolean;
    /** The previous version's manifest digest as the records say, for the first version of the range. */
    recordedPrevious?: string | null;
  };
}

export interface TokenEntry {
  version: number;
  path: string;
  manifestPath: string;
  /** The manifest digest the records say this token stamps. */
  manifestDigest: string;
  tsa: string;
  recordedGenTime: string;
  info: TokenInfo;
}

export interface ReportInput {
  url: string;
  watchId: string;
  title: string;
  from: number;
  to: number;
  generatedAt: string;
  software: string;
  /** before and after, or the one version of a one-version bundle. */
  sides: ReportSide[];
  /** The changes between before and after; none in a one-version bundle. */
  diff?: {
    path: string;
    summary: string;
    edits: number;
    major: number;
    silent: boolean;
    /** The after page's modified date (null: it shows none), when its article was read. */
    modified?: string | null;
  };
  chain: ChainEntry[];
  tokens: TokenEntry[];
  /** Whether tsa-ca.pem is in the bundle (the configured TSA roots). */
  tsaCa: boolean;
  /** SHA-256 of each certificate's DER in tsa-ca.pem. */
  tsaCaFingerprints: string[];
  wacz:
    | { path: string; sha256: string; size: number; archived: number[]; problems: string[] }
    | { missing: string };
  maxFieldChars: number;
  maxProvenanceEntries: number;
}

const pad = (n: number) => String(n).padStart(6, '0');
export const manifestPath = (n: number) => `chain/${pad(n)}.json`;
export const tokenPath = (n: number, i: number) => `tokens/${pad(n)}-${i}.tst`;
export const warcPathInWacz = (n: number) => `archive/version-${pad(n)}.warc.gz`;

/** The offline check of one token, as the report prints it. */
export function tokenCommand(token: Pick<TokenEntry, 'path' | 'manifestPath'>, tsaCa: boolean): string {
  return `openssl ts -verify -data ${token.manifestPath} -in ${token.path} -token_in -CAfile ${tsaCa ? 'tsa-ca.pem' : 'TSA-ROOT.pem'}`;
}

const bytes = (n: number) => `${n.toLocaleString('en-US')} bytes`;

/** The SHA-256 of a PEM certificate's DER, as `openssl x509 -noout -fingerprint -sha256` prints it (lower case, no colons). */
function certificateFingerprint(block: string): string {
  const der = pemBlockDer(block);
  return der ? digestHex(sha256(der)) : 'not a PEM certificate';
}

/** The SHA-256 (of the DER) of every certificate in a PEM bundle, in order. */
export function pemFingerprints(pem: string): string[] {
  return pemCertificateBlocks(pem).slice(0, 100).map(certificateFingerprint);
}

/** The script of every offline check (verify.sh): sha256sum -c, each token, each manifest's digest, canonical form and link. */
export function verifyScript(
  chain: ChainEntry[],
  tokens: Pick<TokenEntry, 'path' | 'manifestPath'>[],
  sides: { version: VersionRecord; files: { path: string; kind: string }[] }[] = [],
): string {
  const q = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
  const hex = (digest: string) => digest.replace(/^sha256:/, '');
  const lines = [
    '#!/usr/bin/env bash',
    '# Every offline check of this Redline evidence bundle. Run it in the unzipped folder: bash verify.sh',
    '# Needs sha256sum (GNU coreutils), openssl 3 and python3. Exit 0: every check passed.',
    "# TSA_ROOT=FILE checks the tokens against FILE (the authority's own published root) instead of tsa-ca.pem.",
    'set -u',
    'cd "$(dirname "$0")" || exit 2',
    'failed=0',
    'check() {',
    '  local what=$1',
    '  shift',
    '  if "$@" >/dev/null 2>&1; then echo "OK      $what"; else echo "FAILED  $what"; failed=1; fi',
    '}',
    'digest() { sha256sum "$1" | cut -d" " -f1; }',
    '# SHA-256 of the RFC 8785 canonical form of a JSON file (keys sorted, no whitespace, UTF-8).',
    "canon() { python3 -c 'import json,sys,hashlib",
    'd = json.load(open(sys.argv[1], encoding="utf-8"))',
    'c = json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False)',
    'print(hashlib.sha256(c.encode()).hexdigest())\' "$1"; }',
    '# The digest a manifest names for one artifact kind ("missing" if none).',
    "artifact() { python3 -c 'import json,sys",
    'print(json.load(open(sys.argv[1], encoding="utf-8")).get("artifacts", {}).get(sys.argv[2]) or "missing")\' "$1" "$2"; }',
    "previous() { python3 -c 'import json,sys",
    'print(json.load(open(sys.argv[1], encoding="utf-8")).get("previous") or "null")\' "$1"; }',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a template
    'ROOT=${TSA_ROOT:-tsa-ca.pem}',
    'check "every file matches SHA256SUMS" sha256sum --quiet -c SHA256SUMS',
  ];
  for (const t of tokens)
    lines.push(
      `check ${q(`token ${t.path} stamps ${t.manifestPath}`)} openssl ts -verify -data ${t.manifestPath} -in ${t.path} -token_in -CAfile "$ROOT"`,
    );
  let prior: ChainEntry | undefined;
  for (const entry of chain) {
    const m = entry.manifest;
    if (m) {
      lines.push(
        `check ${q(`${m.path} is ${m.digest}`)} test "$(digest ${m.path})" = ${hex(m.digest)}`,
        `check ${q(`${m.path} is canonical JSON`)} test "$(canon ${m.path})" = ${hex(m.digest)}`,
      );
      if (prior?.manifest && prior.version === entry.version - 1)
        lines.push(
          `check ${q(`${m.path} previous is ${prior.manifest.path}`)} test "$(previous ${m.path})" = "sha256:$(digest ${prior.manifest.path})"`,
        );
      else if (entry.version === 1)
        lines.push(
          `check ${q(`${m.path} previous is null (version 1)`)} test "$(previous ${m.path})" = null`,
        );
      else if (m.recordedPrevious !== undefined)
        lines.push(
          `check ${q(`${m.path} previous is ${m.recordedPrevious ?? 'null'} (version ${entry.version - 1}'s manifest per Redline's records; not in this bundle)`)} test "$(previous ${m.path})" = ${m.recordedPrevious ?? 'null'}`,
        );
    }
    prior = entry;
  }
  // The bundled artifacts are the ones the (timestamped) manifests name: the link from a token to the files.
  for (const side of sides) {
    const manifest = chain.find((e) => e.version === side.version.number)?.manifest;
    if (!manifest) continue;
    const named = new Set([...Object.keys(side.version.artifacts), ...(side.version.diff ? ['diff'] : [])]);
    for (const file of side.files.filter((f) => named.has(f.kind)))
      lines.push(
        `check ${q(`${file.path} is the ${file.kind} ${manifest.path} names`)} test "sha256:$(digest ${file.path})" = "$(artifact ${manifest.path} ${file.kind})"`,
      );
  }
  lines.push(
    'if [ "$failed" = 0 ]; then echo "All checks passed."; else echo "Some checks FAILED."; fi',
    'exit "$failed"',
    '',
  );
  return lines.join('\n');
}

/** Provenance as label/value rows: the fields Redline records first, then anything else it holds, bounded. */
export function provenanceRows(
  value: unknown,
  max: number,
  chars: number,
): { label: string; value: string; mono?: boolean }[] {
  const rows: { label: string; value: string; mono?: boolean }[] = [];
  const add = (label: string, v: unknown) => {
    if (rows.length >= max) return;
    if (v === undefined) return;
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    rows.push({ label: shown(label, 200), value: shown(text ?? 'null', chars) });
  };
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    add('record', value);
    return rows;
  }
  const record = value as Record<string, unknown>;
  const known = ['url', 'finalUrl', 'capturedAt', 'serverIp', 'userAgent', 'egress'];
  for (const key of known) if (key in record) add(key, record[key]);
  const hops = Array.isArray(record.hops) ? record.hops : [];
  for (const [i, hop] of hops.slice(0, max).entries()) {
    const h = (hop ?? {}) as Record<string, unknown>;
    add(
      `hop ${i + 1}`,
      `${String(h.status ?? '?')} ${String(h.url ?? '?')} from ${String(h.ip ?? 'unknown address')}`,
    );
  }
  const software = record.software && typeof record.software === 'object' ? record.software : {};
  for (const [name, version] of Object.entries(software as Record<string, unknown>).slice(0, max))
    add(`software: ${name}`, version);
  const tls = Array.isArray(record.tls) ? record.tls : [];
  if (tls.length === 0) add('TLS', 'none recorded (plain http, or no browser render)');
  for (const entry of tls.slice(0, max)) {
    const t = (entry ?? {}) as Record<string, unknown>;
    const { origin, ...rest } = t;
    const parts = Object.entries(rest).map(([k, v]) => {
      const at =
        (k === 'validFrom' || k === 'validTo') && typeof v === 'number' ? new Date(v * 1000) : undefined;
      return `${k} ${at && !Number.isNaN(at.getTime()) ? at.toISOString() : typeof v === 'string' ? v : JSON.stringify(v)}`;
    });
    add(`TLS ${String(origin ?? '')}`, parts.join('; '));
  }
  const chains = Array.isArray(record.tlsChains) ? record.tlsChains : [];
  for (const entry of chains.slice(0, max)) {
    const t = (entry ?? {}) as Record<string, unknown>;
    const pems = Array.isArray(t.chain) ? t.chain.filter((p): p is string => typeof p === 'string') : [];
    const summary = ['ipAddress', 'servername', 'protocol', 'cipher', 'alpn', 'authorized', 'omitted']
      .filter((k) => t[k] !== undefined)
      .map((k) => `${k} ${String(t[k])}`);
    add(
      `TLS chain ${String(t.origin ?? '')} (${String(t.connection ?? 'fetcher')})`,
      `${summary.join('; ')}; ${pems.length} certificate(s), leaf first, PEM in provenance.json`,
    );
    for (const [i, pem] of pems.slice(0, max).entries())
      add(`  certificate ${i + 1} SHA-256 (DER)`, certificateFingerprint(pem));
  }
  const rest = Object.entries(record).filter(
    ([key]) => !known.includes(key) && !['hops', 'software', 'tls', 'tlsChains'].includes(key),
  );
  for (const [key, v] of rest) add(key, v);
  if (rows.length >= max) rows.push({ label: '…', value: `more entries in provenance.json (shown: ${max})` });
  return rows;
}

function sideBlocks(side: ReportSide, input: ReportInput): Block[] {
  const v = side.version;
  const chars = input.maxFieldChars;
  const provenanceAt = (side.provenance?.value as { capturedAt?: unknown } | undefined)?.capturedAt;
  const idAt = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-/.exec(v.captureId);
  const started =
    typeof provenanceAt === 'string'
      ? shown(provenanceAt, 100)
      : idAt
        ? `${idAt[1]}-${idAt[2]}-${idAt[3]}T${idAt[4]}:${idAt[5]}:${idAt[6]}.${idAt[7]}Z`
        : undefined;
  const blocks: Block[] = [
    {
      kind: 'heading',
      level: 2,
      text: `${side.role === 'before' ? 'Before' : side.role === 'after' ? 'After' : 'The version'}: version ${v.number} (${side.role}/)`,
    },
    {
      kind: 'fields',
      rows: [
        ...(started ? [{ label: 'Capture started', value: started }] : []),
        { label: 'Version recorded', value: v.capturedAt },
        { label: 'Capture id', value: shown(v.captureId, chars), mono: true },
        { label: 'Title', value: shown(v.title, chars) },
        { label: 'Text hash', value: v.textHash, mono: true },
        ...(side.capture?.http
          ? [
              {
                label: 'HTTP',
                value: shown(
                  `${side.capture.http.status} ${side.capture.http.contentType} from ${side.capture.http.finalUrl}`,
                  chars,
                ),
              },
            ]
          : []),
        ...(side.capture
          ? [
              {
                label: 'Capture status',
                value: shown(
                  side.capture.status + (side.capture.reason ? `: ${side.capture.reason}` : ''),
                  chars,
                ),
              },
            ]
          : []),
        ...(v.manifest ? [{ label: 'Manifest', value: v.manifest.digest, mono: true }] : []),
      ],
    },
    { kind: 'heading', level: 3, text: 'Artifacts (SHA-256 as named in the version record)' },
    {
      kind: 'fields',
      rows: side.artifacts.map((a) => ({
        label: `${a.kind} (${bytes(a.size)}) ${a.where ? `in ${a.where}` : 'not included in this bundle'}`,
        value: a.digest,
        mono: true,
      })),
    },
  ];
  blocks.push({
    kind: 'para',
    text: `Times: "Capture started" is when Redline began this capture (the start of the capture id, and capturedAt in provenance.json). The page was then fetched: each WARC record in archive.wacz carries the time its response arrived (WARC-Date, and ts in the WACZ page list). "Version recorded" is when Redline had read the fetched page and recorded version ${v.number} (capturedAt in the version record and its manifest). All are UTC, from the capturing machine's clock; only a timestamp token's genTime comes from an independent authority.`,
  });
  if (side.absent.length > 0)
    blocks.push({ kind: 'para', text: `This version has no ${side.absent.join(', ')} artifact.` });
  blocks.push(
    { kind: 'heading', level: 3, text: `Files in ${side.role}/` },
    {
      kind: 'fields',
      rows: side.files.map((f) => ({
        label: `${f.path} (${bytes(f.size)}${f.contentType ? `, ${shown(f.contentType, 200)}` : ''})`,
        value: f.sha256,
        mono: true,
      })),
    },
    { kind: 'heading', level: 3, text: 'Provenance' },
  );
  if (!side.provenance) {
    blocks.push({
      kind: 'para',
      text: 'No provenance record: the capture made none (it predates provenance records, or recorded no WARC).',
    });
  } else if (side.provenance.unreadable) {
    blocks.push({
      kind: 'para',
      warn: true,
      text: `The provenance record ${side.provenance.digest} is not readable JSON: ${side.provenance.unreadable}`,
    });
  } else {
    blocks.push(
      { kind: 'fields', rows: [{ label: 'Provenance record', value: side.provenance.digest, mono: true }] },
      { kind: 'fields', rows: provenanceRows(side.provenance.value, input.maxProvenanceEntries, chars) },
    );
  }
  return blocks;
}

function chainBlocks(input: ReportInput): Block[] {
  const blocks: Block[] = [
    {
      kind: 'heading',
      level: 2,
      text:
        input.from === input.to
          ? `Manifest, version ${input.from} (chain/)`
          : `Manifest chain, versions ${input.from}–${input.to} (chain/)`,
    },
    {
      kind: 'para',
      text: 'Each manifest is the canonical JSON (RFC 8785) naming its version: URL, number, capture id and time, every artifact digest, the text hash, the provenance digest, and the previous version\u2019s manifest digest. Its SHA-256 is its name; changing any version changes every manifest after it. chain/NNNNNN.json is version N\u2019s manifest as stored, byte for byte; tokens/NNNNNN-i.tst the i-th timestamp token over it.',
    },
  ];
  const missing: number[] = [];
  for (const entry of input.chain) {
    const m = entry.manifest;
    if (!m) {
      missing.push(entry.version);
      continue;
    }
    const rows: { label: string; value: string; mono?: boolean }[] = [
      { label: `Version ${entry.version} manifest (${m.path})`, value: m.digest, mono: true },
      {
        label: 'version recorded / capture id',
        value: `${entry.capturedAt} / ${shown(entry.captureId, 200)}`,
      },
    ];
    if (m.problem) rows.push({ label: 'problem', value: shown(m.problem, input.maxFieldChars) });
    if (m.previous !== undefined) {
      rows.push({ label: 'previous', value: m.previous ?? 'null (first of the chain)', mono: true });
      rows.push({
        label: 'previous check',
        value:
          entry.version === 1
            ? m.previous === null
              ? 'null: version 1 begins the chain'
              : 'NOT null, though version 1 begins the chain'
            : m.linked === true
              ? `matches version ${entry.version - 1}'s manifest`
              : m.linked === false
                ? `DOES NOT match version ${entry.version - 1}'s manifest in this bundle`
                : m.recordedPrevious !== undefined
                  ? `version ${entry.version - 1} is not in this bundle; its manifest per the records: ${m.recordedPrevious ?? 'none'} (${m.recordedPrevious === m.previous ? 'matches' : 'differs'})`
                  : `version ${entry.version - 1} has no manifest, so previous is null`,
      });
    }
    blocks.push({ kind: 'fields', rows });
  }
  if (missing.length > 0)
    blocks.push({
      kind: 'para',
      warn: true,
      text: `No manifest for version${missing.length === 1 ? '' : 's'} ${missing.join(', ')}: made before manifests existed, or its proof step did not run. ${missing.length === 1 ? 'It is' : 'They are'} not chained, and the next manifest's previous is null.`,
    });
  return blocks;
}

function tokenBlocks(input: ReportInput): Block[] {
  const blocks: Block[] = [{ kind: 'heading', level: 2, text: 'Trusted timestamps, RFC 3161 (tokens/)' }];
  if (input.tokens.length === 0) {
    blocks.push({
      kind: 'para',
      warn: true,
      text: 'No timestamp tokens: no timestamp authority was configured when these versions were captured, or none answered. Nothing in this bundle anchors it in time: its files, digests and times could have been made at any moment, by anyone holding the same files.',
    });
  } else {
    blocks.push({
      kind: 'para',
      text: 'What a token proves: the authority signed, at its time genTime, the SHA-256 of a manifest. So that manifest, and every digest it names (the artifacts, the provenance, the previous manifest), existed no later than genTime. It says nothing about whether the page was captured faithfully, only when these exact bytes existed at the latest.',
    });
  }
  for (const t of input.tokens) {
    const i = t.info;
    const rows: { label: string; value: string; mono?: boolean }[] = [
      { label: `Version ${t.version} token (${t.path})`, value: shown(t.tsa, 500) },
      { label: 'stamps manifest', value: t.manifestDigest, mono: true },
      { label: 'time (genTime)', value: i.genTime ?? t.recordedGenTime },
      { label: 'serial', value: i.serialNumber ?? 'unreadable', mono: true },
      ...(i.tsaName ? [{ label: 'authority name', value: shown(i.tsaName, 500) }] : []),
      ...(i.policy ? [{ label: 'policy', value: i.policy }] : []),
      {
        label: 'imprint',
        value:
          i.imprintHex === undefined
            ? `unreadable${i.unreadable ? `: ${shown(i.unreadable, 300)}` : ''}`
            : `sha256:${i.imprintHex}${`sha256:${i.imprintHex}` === t.manifestDigest ? ' (the manifest digest)' : ' (NOT the manifest digest)'}`,
        mono: true,
      },
      {
        label: 'checked at export',
        value:
          i.check === 'ok'
            ? 'OK: signature, EKU timeStamping, chain to tsa-ca.pem'
            : i.check === 'failed'
              ? `FAILED: ${shown(i.checkDetail ?? '', 500)}`
              : 'not checked (no TSA roots configured)',
      },
    ];
    blocks.push({ kind: 'fields', rows });
  }
  const stamped = new Set(input.tokens.map((t) => t.version));
  const unstamped = input.chain.filter((c) => c.manifest && !stamped.has(c.version)).map((c) => c.version);
  if (unstamped.length > 0)
    blocks.push({
      kind: 'para',
      warn: true,
      text: `No timestamp token for version${unstamped.length === 1 ? '' : 's'} ${unstamped.join(', ')}: the authorities were not configured, down or wrong when ${unstamped.length === 1 ? 'it was' : 'they were'} captured (later captures retry).`,
    });
  if (input.tsaCa && input.tokens.length > 0)
    blocks.push(
      {
        kind: 'para',
        warn: true,
        text: 'tsa-ca.pem is the root certificate Redline was configured with (REDLINE_TSA_CA_FILE), shipped in the bundle so the commands run offline. It proves nothing by itself: whoever made this bundle could have made their own authority and shipped its root. Before trusting "Verification: OK", compare each fingerprint below with the authority\u2019s own published root certificate (openssl x509 -in ROOT.pem -noout -fingerprint -sha256), or run the commands with that root instead of tsa-ca.pem (TSA_ROOT=ROOT.pem bash verify.sh).',
      },
      {
        kind: 'fields',
        rows: input.tsaCaFingerprints.map((f, i) => ({
          label: `tsa-ca.pem certificate ${i + 1} SHA-256 (DER)`,
          value: f,
          mono: true,
        })),
      },
    );
  if (!input.tsaCa && input.tokens.length > 0)
    blocks.push({
      kind: 'para',
      warn: true,
      text: 'No tsa-ca.pem: Redline had no TSA roots configured (REDLINE_TSA_CA_FILE). Use the authority\u2019s published root certificate as TSA-ROOT.pem in the commands below.',
    });
  return blocks;
}

function commandBlocks(input: ReportInput): Block[] {
  const firstManifest = input.chain.find((c) => c.manifest)?.manifest?.path;
  const blocks: Block[] = [
    { kind: 'page' },
    { kind: 'heading', level: 2, text: 'Verify this bundle offline, without Redline' },
    {
      kind: 'para',
      text: 'In the folder the bundle was unzipped to, verify.sh runs every check below and prints OK or FAILED for each (bash, sha256sum, openssl 3, python3; read it first, it is short):',
    },
    { kind: 'code', lines: ['bash verify.sh', 'TSA_ROOT=ROOT.pem bash verify.sh'] },
    {
      kind: 'para',
      text: 'The second form checks the tokens against ROOT.pem, the authority\u2019s root certificate as the authority publishes it. The same checks one by one: 1. Every file is the one listed (sha256sum from GNU coreutils). This proves only that the files match each other and the list, not who made them or when: the manifest chain and the timestamp tokens are what tie them to a time.',
    },
    { kind: 'code', lines: ['sha256sum -c SHA256SUMS'] },
  ];
  if (input.tokens.length > 0) {
    blocks.push(
      {
        kind: 'para',
        text: '2. Each timestamp token stamps its manifest, signed by the authority (OpenSSL 3; each says "Verification: OK"):',
      },
      { kind: 'code', lines: input.tokens.map((t) => tokenCommand(t, input.tsaCa)) },
      { kind: 'para', text: 'The time, serial and authority a token vouches for:' },
      { kind: 'code', lines: [`openssl ts -reply -in ${input.tokens[0]!.path} -token_in -text`] },
    );
  } else {
    blocks.push({ kind: 'para', text: '2. (No timestamp tokens to check.)' });
  }
  if ('path' in input.wacz)
    blocks.push(
      {
        kind: 'para',
        text: '3. The web archive is a valid WACZ (py-wacz: pip install wacz); it opens in ReplayWeb.page:',
      },
      { kind: 'code', lines: [`wacz validate --file ${input.wacz.path}`] },
    );
  if (firstManifest) {
    blocks.push(
      {
        kind: 'para',
        text: '4. A manifest\u2019s digest is the SHA-256 of its bytes, which are its RFC 8785 canonical JSON (keys sorted, no whitespace, UTF-8, no trailing newline). Recompute it, then rebuild the canonical form from the fields:',
      },
      {
        kind: 'code',
        lines: [
          `sha256sum ${firstManifest}`,
          `jq -cSj . ${firstManifest} | sha256sum`,
          `python3 -c 'import json,sys,hashlib`,
          'd = json.load(sys.stdin)',
          'c = json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False)',
          `print(hashlib.sha256(c.encode()).hexdigest())' < ${firstManifest}`,
        ],
      },
      {
        kind: 'para',
        text: 'All three print the same hex, the digest the next manifest names as previous. The artifacts object of a manifest lists the SHA-256 of each artifact: compare with sha256sum of the files in before/ and after/, or version/ (the WARC is inside archive.wacz). Canonical form: ADR 0012 in the Redline repository.',
      },
    );
  }
  return blocks;
}

/** The report's blocks, in order. */
export function reportBlocks(input: ReportInput): Block[] {
  const before = input.sides[0]!;
  const after = input.sides.at(-1)!;
  const single = input.sides.length === 1;
  const chars = input.maxFieldChars;
  const diff = input.diff;
  const silent = !diff?.silent
    ? ''
    : diff.modified === null
      ? '; silent: the text changed, and the page shows no modified date'
      : diff.modified !== undefined
        ? `; silent: the text changed while the page\u2019s modified date stayed ${shown(diff.modified, 100)}`
        : '; silent: the text changed while the page\u2019s modified date (or its absence) stayed the same';
  const blocks: Block[] = [
    { kind: 'heading', level: 1, text: 'Redline evidence bundle' },
    {
      kind: 'fields',
      rows: [
        { label: 'URL', value: shown(input.url, chars), mono: true },
        { label: 'Title (after)', value: shown(input.title, chars) },
        { label: 'Watch id', value: input.watchId, mono: true },
        single
          ? { label: 'Version', value: `${input.from} (recorded ${before.version.capturedAt})` }
          : {
              label: 'Versions',
              value: `${input.from} (recorded ${before.version.capturedAt}) to ${input.to} (recorded ${after.version.capturedAt})`,
            },
        { label: 'Bundle made', value: `${input.generatedAt} by ${input.software}` },
      ],
    },
    {
      kind: 'para',
      text: single
        ? 'This bundle holds one version of the page as captured (version/), its manifest, the timestamp tokens independent authorities signed over it, and a web archive (WACZ) of the capture. Each can be checked with standard tools, as the last section says.'
        : 'This bundle holds the page as captured before and after, the changes between them, the manifests that chain every version in between, the timestamp tokens independent authorities signed over them, and a web archive (WACZ) of every capture. Each can be checked with standard tools, as the last section says.',
    },
    ...(diff
      ? ([
          { kind: 'heading', level: 2, text: `Changes, version ${input.from} to ${input.to} (${diff.path})` },
          {
            kind: 'fields',
            rows: [{ label: 'Edits', value: `${diff.edits} (${diff.major} major)${silent}` }],
          },
          {
            kind: 'code',
            lines: (diff.summary || 'No edits.')
              .split('\n')
              .slice(0, 200)
              .map((l) => shown(l, chars)),
          },
        ] satisfies Block[])
      : []),
    ...input.sides.flatMap((side) => sideBlocks(side, input)),
    ...chainBlocks(input),
    ...tokenBlocks(input),
    { kind: 'heading', level: 2, text: 'Web archive (WACZ)' },
  ];
  if ('path' in input.wacz) {
    blocks.push({
      kind: 'fields',
      rows: [
        { label: `${input.wacz.path} (${bytes(input.wacz.size)})`, value: input.wacz.sha256, mono: true },
        { label: 'Versions archived', value: input.wacz.archived.join(', ') || 'none' },
      ],
    });
    for (const problem of input.wacz.problems)
      blocks.push({ kind: 'para', warn: true, text: shown(problem, chars) });
  } else {
    blocks.push({
      kind: 'para',
      warn: true,
      text: `No WACZ in this bundle: ${shown(input.wacz.missing, chars)}`,
    });
  }
  blocks.push(...commandBlocks(input));
  return blocks;
}

/** Escaped, with any invisible character a block still holds made visible (values are shown() already; labels may not be). */
const h = (text: string) => escapeHtml(shown(text, Number.MAX_SAFE_INTEGER));

/** The report as a standalone HTML page: no scripts (a CSP forbids them), no remote loads, every value escaped. */
export function reportHtml(blocks: Block[], title: string): string {
  const body = blocks
    .map((block) => {
      switch (block.kind) {
        case 'heading':
          return `<h${block.level}>${h(block.text)}</h${block.level}>`;
        case 'para':
          return `<p${block.warn ? ' class="warn"' : ''}>${h(block.text)}</p>`;
        case 'fields':
          return `<dl>${block.rows
            .map(
              (r) =>
                `<dt>${h(r.label)}</dt><dd>${r.mono ? `<code>${h(r.value)}</code>` : `<bdi>${h(r.value)}</bdi>`}</dd>`,
            )
            .join('')}</dl>`;
        case 'code':
          return `<pre>${block.lines.map((line) => h(line)).join('\n')}</pre>`;
        case 'page':
          return '<div style="break-before:page"></div>';
        default:
          return '';
      }
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="referrer" content="no-referrer">
<title>${h(shown(title, 500))}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1f}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccc}h3{font-size:1rem}
dl{display:grid;grid-template-columns:minmax(12rem,max-content) 1fr;gap:.2rem 1rem}dt{color:#555}dd{margin:0;overflow-wrap:anywhere}
code,pre{font:12px/1.4 ui-monospace,monospace;overflow-wrap:anywhere}pre{white-space:pre-wrap;background:#f4f4f6;padding:.6rem;border:1px solid #ddd}
.warn{color:#7a0b0b}
</style></head><body>
${body}
</body></html>
`;
}
