import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { getRequestListener } from '@hono/node-server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Downloads } from '../../functions/adapters/s3/s3-downloads.js';
import { createApp } from '../../functions/api/app.js';
import { archiveGate } from '../../functions/api/archive-gate.js';
import { ArchiveSigner } from '../../functions/api/archive-token.js';
import { VIEWER_JS } from '../../functions/api/viewer/client.js';
import { ViewerHashLinks } from '../../functions/api/viewer/links.js';
import { INDEX_HTML, VIEWER_CSS } from '../../functions/api/viewer/page.js';
import { viewerCsp } from '../../functions/api/viewer/serve.js';
import { systemClock } from '../../functions/core/domain/clock.js';
import { watchIdFor } from '../../functions/core/domain/url.js';
import { type ApiArchive, startApiArchive, URL_A } from '../support/api-archive.js';
import { startAwsEmulator } from '../support/emulators.js';
import { launchViewerBrowser } from '../support/viewer-browser.js';
import { validateWacz } from '../support/wacz-validator.js';

/**
 * The viewer as the web stack deploys it, in real Chromium: its files and a sign-in config.json on one
 * origin whose API paths need a bearer token (API Gateway's JWT authorizer), the archive origin behind
 * capability links (the archive function's gate), and a sign-in server speaking the hosted UI's two
 * endpoints (authorize, token) with PKCE. That server is a stand-in, written here: no Cognito emulator is
 * installed, and cognito-local-style packages emulate the user-pool API, not the hosted UI's OAuth flow.
 * It signs in without a form (no user to type a password) and checks what the viewer must send.
 * Built files (WACZ, evidence bundles) go through the AWS adapter, S3Downloads, into fauxqs's S3 on
 * 127.0.0.1 (path-style presigned links, which Chromium reaches like the other test servers).
 */
const CLIENT_ID = 'viewer-client-1';
const KEY = randomBytes(48);
const EXPORTS_BUCKET = 'redline-exports-viewer';

let archive: ApiArchive;
let aws: Awaited<ReturnType<typeof startAwsEmulator>>;
/** What reached the API's download routes (past the token check): each request's Accept header. */
const downloadRequests: string[] = [];
/** Set by a test: the API's download routes fail as API Gateway answers when the function errs. */
let downloadsFail = false;
let browser: Browser;
let context: BrowserContext;
const servers: Server[] = [];
const origins = { viewer: '', archive: '', auth: '' };
const issued = new Set<string>();
const seen = { authorize: [] as URLSearchParams[], token: [] as URLSearchParams[], bearer: 0, refused: 0 };

function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );
}

/** The hosted UI's authorize and token endpoints for one public client, PKCE S256 required. */
function authServer(): Parameters<typeof createServer>[1] {
  const codes = new Map<string, { challenge: string; redirectUri: string }>();
  return (req, res) => {
    const url = new URL(req.url ?? '/', origins.auth);
    if (req.method === 'GET' && url.pathname === '/oauth2/authorize') {
      const q = url.searchParams;
      seen.authorize.push(q);
      const ok =
        q.get('response_type') === 'code' &&
        q.get('client_id') === CLIENT_ID &&
        q.get('redirect_uri') === `${origins.viewer}/` &&
        q.get('code_challenge_method') === 'S256' &&
        /^[A-Za-z0-9_-]{43}$/.test(q.get('code_challenge') ?? '');
      if (!ok) return res.writeHead(400).end('bad authorize request');
      const code = randomBytes(16).toString('hex');
      codes.set(code, { challenge: q.get('code_challenge')!, redirectUri: q.get('redirect_uri')! });
      const back = new URL(q.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      return res.writeHead(302, { location: back.href }).end();
    }
    if (req.method === 'POST' && url.pathname === '/oauth2/token') {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => {
        const form = new URLSearchParams(body);
        seen.token.push(form);
        const pending = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        const verifier = form.get('code_verifier') ?? '';
        const headers = {
          'content-type': 'application/json',
          'access-control-allow-origin': origins.viewer,
          'cache-control': 'no-store',
        };
        const valid =
          pending &&
          form.get('grant_type') === 'authorization_code' &&
          form.get('client_id') === CLIENT_ID &&
          form.get('redirect_uri') === pending.redirectUri &&
          !form.has('client_secret') &&
          createHash('sha256').update(verifier).digest('base64url') === pending.challenge;
        if (!valid) return res.writeHead(400, headers).end(JSON.stringify({ error: 'invalid_grant' }));
        const token = randomBytes(24).toString('base64url');
        issued.add(token);
        res
          .writeHead(200, headers)
          .end(
            JSON.stringify({ access_token: token, id_token: 'id', token_type: 'Bearer', expires_in: 3600 }),
          );
      });
      return;
    }
    res.writeHead(404).end();
  };
}

