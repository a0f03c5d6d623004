import { type Context, Hono } from 'hono';
import type { ApiUrls } from '../views.js';
import { VIEWER_JS } from './client.js';
import { INDEX_HTML, VIEWER_CSS } from './page.js';

/**
 * The viewer's Content-Security-Policy: its own script and stylesheet only (no inline script or style),
 * API calls to its own origin, images and frames only from the archive origin (archived pages are shown
 * only in sandboxed iframes there), and no framing of the viewer itself.
 */
export function viewerCsp(archive: string, connect: string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    // On AWS the viewer also exchanges its sign-in code at the Cognito domain's token endpoint.
    ["connect-src 'self'", ...connect].join(' '),
    `img-src 'self' ${archive}`,
    `frame-src ${archive}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const asset = (c: Context, body: string, type: string, archive: string) =>
  c.body(body, 200, {
    'Content-Type': type,
    'Content-Security-Policy': viewerCsp(archive),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cache-Control': 'no-cache',
  });

/** The viewer's configuration on the local server: no `auth`, so no sign-in. */
export const LOCAL_CONFIG = JSON.stringify({ apiBase: '' });

const ASSETS: Record<string, { body: string; type: string }> = {
  '/': { body: INDEX_HTML, type: 'text/html; charset=utf-8' },
  '/viewer.css': { body: VIEWER_CSS, type: 'text/css; charset=utf-8' },
  '/viewer.js': { body: VIEWER_JS, type: 'text/javascript; charset=utf-8' },
  // Local mode: no sign-in, the API on this origin. On AWS the web stack deploys its own config.json.
  '/config.json': { body: LOCAL_CONFIG, type: 'application/json; charset=utf-8' },
};

/** The viewer on the app origin: `/` (one page, hash routes), `/viewer.css`, `/viewer.js` and `/config.json`. */
export function mountViewer(app: Hono, urls: () => ApiUrls): void {
  for (const [path, { body, type }] of Object.entries(ASSETS))
    app.get(path, (c) => asset(c, body, type, urls().archive));
}

/**
 * The app origin with the viewer in front of the API: GET/HEAD of the viewer's own paths go to the
 * viewer, everything else to `api` unchanged (its routes, errors and 404s stay the API's).
 */
export function withViewer(
  api: (request: Request) => Response | Promise<Response>,
  urls: () => ApiUrls,
): (request: Request) => Response | Promise<Response> {
  const viewer = new Hono();
  mountViewer(viewer, urls);
  return (request) => {
    const isViewer =
      (request.method === 'GET' || request.method === 'HEAD') &&
      Object.hasOwn(ASSETS, new URL(request.url).pathname);
    return isViewer ? viewer.fetch(request) : api(request);
  };
}
