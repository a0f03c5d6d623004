/**
 * Sign-in on AWS, plain browser JavaScript with no DOM access (test/unit/viewer-auth.test.ts runs it in a
 * Node VM): Cognito's hosted UI, authorization code with PKCE (S256), for a public client. `auth` is the
 * `auth` block of the deployed /config.json: `{ domain, clientId, redirectUri, scopes }`.
 */
export const AUTH_JS = String.raw`// Redline viewer: sign-in (authorization code + PKCE) when /config.json asks for it.
function base64url(bytes) {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
function randomString(bytes) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes || 32)));
}
// RFC 7636: the challenge is BASE64URL(SHA-256(ASCII(verifier))).
async function pkceChallenge(verifier) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}
function authorizeUrl(auth, state, challenge) {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: auth.clientId,
    redirect_uri: auth.redirectUri,
    scope: auth.scopes || 'openid',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  return auth.domain.replace(/\/+$/, '') + '/oauth2/authorize?' + query;
}
function tokenRequest(auth, code, verifier) {
  return {
    url: auth.domain.replace(/\/+$/, '') + '/oauth2/token',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: auth.clientId,
      code,
      redirect_uri: auth.redirectUri,
      code_verifier: verifier,
    }).toString(),
  };
}
function logoutUrl(auth) {
  const query = new URLSearchParams({ client_id: auth.clientId, logout_uri: auth.redirectUri });
  return auth.domain.replace(/\/+$/, '') + '/logout?' + query;
}
`;

/**
 * The viewer's script module, served as /viewer.js. Plain browser JavaScript kept as a string so esbuild
 * bundles it into the CLI (no file is read at run time). It must contain no backquote or dollar-brace.
 * Every value from the API or an archived page goes into the DOM as text (textContent, attributes set one
 * by one); archived HTML is only ever the src of a sandboxed iframe on the archive origin.
 *
 * Locally there is no /config.json: no sign-in, requests as they are. On AWS /config.json (deployed with
 * these files) names the sign-in: the access token lives in sessionStorage (gone with the tab, never in
 * localStorage) and goes with every API request as `Authorization: Bearer`.
 */
