import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import LinkHeader from 'http-link-header';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../functions/core/domain/digest.js';
import { watchIdFor } from '../../functions/core/domain/url.js';
import { type ApiArchive, hours, startApiArchive, URL_A, URL_C } from '../support/api-archive.js';
import { runRedline, startRedline } from '../support/cli.js';

/** Memento (RFC 7089) against the real local server: TimeMap, TimeGate, mementos on the archive origin. */
let archive: ApiArchive;
let app: string;
let archiveOrigin: string;
let versions: { number: number; capturedAt: string; artifacts: Record<string, { digest: string }> }[];

beforeAll(async () => {
  archive = await startApiArchive();
  ({ app, archive: archiveOrigin } = archive.servers.urls);
  versions = (
    (await (await fetch(`${app}/api/watches/${watchIdFor(URL_A)}/versions`)).json()) as {
      versions: typeof versions;
    }
  ).versions;
}, 300_000);
afterAll(async () => archive?.close());

const httpDate = (iso: string | Date) => new Date(iso).toUTCString();
const stamp = (iso: string) => new Date(iso).toISOString().replace(/[-:T]/g, '').slice(0, 14);
const uriM = (iso: string, uri = URL_A) => `${archiveOrigin}/web/${stamp(iso)}/${uri}`;
const timegate = (acceptDatetime?: string, uri = URL_A) =>
  fetch(`${app}/timegate/${uri}`, {
    redirect: 'manual',
    ...(acceptDatetime !== undefined ? { headers: { 'accept-datetime': acceptDatetime } } : {}),
  });