beforeAll(async () => {
  archive = await startApiArchive();
  aws = await startAwsEmulator();
  await aws.s3.send(new CreateBucketCommand({ Bucket: EXPORTS_BUCKET }));
  const signer = new ArchiveSigner(KEY, 3600, systemClock);
  let api: ReturnType<typeof createApp> | undefined;
  const files: Record<string, [string, string]> = {
    '/': [INDEX_HTML, 'text/html; charset=utf-8'],
    '/viewer.css': [VIEWER_CSS, 'text/css; charset=utf-8'],
    '/viewer.js': [VIEWER_JS, 'text/javascript; charset=utf-8'],
  };
  // The viewer's distribution: files with the web stack's headers, config.json, the API behind a JWT check.
  const viewerFetch = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    const file = files[path];
    if (file)
      return new Response(file[0], {
        headers: {
          'content-type': file[1],
          'content-security-policy': viewerCsp(origins.archive, [origins.auth]),
          'x-content-type-options': 'nosniff',
        },
      });
    if (path === '/config.json')
      return Response.json({
        apiBase: '',
        auth: {
          domain: origins.auth,
          clientId: CLIENT_ID,
          redirectUri: `${origins.viewer}/`,
          scopes: 'openid email',
        },
      });
    const header = request.headers.get('authorization') ?? '';
    if (!header.startsWith('Bearer ') || !issued.has(header.slice(7))) {
      seen.refused++;
      return Response.json({ message: 'Unauthorized' }, { status: 401 });
    }
    seen.bearer++;
    if (/^\/api\/watches\/[^/]+\/(export|evidence)$/.test(path)) {
      downloadRequests.push(request.headers.get('accept') ?? '');
      if (downloadsFail) return Response.json({ message: 'Internal Server Error' }, { status: 500 });
    }
    return api!.fetch(request);
  };
  origins.viewer = await listen(getRequestListener(viewerFetch));
  origins.auth = await listen(authServer());
  origins.archive = await listen(
    getRequestListener(archiveGate(archive.rt, { appUrl: origins.viewer, key: KEY, clock: systemClock })),
  );
  api = createApp(
    { ...archive.rt, downloads: new S3Downloads(aws.s3, EXPORTS_BUCKET) },
    {
      app: origins.viewer,
      archive: origins.archive,
      signArchive: (p) => signer.sign(p),
    },
  );
  browser = await launchViewerBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
}, 300_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await archive?.close();
  await aws?.stop();
});

async function rendered(page: Page, route: string) {
  await page.waitForFunction(
    (r) => {
      const main = document.getElementById('main');
      return (
        main &&
        !main.hasAttribute('aria-busy') &&
        main.dataset.route === r &&
        main.dataset.rendered === location.hash
      );
    },
    route,
    { timeout: 30_000 },
  );
  expect(await page.locator('h1').textContent()).not.toMatch(
    /^(Something went wrong|Not found|Sign-in failed)$/,
  );
}

