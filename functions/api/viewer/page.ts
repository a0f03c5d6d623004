/** The viewer's one HTML page (served at `/`), its stylesheet (/viewer.css); no inline script or style. */
export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Redline</title>
<link rel="stylesheet" href="/viewer.css">
<script type="module" src="/viewer.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="#/">Redline</a>
<nav aria-label="Main"><a href="#/">Watches</a> <a href="#/add">Add a watch</a></nav>
</header>
<main id="main" aria-live="polite"><p>Loading…</p></main>
<noscript><p>The viewer needs JavaScript; the JSON API is under /api/.</p></noscript>
</body>
</html>
`;

export const VIEWER_CSS = `:root {
  --fg: #1b1b1f; --muted: #5d5d68; --bg: #fbfbf9; --line: #d9d9de; --accent: #8a1020;
  --ins: #dff3e2; --del: #fbe1e1; --focus: #1a56d6;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; line-height: 1.45;
  color: var(--fg); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
/* The heading takes focus on each route change (for screen readers); it is not a control. */
#page-title:focus { outline: none; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: .5rem; background: #fff; padding: .25rem .5rem; }
.top { display: flex; gap: 1.5rem; align-items: baseline; padding: .75rem 1.25rem; border-bottom: 3px solid var(--accent); background: #fff; flex-wrap: wrap; }
.top nav a { margin-right: 1rem; }
.brand { font-weight: 700; font-size: 1.25rem; text-decoration: none; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
h1 { font-size: 1.4rem; overflow-wrap: anywhere; }
h2 { font-size: 1.1rem; margin-top: 1.75rem; }
.meta, .muted, caption { color: var(--muted); }
caption { text-align: left; padding: .25rem 0; }
.filters { display: flex; flex-wrap: wrap; gap: .75rem; align-items: end; margin: .5rem 0 1rem; }
label { display: inline-flex; flex-direction: column; gap: .2rem; font-size: .9rem; }
input, select, button { font: inherit; padding: .35rem .5rem; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num { text-align: right; }
.url { overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: 3px; font-size: .8rem; background: #ececf0; margin: 0 .25rem; }
.badge-complete { background: #dff3e2; } .badge-partial { background: #fff1c9; }
.badge-failed, .badge-anomaly { background: var(--del); color: #7a0b0b; } .badge-removed { background: #ddd; }
.tag { margin-right: .4rem; font-size: .85rem; }
.timeline { list-style: none; padding: 0; border-left: 2px solid var(--line); }
.event { padding: .35rem .75rem; position: relative; }
.event::before { content: ""; position: absolute; left: -6px; top: .8rem; width: 10px; height: 10px; border-radius: 50%; background: var(--line); }
.event-version::before { background: var(--accent); }
.event-failed::before, .event-anomaly::before { background: #c0392b; }
.event time { font-variant-numeric: tabular-nums; color: var(--muted); }
.pager { display: flex; flex-wrap: wrap; gap: 1rem; margin: .75rem 0; }
.shot { max-width: 100%; border: 1px solid var(--line); }
.archived { width: 100%; height: 32rem; border: 1px solid var(--line); background: #fff; }
pre.text { white-space: pre-wrap; overflow-wrap: anywhere; background: #fff; border: 1px solid var(--line); padding: .75rem; max-height: 30rem; overflow: auto; }
dl.capture { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.capture dd { margin: 0; overflow-wrap: anywhere; }
code { font-size: .85rem; overflow-wrap: anywhere; }
.edits { padding-left: 1.25rem; }
.edit { margin-bottom: 1rem; }
.edit-major .kind .badge { background: #f6d7a8; }
ins { background: var(--ins); text-decoration: none; display: block; padding: .25rem .4rem; }
del { background: var(--del); display: block; padding: .25rem .4rem; }
ins::before { content: "+ "; } del::before { content: "− "; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: .5rem; }
.side .before { background: var(--del); padding: .25rem .4rem; }
.side .after { background: var(--ins); padding: .25rem .4rem; }
.add { display: grid; gap: .75rem; max-width: 32rem; }
.error { color: #7a0b0b; }
button.link { background: none; color: var(--accent); border: 0; padding: 0; text-decoration: underline; }
@media (max-width: 40rem) {
  main { padding: .75rem; }
  .side { grid-template-columns: 1fr; }
  table.watches thead { display: none; }
  table.watches tr { display: block; border-bottom: 1px solid var(--line); padding: .4rem 0; }
  table.watches td { display: inline-block; border: 0; padding: .15rem .4rem .15rem 0; }
  table.watches td:first-child { display: block; }
  table.watches td[data-label]::before { content: attr(data-label) " "; color: var(--muted); font-size: .8rem; }
  .archived { height: 22rem; }
}
`;