describe('TimeMap', () => {
  it('lists the original, itself, the TimeGate and one memento per version (parsed as RFC 8288)', async () => {
    const response = await fetch(`${app}/timemap/link/${URL_A}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/link-format');
    expect(response.headers.get('x-memento-count')).toBe('3');
    const links = LinkHeader.parse((await response.text()).trim());
    expect(links.rel('original').map((l) => l.uri)).toEqual([URL_A]);
    const self = links.rel('self');
    expect(self).toHaveLength(1);
    expect(self[0]).toMatchObject({
      uri: `${app}/timemap/link/${URL_A}`,
      type: 'application/link-format',
      from: httpDate(versions[0]!.capturedAt),
      until: httpDate(versions[2]!.capturedAt),
    });
    expect(links.rel('timegate').map((l) => l.uri)).toEqual([`${app}/timegate/${URL_A}`]);
    // The parser splits `rel="first memento"` into one reference per relation type.
    const mementos = links.rel('memento');
    expect(mementos.map((m) => [m.uri, m.datetime])).toEqual(
      versions.map((v) => [uriM(v.capturedAt), httpDate(v.capturedAt)]),
    );
    expect(links.rel('first').map((m) => m.uri)).toEqual([uriM(versions[0]!.capturedAt)]);
    expect(links.rel('last').map((m) => m.uri)).toEqual([uriM(versions[2]!.capturedAt)]);
  });

  it('keeps the URI-R query string: another query is another resource', async () => {
    expect((await fetch(`${app}/timemap/link/https://news.example/story?id=2`)).status).toBe(404);
    expect((await fetch(`${app}/timemap/link/https://news.example/story`)).status).toBe(404);
    // Percent-encoded as one segment, the same URI-R.
    const encoded = await fetch(`${app}/timemap/link/${encodeURIComponent(URL_A)}`);
    expect(encoded.status).toBe(200);
    expect(encoded.headers.get('x-memento-count')).toBe('3');
  });

  it('answers 404 for an unknown URI-R and 400 for one that is not http(s)', async () => {
    expect((await fetch(`${app}/timemap/link/https://nowhere.example/`)).status).toBe(404);
    expect((await fetch(`${app}/timemap/link/mailto:x@y`)).status).toBe(400);
  });

  it("keeps a removed watch's mementos", async () => {
    const response = await fetch(`${app}/timemap/link/${URL_C}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('x-memento-count')).toBe('2');
  });
});

describe('TimeGate', () => {
  const expectGate = async (response: Response, version: number) => {
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(uriM(versions[version - 1]!.capturedAt));
    expect(response.headers.get('vary')?.toLowerCase()).toContain('accept-datetime');
    const link = LinkHeader.parse(response.headers.get('link')!);
    expect(link.rel('original').map((l) => l.uri)).toEqual([URL_A]);
    expect(link.rel('timemap')).toMatchObject([
      { uri: `${app}/timemap/link/${URL_A}`, type: 'application/link-format' },
    ]);
  };

  it('without Accept-Datetime: the latest', async () => expectGate(await timegate(), 3));
  it('before the first: the first', async () => expectGate(await timegate(httpDate(hours(-48))), 1));
  it('between two versions: the one at or before', async () => {
    await expectGate(await timegate(httpDate(hours(1))), 1);
    await expectGate(await timegate(httpDate(hours(3.5))), 2);
  });
  it('exactly at a version: that version', async () => expectGate(await timegate(httpDate(hours(2))), 2));
  it('after the last: the latest', async () => expectGate(await timegate(httpDate(hours(400))), 3));

  it('refuses an unparseable Accept-Datetime with 400 and an unknown URI-R with 404', async () => {
    expect((await timegate('yesterday')).status).toBe(400);
    expect((await timegate('2026-11-20T10:00:00Z')).status).toBe(400);
    expect((await timegate(undefined, 'https://news.example/story?id=3')).status).toBe(404);
  });
});

describe('Mementos', () => {
  it('serve the archived page from the archive origin: bytes equal to the digest, Memento headers, sandboxed', async () => {
    for (const version of versions) {
      const response = await fetch(uriM(version.capturedAt));
      expect(response.status).toBe(200);
      expect(new URL(response.url).origin).toBe(archiveOrigin);
      expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(version.artifacts.rendered!.digest);
      expect(response.headers.get('memento-datetime')).toBe(httpDate(version.capturedAt));
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('content-security-policy')).toBe('sandbox');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      const link = LinkHeader.parse(response.headers.get('link')!);
      expect(link.rel('original').map((l) => l.uri)).toEqual([URL_A]);
      expect(link.rel('timegate').map((l) => l.uri)).toEqual([`${app}/timegate/${URL_A}`]);
      expect(link.rel('timemap').map((l) => l.uri)).toEqual([`${app}/timemap/link/${URL_A}`]);
    }
  });

  it('follow the TimeGate to the bytes of the version in force', async () => {
    const response = await fetch(`${app}/timegate/${URL_A}`, {
      headers: { 'accept-datetime': httpDate(hours(2.5)) },
    });
    expect(response.status).toBe(200);
    expect(sha256(new Uint8Array(await response.arrayBuffer()))).toBe(
      versions[1]!.artifacts.rendered!.digest,
    );
  });

  it('redirect a time between mementos to the one in force, and the app origin to the archive origin', async () => {
    const between = await fetch(`${archiveOrigin}/web/${stamp(hours(3).toISOString())}/${URL_A}`, {
      redirect: 'manual',
    });
    expect(between.status).toBe(302);
    expect(between.headers.get('location')).toBe(uriM(versions[1]!.capturedAt));
    const onApp = await fetch(`${app}/web/${stamp(versions[0]!.capturedAt)}/${URL_A}`, {
      redirect: 'manual',
    });
    expect(onApp.status).toBe(302);
    expect(onApp.headers.get('location')).toBe(uriM(versions[0]!.capturedAt));
  });

  it('serve the raw response with id_, and refuse malformed timestamps', async () => {
    const raw = await fetch(`${archiveOrigin}/web/${stamp(versions[0]!.capturedAt)}id_/${URL_A}`);
    expect(raw.status).toBe(200);
    expect(sha256(new Uint8Array(await raw.arrayBuffer()))).toBe(versions[0]!.artifacts.raw!.digest);
    expect(raw.headers.get('content-security-policy')).toBe('sandbox');
    expect((await fetch(`${archiveOrigin}/web/20261399000000/${URL_A}`)).status).toBe(400);
    expect((await fetch(`${archiveOrigin}/web/2026/${URL_A}`)).status).toBe(400);
    expect((await fetch(`${archiveOrigin}/web/20261120100000/https://nowhere.example/`)).status).toBe(404);
    // The archive origin serves archived bytes only.
    expect((await fetch(`${archiveOrigin}/api/watches`)).status).toBe(404);
    expect((await fetch(`${archiveOrigin}/timemap/link/${URL_A}`)).status).toBe(404);
  });
});

describe('redline serve (the compiled CLI)', () => {
  it('prints the viewer and archive origins, answers on both, and stops on SIGTERM', async () => {
    const home = await mkdtemp(join(tmpdir(), 'redline-serve-'));
    try {
      const server = startRedline(['serve', '--port', '0', '--no-schedule'], {
        ...process.env,
        REDLINE_HOME: home,
      });
      await server.waitForOutput(/archive\s+http:\/\/127\.0\.0\.1:\d+/, 120_000);
      const viewer = /viewer\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(server.stdout())![1]!;
      const archiveUrl = /archive\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(server.stdout())![1]!;
      expect(viewer).not.toBe(archiveUrl);
      const list = await fetch(`${viewer}/api/watches`);
      expect(list.status).toBe(200);
      expect(await list.json()).toEqual({ total: 0, watches: [] });
      const added = await fetch(`${viewer}/api/watches`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: 'https://news.example/x', tags: ['t'] }),
      });
      expect(added.status).toBe(201);
      expect((await fetch(`${viewer}/timegate/https://news.example/x`, { redirect: 'manual' })).status).toBe(
        404,
      );
      expect((await fetch(`${archiveUrl}/blobs/${sha256('nothing')}`)).status).toBe(404);
      const stopped = await server.stop('SIGTERM');
      expect(stopped.stderr).toBe('');
      expect(stopped.code).toBe(0);
      expect(stopped.stdout).toContain('stopped');
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('watch add on a watched URL changes only the flags given (tags and mode kept)', async () => {
    const home = await mkdtemp(join(tmpdir(), 'redline-watch-add-'));
    const env = { ...process.env, REDLINE_HOME: home };
    try {
      const url = 'https://news.example/kept';
      const add = await runRedline(
        ['watch', 'add', url, '--every', '2h', '--tag', 'a', '--mode', 'http'],
        env,
      );
      expect(add.code).toBe(0);
      const again = await runRedline(['watch', 'add', url, '--every', '3h'], env);
      expect(again.stderr).toBe('');
      expect(again.stdout).toContain('updated');
      const list = JSON.parse((await runRedline(['watch', 'list', '--json'], env)).stdout) as unknown[];
      expect(list).toMatchObject([{ url, tags: ['a'], mode: 'http', cadenceSeconds: 10_800 }]);
      await runRedline(['watch', 'add', url, '--tag', 'b'], env);
      const after = JSON.parse((await runRedline(['watch', 'list', '--json'], env)).stdout) as unknown[];
      expect(after).toMatchObject([{ url, tags: ['b'], mode: 'http', cadenceSeconds: 10_800 }]);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
