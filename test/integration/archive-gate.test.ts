import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../functions/api/app.js';
import { archiveGate } from '../../functions/api/archive-gate.js';
import { ArchiveSigner } from '../../functions/api/archive-token.js';
import { sha256 } from '../../functions/core/domain/digest.js';
import { watchIdFor } from '../../functions/core/domain/url.js';
import { type ApiArchive, startApiArchive, URL_A } from '../support/api-archive.js';

/**
 * The AWS archive origin's gate (functions/api/archive-gate.ts) over a real local archive (store process,
 * blob folder, versions made by the capture pipeline): the API signs archive links, the gate opens
 * exactly those, sandboxed; anything else is 403. The same code runs bundled in test/shipped.
 */
const KEY = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_', 'utf8');
const APP = 'https://app.example';
const ARCHIVE = 'https://archive.example';

let archive: ApiArchive;
let now = new Date('2026-11-21T00:00:00Z');
const clock = { now: () => now };
let api: ReturnType<typeof createApp>;
let gate: (request: Request) => Promise<Response>;

beforeAll(async () => {
  archive = await startApiArchive();
  const signer = new ArchiveSigner(KEY, 3600, clock);
  api = createApp(archive.rt, { app: APP, archive: ARCHIVE, signArchive: (p) => signer.sign(p) });
  gate = archiveGate(archive.rt, { appUrl: APP, key: KEY, clock });
}, 300_000);
afterAll(async () => archive?.close());

const open = (href: string, init?: RequestInit) => {
  expect(href.startsWith(ARCHIVE)).toBe(true);
  return gate(new Request(href, init));
};

interface VersionJson {
  number: number;
  capturedAt: string;
  artifacts: Record<string, { digest: string; href: string; contentType: string }>;
  links: { memento: string };
}
const versions = async () =>
  (
    (await (await api.request(`/api/watches/${watchIdFor(URL_A)}/versions`)).json()) as {
      versions: VersionJson[];
    }
  ).versions;

describe('archive origin gate', () => {
  it('opens every artifact link the API hands out: 200, sandboxed, private, bytes equal to their digest', async () => {
    const all = await versions();
    expect(all.length).toBe(3);
    for (const [kind, ref] of Object.entries(all[0]!.artifacts)) {
      expect(ref.href).toMatch(new RegExp(`^${ARCHIVE}/k/\\d+\\.[A-Za-z0-9_-]{43}/blobs/`));
      const response = await open(ref.href);
      expect(response.status, kind).toBe(200);
      expect(response.headers.get('content-security-policy')).toBe('sandbox');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
      expect(Number(/max-age=(\d+)/.exec(response.headers.get('cache-control')!)![1])).toBeLessThanOrEqual(
        3600 + 300,
      );
      expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(ref.digest);
    }
  });

  it('opens a memento link, keeping the URI-R’s query string; a time between versions redirects to a signed canonical link', async () => {
    const [v1, v2] = await versions();
    const memento = await open(v1!.links.memento);
    expect(memento.status).toBe(200);
    expect(memento.headers.get('content-security-policy')).toBe('sandbox');
    expect(memento.headers.get('memento-datetime')).toBe(new Date(v1!.capturedAt).toUTCString());
    expect(memento.headers.get('link')).toContain(`<${APP}/timegate/${URL_A}>`);
    expect(URL_A).toContain('?id=1');
    expect(v1!.links.memento.endsWith(URL_A)).toBe(true);

    // A TimeGate answer (on the app origin, behind the JWT on AWS) points at a signed memento.
    const tg = await api.request(`/timegate/${URL_A}`, {
      headers: { 'accept-datetime': new Date(v2!.capturedAt).toUTCString() },
    });
    expect(tg.status).toBe(302);
    expect((await open(tg.headers.get('location')!)).status).toBe(200);

    // One second after v1: the memento in force then is v1, under its own canonical stamp.
    const after = new Date(Date.parse(v1!.capturedAt) + 1000)
      .toISOString()
      .replace(/[-:T]/g, '')
      .slice(0, 14);
    const unsigned = `/web/${after}/${URL_A}`;
    const signed = new ArchiveSigner(KEY, 3600, clock).sign(unsigned);
    const redirect = await open(`${ARCHIVE}${signed}`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    const location = redirect.headers.get('location')!;
    expect(location).toMatch(/^\/k\/\d+\.[A-Za-z0-9_-]{43}\/web\/\d{14}\//);
    expect(redirect.headers.get('content-security-policy')).toBe('sandbox');
    const followed = await open(`${ARCHIVE}${location}`);
    expect(followed.status).toBe(200);
    expect(followed.headers.get('memento-datetime')).toBe(new Date(v1!.capturedAt).toUTCString());
  });

  it('refuses unsigned, forged, altered and expired links, and every method but GET and HEAD, all sandboxed', async () => {
    const [v1] = await versions();
    const href = v1!.artifacts.text!.href;
    const path = href.slice(ARCHIVE.length);
    const bare = path.replace(/^\/k\/[^/]+/, '');
    const cases: [string, string][] = [
      ['unsigned', `${ARCHIVE}${bare}`],
      ['forged', `${ARCHIVE}${path.replace(/\.[A-Za-z0-9_-]{43}/, `.${'A'.repeat(43)}`)}`],
      ['another watch', `${href.replace(/watch=w_[0-9a-f]+/, 'watch=w_00000000000000000000')}`],
      [
        'a later expiry',
        `${ARCHIVE}${path.replace(/^\/k\/(\d+)/, (_, e: string) => `/k/${Number(e) + 3600}`)}`,
      ],
    ];
    for (const [what, url] of cases) {
      const response = await open(url);
      expect(response.status, what).toBe(403);
      expect(response.headers.get('content-security-policy'), what).toBe('sandbox');
      expect(((await response.json()) as { error: { code: string } }).error.code, what).toMatch(/^link_/);
    }
    expect((await open(href, { method: 'POST' })).status).toBe(405);
    const head = await open(href, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');

    const saved = now;
    now = new Date(now.getTime() + 2 * 3600_000);
    try {
      const expired = await open(href);
      expect(expired.status).toBe(403);
      expect(((await expired.json()) as { error: { code: string } }).error.code).toBe('link_expired');
    } finally {
      now = saved;
    }
  });

  it('locally nothing is signed: the same API without a signer links the archive origin plainly', async () => {
    const local = createApp(archive.rt, { app: APP, archive: ARCHIVE });
    const body = (await (await local.request(`/api/watches/${watchIdFor(URL_A)}/versions`)).json()) as {
      versions: VersionJson[];
    };
    expect(body.versions[0]!.artifacts.text!.href).toMatch(new RegExp(`^${ARCHIVE}/blobs/sha256:`));
    expect(body.versions[0]!.links.memento).toMatch(new RegExp(`^${ARCHIVE}/web/\\d{14}/`));
  });
});
