import type { Hono } from 'hono';
import { z } from 'zod';
import { DEFAULT_EVIDENCE_OPTIONS, type EvidenceOptions } from '../core/domain/options.js';
import { findHistory } from '../core/history/archive.js';
import { boundedSink, buildEvidence } from '../core/proof/evidence.js';
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

const Version = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const ExportQuerySchema = z
  .object({ format: z.enum(['wacz']).default('wacz'), from: Version.optional(), to: Version.optional() })
  .strict();
const EvidenceQuerySchema = z.object({ from: Version.optional(), to: Version.optional() }).strict();
const WatchKeySchema = z.string().min(1).max(4096);

/** Collects a built file in memory; past `max` bytes it fails with the limit named (EvidenceLimitError). */
const memorySink = (max: number, what: string) =>
  boundedSink(
    max,
    `${what} is over ${max} bytes, more than a download holds: choose a narrower range with from and to, or use the CLI`,
  );

/** `redline-news.example-v2-v5.zip`: the host (ASCII: the URL is normalized) and the versions. */
function fileName(url: string, from: number, to: number, extension: string): string {
  const host = new URL(url).hostname.replace(/[^a-z0-9.-]/gi, '_').slice(0, 100);
  return `redline-${host}-v${from}-v${to}.${extension}`;
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
    const query = parseInput(ExportQuerySchema, c.req.query(), 'query');
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
    const query = parseInput(EvidenceQuerySchema, c.req.query(), 'query');
    const archived = await history(c.req.param('watch'));
    const { sink, bytes } = memorySink(limits.maxBytes + 1024 * 1024, 'the evidence bundle');
    const summary = await buildEvidence(
      deps,
      archived.url,
      { ...range(query), limits, ...(deps.tsaCaPem !== undefined ? { tsaCaPem: deps.tsaCaPem } : {}) },
      sink,
    );
    return downloads.deliver(c, {
      name: fileName(summary.url, summary.from, summary.to, 'zip'),
      contentType: 'application/zip',
      bytes: bytes(),
    });
  });
}
