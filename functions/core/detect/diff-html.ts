import type { Edit } from '../domain/model.js';
import { wordDiff } from './diff.js';

export interface DiffPageInput {
  url: string;
  title: string;
  from: { number: number; capturedAt: string; textHash: string };
  to: { number: number; capturedAt: string; textHash: string };
  edits: Edit[];
  silent?: boolean;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

function inline(edit: Edit): string {
  if (edit.before !== undefined && edit.after !== undefined) {
    return wordDiff(edit.before, edit.after)
      .map((part) =>
        part.op === 'ins'
          ? `<ins>${escapeHtml(part.text)}</ins>`
          : part.op === 'del'
            ? `<del>${escapeHtml(part.text)}</del>`
            : escapeHtml(part.text),
      )
      .join('');
  }
  if (edit.after !== undefined) return `<ins>${escapeHtml(edit.after)}</ins>`;
  return `<del>${escapeHtml(edit.before ?? '')}</del>`;
}

/**
 * A standalone HTML page showing the edits between two versions, inline. Only Redline's own text and
 * escaped article text: no archived markup, no scripts (a CSP forbids them), no remote loads.
 */
export function renderDiffPage(input: DiffPageInput): string {
  const rows = input.edits
    .map((edit) => {
      const where = [
        edit.field ?? '',
        edit.index === undefined ? '' : `#${edit.index + 1}`,
        edit.page ? `p. ${edit.page}` : '',
      ]
        .filter(Boolean)
        .join(' ');
      return `<section class="edit ${edit.significance}"><h2>${escapeHtml(edit.kind)} <small>${escapeHtml(where)} · ${edit.significance}</small></h2><p>${inline(edit)}</p></section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="referrer" content="no-referrer">
<title>Redline: ${escapeHtml(input.title)} v${input.from.number} → v${input.to.number}</title>
<style>
body{font:16px/1.5 Georgia,serif;max-width:50rem;margin:2rem auto;padding:0 1rem;color:#222}
header{border-bottom:1px solid #ccc;margin-bottom:1rem}h1{font-size:1.4rem}h2{font-size:1rem;margin:0}
small,.meta{color:#666;font-family:system-ui,sans-serif;font-size:.85rem}
ins{background:#d7f7d7;text-decoration:none}del{background:#fbd5d5}
.edit{border-left:4px solid #bbb;padding:.25rem .75rem;margin:1rem 0}.edit.major{border-color:#c0392b}
code{font-size:.8rem;word-break:break-all}
</style></head><body>
<header><h1>${escapeHtml(input.title)}</h1>
<p class="meta">${escapeHtml(input.url)}<br>
v${input.from.number} (${escapeHtml(input.from.capturedAt)}) → v${input.to.number} (${escapeHtml(input.to.capturedAt)})${input.silent ? ' · <strong>silent edit</strong>: the page’s modified date did not change (or the page shows none)' : ''}<br>
<code>${escapeHtml(input.from.textHash)}</code> → <code>${escapeHtml(input.to.textHash)}</code></p></header>
${rows || '<p>No edits.</p>'}
</body></html>
`;
}
