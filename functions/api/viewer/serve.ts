import type { Context, Hono } from 'hono';
import type { ApiUrls } from '../views.js';
import { VIEWER_JS } from './client.js';
import { INDEX_HTML, VIEWER_CSS } from './page.js';

/**
 * The viewer's Content-Security-Policy: its own script and stylesheet only (no inline script or style),
 * API calls to its own origin, images and frames only from the archive origin (archived pages are shown
 * only in sandboxed iframes there), and no framing of the viewer itself.
 */
export function viewerCsp(archive: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
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

/** The viewer on the app origin: `/` (one page, hash routes), `/viewer.css` and `/viewer.js`. */
export function mountViewer(app: Hono, urls: () => ApiUrls): void {
  app.get('/', (c) => asset(c, INDEX_HTML, 'text/html; charset=utf-8', urls().archive));
  app.get('/viewer.css', (c) => asset(c, VIEWER_CSS, 'text/css; charset=utf-8', urls().archive));
  app.get('/viewer.js', (c) => asset(c, VIEWER_JS, 'text/javascript; charset=utf-8', urls().archive));
}