export const VIEWER_JS =
  AUTH_JS +
  String.raw`// Redline viewer: hash routes over the JSON API.
const main = document.getElementById('main');
const TOKEN_KEY = 'redline.token';
const LOGIN_KEY = 'redline.login';
let auth = null;
let apiBase = '';

function storedToken() {
  try {
    const token = JSON.parse(sessionStorage.getItem(TOKEN_KEY) || 'null');
    return token && token.accessToken && token.expiresAt > Date.now() + 30000 ? token : null;
  } catch (e) {
    return null;
  }
}

async function signIn() {
  const verifier = randomString(48);
  const state = randomString(16);
  sessionStorage.setItem(LOGIN_KEY, JSON.stringify({ verifier, state, hash: location.hash }));
  location.assign(authorizeUrl(auth, state, await pkceChallenge(verifier)));
  // Navigating away: nothing renders meanwhile.
  return new Promise(() => {});
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  location.assign(logoutUrl(auth));
}

// Back from the hosted UI with ?code=&state=: exchange the code (with the verifier) for tokens.
async function finishSignIn() {
  const query = new URLSearchParams(location.search);
  const code = query.get('code');
  if (!code) return;
  const pending = JSON.parse(sessionStorage.getItem(LOGIN_KEY) || 'null');
  sessionStorage.removeItem(LOGIN_KEY);
  history.replaceState(null, '', location.pathname + ((pending && pending.hash) || ''));
  if (!pending || pending.state !== query.get('state')) throw new Error('the sign-in answer does not match this tab; sign in again');
  const exchange = tokenRequest(auth, code, pending.verifier);
  const response = await fetch(exchange.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: exchange.body });
  const body = await response.json().catch(() => ({}));
  if (!response.ok || !body.access_token) throw new Error('sign-in failed: ' + (body.error || response.status));
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify({ accessToken: body.access_token, expiresAt: Date.now() + Number(body.expires_in || 3600) * 1000 }));
}

// /config.json: deployed with these files on AWS (sign-in settings); the local server's has no auth.
async function configure() {
  const response = await fetch('/config.json', { cache: 'no-store' }).catch(() => null);
  const config = response && response.ok ? await response.json().catch(() => null) : null;
  if (!config || !config.auth) return;
  auth = config.auth;
  apiBase = (config.apiBase || '').replace(/\/+$/, '');
  await finishSignIn();
  if (!storedToken()) await signIn();
  const nav = document.querySelector('header.top nav');
  if (nav) nav.append(' ', el('button', { type: 'button', class: 'link', id: 'sign-out', onclick: signOut }, 'Sign out'));
}

// Every API request: the API base, and on AWS the bearer token (a 401 signs in again).
async function request(path, init) {
  const options = Object.assign({}, init || {});
  if (auth) {
    const token = storedToken() || (await signIn());
    options.headers = Object.assign({}, options.headers || {}, { authorization: 'Bearer ' + token.accessToken });
  }
  const response = await fetch(apiBase + path, options);
  if (auth && response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    await signIn();
  }
  return response;
}
const LIMIT_ROWS = 5000;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

class ApiFailure extends Error {
  constructor(message, status) {
    super(message);
    this.name = 'ApiFailure';
    this.status = status;
  }
}

async function api(path, init) {
  const response = await request(path, init);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiFailure((body.error && body.error.message) || response.statusText, response.status);
  return body;
}

const enc = encodeURIComponent;
const when = (iso) => (iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : '—');
const link = (href, text, attrs) => el('a', Object.assign({ href }, attrs || {}), text);
const watchLink = (id) => '#/w/' + enc(id);
const versionLink = (id, n) => '#/w/' + enc(id) + '/v/' + n;
const diffLink = (id, from, to, view) => '#/w/' + enc(id) + '/diff/' + from + '/' + to + (view ? '?view=' + view : '');

// A built file (WACZ, evidence bundle). Locally: a plain download link. On AWS a link cannot carry the bearer
// token the API needs, and the API hands the file over as a short-lived S3 link: on a click, ask the API
// for that link as JSON (with the token), then go to it. Going there is a navigation, not a fetch, so the
// CSP's connect-src stays 'self'; S3 names the file as an attachment, so the browser downloads it.
function downloadLink(path, text, attrs) {
  const status = el('span', { class: 'muted download-status', role: 'status' });
  let busy = false;
  const onclick = async (event) => {
    if (!auth) return;
    event.preventDefault();
    if (busy) return;
    busy = true;
    anchor.setAttribute('aria-busy', 'true');
    status.textContent = ' Preparing…';
    try {
      const answer = await api(path, { headers: { accept: 'application/json' } });
      const href = typeof answer.href === 'string' ? new URL(answer.href) : null;
      if (!href || (href.protocol !== 'https:' && href.protocol !== 'http:')) throw new Error('the API gave no download link');
      status.textContent = ' Downloading ' + answer.name + '…';
      location.assign(href.href);
    } catch (error) {
      status.textContent = ' The download failed: ' + error.message;
    } finally {
      busy = false;
      anchor.removeAttribute('aria-busy');
    }
  };
  const anchor = link(path, text, Object.assign({}, attrs || {}, { download: true, onclick }));
  return el('span', { class: 'download' }, anchor, status);
}

function statusBadge(status) {
  return el('span', { class: 'badge badge-' + status }, status);
}

function wordCount(text) {
  return text ? text.split(/\s+/).filter(Boolean).length : 0;
}
function wordsChanged(edits) {
  let total = 0;
  for (const e of edits.slice(0, LIMIT_ROWS)) total += Math.max(wordCount(e.before), wordCount(e.after));
  return total;
}

const plural = (n, word) => n + ' ' + word + (n === 1 ? '' : 's');

function setTitle(text) {
  document.title = text + ' · Redline';
}

const screen = (title, ...children) => ({ title, children });

function page(title, ...children) {
  setTitle(title);
  main.replaceChildren(el('h1', { tabindex: '-1', id: 'page-title' }, title), ...children);
  document.getElementById('page-title').focus({ preventScroll: true });
}

// ---- the watch list ----
async function listPage(params) {
  const query = new URLSearchParams();
  if (params.get('tag')) query.set('tag', params.get('tag'));
  if (params.get('status')) query.set('status', params.get('status'));
  const since = params.get('since') || '';
  const filteredOnly = query.toString() !== '';
  const [filtered, all] = filteredOnly
    ? await Promise.all([api('/api/watches?' + query), api('/api/watches')])
    : await api('/api/watches').then((list) => [list, list]);
  const tags = [...new Set(all.watches.flatMap((w) => w.tags || []))].sort();
  const sinceTime = since ? Date.parse(since) : NaN;
  const watches = filtered.watches.filter(
    (w) => Number.isNaN(sinceTime) || (w.lastEdit && Date.parse(w.lastEdit.capturedAt) > sinceTime),
  );

  const select = (name, label, options, current) =>
    el('label', {}, label + ' ',
      el('select', { name },
        el('option', { value: '' }, 'any'),
        options.map((o) => el('option', { value: o, selected: o === current }, o))));
  const form = el('form', { class: 'filters', role: 'search', onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const next = new URLSearchParams();
    for (const [k, v] of data) if (v) next.set(k, v);
    location.hash = '#/' + (next.toString() ? '?' + next : '');
  } },
    select('tag', 'Tag', tags, params.get('tag')),
    select('status', 'Status', ['pending', 'complete', 'partial', 'failed', 'anomaly'], params.get('status')),
    el('label', {}, 'Changed since ', el('input', { type: 'date', name: 'since', value: since })),
    el('button', { type: 'submit' }, 'Filter'),
    link('#/', 'Clear'));

  const rows = watches.map((w) =>
    el('tr', { 'data-watch': w.id },
      el('td', {}, link(watchLink(w.id), w.url, { class: 'url' })),
      el('td', { 'data-label': 'Status' }, w.removed ? statusBadge('removed') : statusBadge(w.status)),
      el('td', { 'data-label': 'Captured' }, when(w.lastCapturedAt), w.lastStatus ? el('span', { class: 'muted' }, ' (' + w.lastStatus + ')') : ''),
      el('td', { 'data-label': 'Edited' }, w.lastEdit ? link(versionLink(w.id, w.lastEdit.version), 'v' + w.lastEdit.version + ' · ' + when(w.lastEdit.capturedAt)) : '—'),
      el('td', { 'data-label': 'Anomaly' }, w.lastAnomaly ? el('span', { class: 'badge badge-anomaly' }, w.lastAnomaly) : '—'),
      el('td', { class: 'num', 'data-label': 'Versions' }, w.versionCount),
      el('td', { 'data-label': 'Tags' }, (w.tags || []).map((t) => link('#/?tag=' + enc(t), t, { class: 'tag' })))));
  const table = el('table', { class: 'watches' },
    el('caption', {}, watches.length + ' of ' + all.total + ' watches' + (since ? ' changed since ' + since : '')),
    el('thead', {}, el('tr', {}, ['URL', 'Status', 'Last capture', 'Last edit', 'Open anomaly', 'Versions', 'Tags'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows));
  return screen('Watches', form, el('div', { class: 'scroll' }, table), watches.length ? '' : el('p', { class: 'empty' }, 'No watch matches.'));
}

// ---- a watch's timeline ----
async function watchPage(id) {
  const [watch, versions, captures] = await Promise.all([
    api('/api/watches/' + enc(id)),
    api('/api/watches/' + enc(id) + '/versions'),
    api('/api/watches/' + enc(id) + '/captures'),
  ]);
  const versionByNumber = new Map(versions.versions.map((v) => [v.number, v]));
  const items = captures.captures.slice().sort((a, b) => (a.capturedAt < b.capturedAt ? 1 : -1)).slice(0, LIMIT_ROWS).map((c) => {
    const v = c.verdict === 'first' || c.verdict === 'edited' ? versionByNumber.get(c.version) : undefined;
    const kind = c.status === 'failed' ? 'failed' : c.anomaly ? 'anomaly' : v ? 'version' : 'unchanged';
    const what = v
      ? el('span', {}, link(versionLink(id, v.number), 'Version ' + v.number), ' · ' + v.title + ' · ',
          v.number > 1
            ? link(diffLink(id, v.number - 1, v.number), plural(v.edits.length + (v.omittedEdits || 0), 'edit') + ', ' + plural(wordsChanged(v.edits), 'word') + ' changed')
            : 'first version',
          v.silent ? el('span', { class: 'badge badge-anomaly', title: 'the text changed while the page kept its modified date' }, 'silent') : '',
          v.revertOf ? el('span', { class: 'badge' }, 'reverts to v' + v.revertOf) : '')
      : c.status === 'failed'
        ? el('span', {}, 'Capture failed' + (c.reason ? ': ' + c.reason : ''))
        : c.anomaly
          ? el('span', {}, 'Anomaly: ' + c.anomaly + (c.http ? ' (HTTP ' + c.http.status + ')' : ''))
          : el('span', {}, 'Unchanged' + (c.version ? ' (v' + c.version + ')' : ''));
    return el('li', { class: 'event event-' + kind, 'data-kind': kind },
      el('time', { datetime: c.capturedAt }, when(c.capturedAt)), ' ', statusBadge(kind === 'version' ? c.status : kind), ' ', what);
  });
  const tags = (watch.tags || []).map((t) => link('#/?tag=' + enc(t), t, { class: 'tag' }));
  return screen(watch.url,
    el('p', { class: 'meta' }, watch.removed ? statusBadge('removed') : statusBadge(watch.status), ' ',
      watch.versionCount + ' versions · every ' + Math.round((watch.cadenceSeconds || 0) / 60) + ' min · mode ' + (watch.mode || '—') + ' ', tags),
    el('p', {}, link(watch.url, 'Open the live page', { rel: 'noopener noreferrer', target: '_blank' }), ' · ',
      versions.versions.length > 1 ? link(diffLink(id, 1, versions.versions.length), 'Compare first and latest') : '',
      versions.versions.length > 0 ? ' · ' : '',
      versions.versions.length > 0 ? downloadLink('/api/watches/' + enc(id) + '/export?format=wacz', 'Export WACZ', { id: 'watch-wacz', title: 'Every version as one web archive (WACZ 1.1.1)' }) : ''),
    el('h2', {}, 'Timeline'),
    el('ol', { class: 'timeline' }, items));
}

// ---- a version ----
async function versionPage(id, number) {
  const [v, captures, versions] = await Promise.all([
    api('/api/watches/' + enc(id) + '/versions/' + number),
    api('/api/watches/' + enc(id) + '/captures'),
    api('/api/watches/' + enc(id) + '/versions'),
  ]);
  const count = versions.versions.length;
  const capture = captures.captures.find((c) => c.captureId === v.captureId);
  const a = v.artifacts;
  const text = el('pre', { class: 'text', id: 'version-text' }, 'Loading text…');
  if (a.text) {
    request('/api/blobs/' + a.text.digest + '?watch=' + enc(id))
      .then((r) => (r.ok ? r.text() : Promise.reject(new Error(r.statusText))))
      .then((t) => { text.textContent = t; })
      .catch(() => { text.textContent = 'The text could not be read.'; });
  } else text.textContent = 'No extracted text.';
  const digests = el('table', { class: 'digests' },
    el('thead', {}, el('tr', {}, ['Artifact', 'Type', 'Bytes', 'SHA-256'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, Object.entries(a).map(([kind, ref]) =>
      el('tr', {}, el('td', {}, link(ref.href, kind)), el('td', {}, ref.contentType), el('td', { class: 'num' }, ref.size), el('td', {}, el('code', {}, ref.digest))))));
  const nav = el('nav', { class: 'pager', 'aria-label': 'Versions' },
    number > 1 ? link(versionLink(id, number - 1), '← Version ' + (number - 1), { rel: 'prev' }) : '',
    link(watchLink(id), 'Timeline'),
    number < count ? link(versionLink(id, number + 1), 'Version ' + (number + 1) + ' →', { rel: 'next' }) : '',
    number > 1 ? link(diffLink(id, number - 1, number), 'Diff with v' + (number - 1)) : '');
  const sections = [
    el('p', { class: 'meta' }, v.title + ' · captured ' + when(v.capturedAt) + ' · ', link(v.links.memento, 'Memento')),
    nav,
  ];
  if (a.screenshot) sections.push(el('h2', {}, 'Screenshot'), el('img', { class: 'shot', src: a.screenshot.href, alt: 'Screenshot of version ' + number, loading: 'lazy' }));
  if (a.pdf) sections.push(el('h2', {}, 'PDF'), el('p', {}, link(a.pdf.href, 'Open the PDF (' + a.pdf.size + ' bytes)', { rel: 'noopener noreferrer', target: '_blank' })));
  if (a.rendered || a.raw) {
    const html = a.rendered || a.raw;
    sections.push(el('h2', {}, 'Archived page'),
      el('p', { class: 'muted' }, 'Shown sandboxed from the archive origin: its scripts do not run.'),
      el('iframe', { class: 'archived', sandbox: '', referrerpolicy: 'no-referrer', title: 'Archived page, version ' + number, src: html.href }));
  }
  sections.push(el('h2', {}, 'Extracted text'), text, el('h2', {}, 'Capture'));
  if (capture) {
    sections.push(el('dl', { class: 'capture' },
      el('dt', {}, 'Capture id'), el('dd', {}, el('code', {}, capture.captureId)),
      el('dt', {}, 'Status'), el('dd', {}, capture.status + (capture.reason ? ' — ' + capture.reason : '')),
      el('dt', {}, 'Started'), el('dd', {}, when(capture.startedAt)),
      el('dt', {}, 'HTTP'), el('dd', {}, capture.http ? capture.http.status + ' ' + capture.http.contentType + ' ← ' + capture.http.finalUrl : '—'),
      el('dt', {}, 'Text hash'), el('dd', {}, el('code', {}, v.textHash)),
      el('dt', {}, 'Steps'), el('dd', {}, capture.steps.slice(0, 100).map((s) => s.name + ' ' + s.status + ' ' + s.ms + ' ms').join(' · '))));
  }
  sections.push(el('h3', {}, 'Digests'), el('div', { class: 'scroll' }, digests));
  return screen('Version ' + number + ' of ' + v.url, ...sections);
}

// ---- a diff ----
function inlineEdit(e) {
  return el('div', { class: 'inline' },
    e.before !== undefined ? el('del', {}, e.before) : '',
    e.after !== undefined ? el('ins', {}, e.after) : '');
}
function sideEdit(e) {
  return el('div', { class: 'side' }, el('div', { class: 'before' }, e.before !== undefined ? e.before : ''), el('div', { class: 'after' }, e.after !== undefined ? e.after : ''));
}

async function diffPage(id, from, to, params) {
  const view = params.get('view') === 'side' ? 'side' : 'inline';
  const [d, versions] = await Promise.all([
    api('/api/watches/' + enc(id) + '/diff?from=' + from + '&to=' + to),
    api('/api/watches/' + enc(id) + '/versions'),
  ]);
  const count = versions.versions.length;
  const options = (current) => versions.versions.map((v) => el('option', { value: v.number, selected: v.number === current }, 'v' + v.number + ' · ' + when(v.capturedAt)));
  const picker = el('form', { class: 'filters', onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    location.hash = diffLink(id, data.get('from'), data.get('to'), view === 'side' ? 'side' : '');
  } },
    el('label', {}, 'From ', el('select', { name: 'from' }, options(from))),
    el('label', {}, 'To ', el('select', { name: 'to' }, options(to))),
    el('button', { type: 'submit' }, 'Compare'));
  const prev = from > 1 ? diffLink(id, from - 1, to - 1 > from - 1 ? to - 1 : from, view === 'side' ? 'side' : '') : '';
  const next = to < count ? diffLink(id, from + 1, to + 1, view === 'side' ? 'side' : '') : '';
  const nav = el('nav', { class: 'pager', 'aria-label': 'Diffs' },
    prev ? link(prev, '← Previous', { rel: 'prev', id: 'diff-prev' }) : el('span', { class: 'muted' }, '← Previous'),
    link(diffLink(id, from, to, view === 'side' ? '' : 'side'), view === 'side' ? 'Inline view' : 'Side by side', { id: 'diff-view' }),
    link(watchLink(id), 'Timeline'),
    next ? link(next, 'Next →', { rel: 'next', id: 'diff-next' }) : el('span', { class: 'muted' }, 'Next →'));
  const edits = d.edits.slice(0, LIMIT_ROWS).map((e) =>
    el('li', { class: 'edit edit-' + e.significance, 'data-kind': e.kind },
      el('p', { class: 'kind' }, el('span', { class: 'badge' }, e.kind.replace(/_/g, ' ')), ' ', e.significance, e.page ? ' · page ' + e.page : ''),
      view === 'side' ? sideEdit(e) : inlineEdit(e)));
  return screen('Version ' + from + ' → ' + to,
    el('p', { class: 'meta' }, link(watchLink(id), d.url), ' · ' + when(d.from.capturedAt) + ' → ' + when(d.to.capturedAt)),
    picker, nav,
    from < to
      ? el('p', {}, downloadLink('/api/watches/' + enc(id) + '/evidence?from=' + from + '&to=' + to, 'Evidence bundle (' + from + '→' + to + ')',
          { id: 'diff-evidence', title: 'Both versions, the diff, the manifest chain, timestamp tokens, a WACZ and a report, verifiable offline' }))
      : '',
    el('p', { class: 'summary', id: 'diff-summary' }, plural(d.edits.length, 'edit') + ', ' + plural(wordsChanged(d.edits), 'word') + ' changed' + (d.to.silent ? ' · silent: the page kept its modified date' : '')),
    el('ol', { class: 'edits ' + view }, edits));
}

// ---- add a watch ----
function addPage() {
  const out = el('p', { role: 'status', id: 'add-status' });
  const form = el('form', { class: 'add', onsubmit: async (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const body = { url: String(data.get('url')), every: String(data.get('every')), mode: String(data.get('mode')) };
    const tags = String(data.get('tags') || '').split(',').map((t) => t.trim()).filter(Boolean);
    if (tags.length) body.tags = tags;
    out.textContent = 'Adding…';
    try {
      const watch = await api('/api/watches', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      location.hash = watchLink(watch.id);
    } catch (error) {
      out.textContent = 'Not added: ' + error.message;
    }
  } },
    el('label', {}, 'URL', el('input', { type: 'url', name: 'url', required: true, placeholder: 'https://news.example/story' })),
    el('label', {}, 'Every', el('input', { name: 'every', value: '1h', required: true })),
    el('label', {}, 'Mode', el('select', { name: 'mode' }, ['auto', 'http', 'browser'].map((m) => el('option', { value: m }, m)))),
    el('label', {}, 'Tags (comma separated)', el('input', { name: 'tags' })),
    el('button', { type: 'submit' }, 'Add watch'));
  return screen('Add a watch', form, out);
}

// ---- routing ----
let latest = 0;
async function route() {
  const token = ++latest;
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, queryString] = hash.split('?');
  const params = new URLSearchParams(queryString || '');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  main.setAttribute('aria-busy', 'true');
  let shown;
  try {
    if (parts.length === 0) shown = await listPage(params);
    else if (parts[0] === 'add') shown = addPage();
    else if (parts[0] === 'w' && parts.length === 2) shown = await watchPage(parts[1]);
    else if (parts[0] === 'w' && parts[2] === 'v' && parts.length === 4) shown = await versionPage(parts[1], Number(parts[3]));
    else if (parts[0] === 'w' && parts[2] === 'diff' && parts.length === 5) shown = await diffPage(parts[1], Number(parts[3]), Number(parts[4]), params);
    else shown = screen('Not found', el('p', {}, 'No page here. '), link('#/', 'Back to the watches'));
  } catch (error) {
    shown = screen('Something went wrong', el('p', { class: 'error' }, error.message), link('#/', 'Back to the watches'));
  }
  // A later navigation started while this one loaded: it renders instead.
  if (token !== latest) return;
  page(shown.title, ...shown.children);
  main.removeAttribute('aria-busy');
  main.dataset.route = parts[0] === 'w' ? (parts[2] || 'watch') : parts[0] || 'list';
  main.dataset.rendered = location.hash || '#/';
}

document.addEventListener('keydown', (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
  const target = event.target;
  if (target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName))) return;
  const rel = event.key === 'ArrowLeft' ? 'prev' : event.key === 'ArrowRight' ? 'next' : '';
  if (!rel || (main.dataset.route !== 'diff' && main.dataset.route !== 'v')) return;
  const a = main.querySelector('nav.pager a[rel="' + rel + '"]');
  if (a) {
    event.preventDefault();
    location.hash = a.getAttribute('href');
  }
});
addEventListener('hashchange', route);
configure()
  .then(route)
  .catch((error) => page('Sign-in failed', el('p', { class: 'error' }, error.message), el('p', {}, el('a', { href: location.pathname }, 'Try again'))));
`;
