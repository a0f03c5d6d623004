import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { InvalidInputError } from '../core/domain/errors.js';
import { DEFAULT_EVIDENCE_OPTIONS, type EvidenceOptions } from '../core/domain/options.js';
import { watchIdFor } from '../core/domain/url.js';
import { findHistory } from '../core/history/archive.js';
import { boundedSink, buildEvidence, EvidenceRangeError } from '../core/proof/evidence.js';
import { exportWacz } from '../core/proof/export.js';
import type { ApiDeps } from './app.js';
import { inlineDownloads } from './downloads.js';
import { parseInput } from './http.js';

/**
 * The built downloads of a watch: `GET /api/watches/{watch}/export?format=wacz&from&to` (the WACZ of its
 * versions) and `GET /api/watches/{watch}/evidence?from&to` (the evidence bundle of two versions). Each is
 * built in memory within the evidence byte limit and handed over by `deps.downloads` (inline locally, a
 * short-lived link on AWS).
 */
export interface ExportsDeps extends ApiDeps {
  /** PEM roots of the timestamp authorities (REDLINE_TSA_CA_FILE's text): tsa-ca.pem in evidence bundles. */
  tsaCaPem?: string;
  /** Evidence limits; DEFAULT_EVIDENCE_OPTIONS unless given. */
  evidence?: Partial<EvidenceOptions>;
}

/** A version number as the query gives it: digits only, no sign, no leading zero, no spaces. */
const VERSION_TEXT = /^[1-9][0-9]{0,8}$/;
/** Query parameters a request may carry at most (more: refused before reading them). */
const MAX_QUERY_PARAMETERS = 10;

/**
 * `from` and `to` (and the named choices) from the query, strictly: each at most once, versions as plain
 * digits. Every problem is one short sentence in the query's terms; all of them in one 400.
 */
function rangeQuery(
  c: Context,
  choices: Record<string, readonly string[]> = {},
): { from?: number; to?: number } {
  const queries = c.req.queries();
  const entries = Object.entries(queries);
  if (entries.length > MAX_QUERY_PARAMETERS)
    throw new InvalidInputError(
      `too many query parameters (${entries.length}; at most ${MAX_QUERY_PARAMETERS})`,
    );
  const problems: string[] = [];
  const out: { from?: number; to?: number } = {};
  for (const [name, values] of entries) {
    const shownName = JSON.stringify(name.slice(0, 40));
    const allowed = choices[name];
    if (name !== 'from' && name !== 'to' && !allowed) {
      problems.push(
        `unknown query parameter ${shownName} (use ${['from', 'to', ...Object.keys(choices)].join(', ')})`,
      );
      continue;
    }
    if (values.length !== 1) {
      problems.push(`query parameter ${name} is given ${values.length} times; give it once`);
      continue;
    }
    const value = values[0]!;
    if (allowed) {
      if (!allowed.includes(value)) problems.push(`query parameter ${name} must be ${allowed.join(' or ')}`);
    } else if (!VERSION_TEXT.test(value))
      problems.push(
        `query parameter ${name} must be a version number (digits, 1 to 999999999), not ${JSON.stringify(value.slice(0, 40))}`,
      );
    else out[name as 'from' | 'to'] = Number(value);
  }
  if (problems.length > 0) throw new InvalidInputError(problems.join('; '));
  return out;
}

/** A range error of the evidence bundle, worded in the API's terms. */
function rangeInQueryTerms(error: unknown): unknown {
  if (!(error instanceof EvidenceRangeError)) return error;
  const message =
    error.problem === 'reversed'
      ? `query parameter from (${error.from}) is after to (${error.to})`
      : `query parameter to (${error.to}) is beyond the latest version (${error.latest})`;
  return new InvalidInputError(message, { cause: error });
}
const WatchKeySchema = z.string().min(1).max(4096);

/** Collects a built file in memory; past `max` bytes it fails with the limit named (EvidenceLimitError). */
const memorySink = (max: number, what: string) =>
  boundedSink(
    max,
    `${what} is over ${max} bytes, more than a download holds: choose a narrower range with from and to, or use the CLI`,
  );

/**
 * `redline-news.example-flood-barrier-3f2a9c1d-v2-v5.zip`: the host (ASCII: the URL is normalized), the end
 * of the path, the start of the watch id (two watches on one host never share a name), and the versions.
 */
export function fileName(url: string, from: number, to: number, extension: string): string {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/[^a-z0-9.-]/gi, '_').slice(0, 100);
  const path = parsed.pathname
    .replace(/[^a-z0-9]+/gi, '-')
    .replace(/^-+|-+$/g, '')
    .slice(-40)
    .replace(/^-+/, '');
  const id = watchIdFor(url).slice('w_'.length, 'w_'.length + 8);
  const versions = from === to ? `v${from}` : `v${from}-v${to}`;
  return `${['redline', host, path, id, versions].filter(Boolean).join('-')}.${extension}`;
}

const range = (q: { from?: number | undefined; to?: number | undefined }) => ({
  ...(q.from !== undefined ? { from: q.from } : {}),
  ...(q.to !== undefined ? { to: q.to } : {}),
});

export function mountExports(app: Hono, deps: ExportsDeps): void {
  const limits = { ...DEFAULT_EVIDENCE_OPTIONS, ...deps.evidence };
  const downloads = deps.downloads ?? inlineDownloads;
  const history = (key: string) => findHistory(deps, parseInput(WatchKeySchema, key, 'watch'));

  app.get('/api/watches/:watch/export', async (c) => {
    const query = rangeQuery(c, { format: ['wacz'] });
    const archived = await history(c.req.param('watch'));
    const { sink, bytes } = memorySink(limits.maxBytes, 'the WACZ');
    const summary = await exportWacz(deps, archived.url, range(query), sink);
    return downloads.deliver(c, {
      name: fileName(summary.url, summary.from, summary.to, 'wacz'),
      contentType: 'application/wacz',
      bytes: bytes(),
    });
  });

  app.get('/api/watches/:watch/evidence', async (c) => {
    const query = rangeQuery(c);
    const archived = await history(c.req.param('watch'));
    const { sink, bytes } = memorySink(limits.maxBytes + 1024 * 1024, 'the evidence bundle');
    const summary = await buildEvidence(
      deps,
      archived.url,
      { ...range(query), limits, ...(deps.tsaCaPem !== undefined ? { tsaCaPem: deps.tsaCaPem } : {}) },
      sink,
    ).catch((error: unknown) => {
      throw rangeInQueryTerms(error);
    });
    return downloads.deliver(c, {
      name: fileName(summary.url, summary.from, summary.to, 'zip'),
      contentType: 'application/zip',
      bytes: bytes(),
    });
  });
}