describe('the viewer on AWS: sign-in, bearer token, capability links', () => {
  it('a notification’s diff link signs in (code + PKCE) and then shows that diff; the token stays in sessionStorage', async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    const watchId = watchIdFor(URL_A);
    const link = await new ViewerHashLinks(origins.viewer).linkTo(
      { digest: `sha256:${'0'.repeat(64)}`, size: 1, contentType: 'text/html' },
      { watchId, from: 1, to: 2 },
    );
    expect(link).toBe(`${origins.viewer}/#/w/${watchId}/diff/1/2`);
    await page.goto(link);
    await rendered(page, 'diff');

    // One trip through the sign-in: the challenge sent is the verifier's SHA-256, checked by the server.
    expect(seen.authorize).toHaveLength(1);
    expect(seen.token).toHaveLength(1);
    expect(seen.token[0]!.get('code_verifier')).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(issued.size).toBe(1);
    // Back on the diff route, the code gone from the address bar.
    expect(new URL(page.url()).search).toBe('');
    expect(new URL(page.url()).hash).toBe(`#/w/${watchId}/diff/1/2`);
    expect(await page.locator('#diff-summary').textContent()).toMatch(/\d+ edits?, \d+ words? changed/);
    const storage = await page.evaluate(() => ({
      session: sessionStorage.getItem('redline.token'),
      local: localStorage.length,
    }));
    expect(JSON.parse(storage.session!)).toMatchObject({ accessToken: [...issued][0] });
    expect(storage.local).toBe(0);
    expect(seen.bearer).toBeGreaterThan(0);
    expect(seen.refused).toBe(0);
    expect(await page.locator('#sign-out').isVisible()).toBe(true);

    // The version page: its screenshot and archived page come from the archive origin through signed links.
    await page.evaluate((id) => {
      location.hash = `#/w/${id}/v/2`;
    }, watchId);
    await rendered(page, 'v');
    const frame = await page.locator('iframe.archived').getAttribute('src');
    expect(frame).toMatch(new RegExp(`^${origins.archive}/k/\\d+\\.[A-Za-z0-9_-]{43}/blobs/`));
    // The frame's link opens (the viewer's own CSP keeps its script from fetching there: frames and images only).
    const opened = await fetch(frame!);
    expect(opened.status).toBe(200);
    expect(opened.headers.get('content-security-policy')).toBe('sandbox');
    // The archived page was loaded into the frame from the archive origin.
    await expect
      .poll(() => page.frames().some((f) => f.url().startsWith(`${origins.archive}/k/`)), { timeout: 30_000 })
      .toBe(true);
    const text = await page.locator('#version-text').textContent();
    expect(text).not.toMatch(/^(Loading text…|The text could not be read\.)$/);
    // The archived page's own scripts were blocked by the sandbox; nothing else went wrong.
    const blocked = errors.filter((e) => e.startsWith(`Blocked script execution in '${origins.archive}/k/`));
    expect(errors.filter((e) => !blocked.includes(e))).toEqual([]);
    // No second sign-in for the second page.
    expect(seen.authorize).toHaveLength(1);
    await page.close();
  });

  it('without a token the API refuses, and the viewer goes to sign in rather than show an error', async () => {
    const page = await context.newPage();
    const before = seen.authorize.length;
    await page.goto(`${origins.viewer}/#/`);
    await rendered(page, 'list');
    expect(seen.authorize.length).toBe(before + 1);
    const unauthenticated = await fetch(`${origins.viewer}/api/watches`);
    expect(unauthenticated.status).toBe(401);
    await page.close();
  });

  it('the WACZ and evidence links fetch the link as JSON with the token, then download the file from S3', async () => {
    const page = await context.newPage();
    // Every CSP violation in the viewer is recorded: the download must not need connect-src beyond 'self'.
    await page.addInitScript(() => {
      const w = window as unknown as { violations: string[] };
      w.violations = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        w.violations.push(`${e.violatedDirective} ${e.blockedURI}`),
      );
    });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    const watchId = watchIdFor(URL_A);
    const download = async (selector: string) => {
      const [file] = await Promise.all([
        page.waitForEvent('download', { timeout: 60_000 }),
        page.click(selector),
      ]);
      return { url: file.url(), name: file.suggestedFilename(), bytes: await readFile((await file.path())!) };
    };
    const signIns = seen.authorize.length;
    await page.goto(`${origins.viewer}/#/w/${watchId}`);
    await rendered(page, 'watch');
    const csp = (await fetch(`${origins.viewer}/`)).headers.get('content-security-policy') ?? '';
    expect(csp).toContain(`connect-src 'self' ${origins.auth};`);
    expect(csp).not.toContain(aws.endpoint);

    const before = downloadRequests.length;
    const wacz = await download('#watch-wacz');
    // The API was asked for JSON, with the token (the request passed the bearer check to be recorded).
    expect(downloadRequests.slice(before)).toEqual(['application/json']);
    // The browser got the file from the bucket through the presigned link, not from the API.
    expect(wacz.url.startsWith(`${aws.endpoint}/${EXPORTS_BUCKET}/exports/`)).toBe(true);
    expect(new URL(wacz.url).searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    // fauxqs sends no Content-Disposition: the name here comes from the key, which ends with it.
    expect(wacz.name).toMatch(/^redline-news\.example-story-[0-9a-f]{8}-v1-v3\.wacz$/);
    expect(await validateWacz(wacz.bytes)).toEqual([]);
    expect(await page.locator('#main .download-status').textContent()).toBe(` Downloading ${wacz.name}…`);

    await page.evaluate((id) => {
      location.hash = `#/w/${id}/diff/1/3`;
    }, watchId);
    await rendered(page, 'diff');
    const bundle = await download('#diff-evidence');
    expect(downloadRequests.slice(before)).toEqual(['application/json', 'application/json']);
    expect(bundle.url.startsWith(`${aws.endpoint}/${EXPORTS_BUCKET}/exports/`)).toBe(true);
    expect(bundle.name).toBe(wacz.name.replace(/\.wacz$/, '.zip'));
    expect(bundle.bytes.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    expect(bundle.bytes.includes(Buffer.from('SHA256SUMS'))).toBe(true);

    // Still on the diff, still signed in, nothing blocked by the CSP, nothing logged.
    expect(new URL(page.url()).hash).toBe(`#/w/${watchId}/diff/1/3`);
    expect(await page.evaluate(() => (window as unknown as { violations: string[] }).violations)).toEqual([]);
    expect(errors).toEqual([]);
    expect(seen.authorize).toHaveLength(signIns + 1);
    await page.close();
  });

  it('a download the API cannot prepare shows why, and the page stays', async () => {
    const page = await context.newPage();
    const watchId = watchIdFor(URL_A);
    await page.goto(`${origins.viewer}/#/w/${watchId}/diff/1/3`);
    await rendered(page, 'diff');
    downloadsFail = true;
    try {
      await page.click('#diff-evidence');
      const status = page.locator('#main .download-status');
      await expect
        .poll(() => status.textContent(), { timeout: 30_000 })
        .toBe(' The download failed: Internal Server Error');
    } finally {
      downloadsFail = false;
    }
    expect(await page.locator('#diff-evidence').getAttribute('aria-busy')).toBeNull();
    expect(new URL(page.url()).hash).toBe(`#/w/${watchId}/diff/1/3`);
    await page.close();
  });
});
