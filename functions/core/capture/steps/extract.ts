import { type Article, articleText } from '../../detect/article.js';
import { decodeBody } from '../../detect/charset.js';
import {
  type HtmlExtractor,
  inProcessHtmlExtractor,
  type ReadOptions,
  readContent,
} from '../../detect/content.js';
import type { VersionRecord } from '../../domain/model.js';
import type { BlobStore } from '../../domain/ports.js';
import type { CaptureContext, CaptureStep } from '../pipeline.js';

const utf8 = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');

/**
 * The baseline's article, read through the blob store's digest check. A stored article whose bytes are
 * wrong or gone is made again from the baseline's own verified HTML; the reason is returned so the
 * capture says its baseline needed repair. Undefined when the baseline has no article (a document).
 */
export async function loadBaselineArticle(
  blobs: BlobStore,
  baseline: VersionRecord,
  read: { html?: HtmlExtractor; options?: Parameters<HtmlExtractor>[1] } = {},
): Promise<{ article?: Article; problem?: string }> {
  const ref = baseline.artifacts.article;
  if (!ref) return {};
  try {
    return { article: JSON.parse(utf8(await blobs.get(ref.digest))) as Article };
  } catch (error) {
    const problem = `baseline v${baseline.number} article ${ref.digest}: ${(error as Error).message}`;
    const html = baseline.artifacts.rendered ?? baseline.artifacts.raw;
    if (!html) return { problem };
    try {
      const bytes = await blobs.get(html.digest);
      const source = baseline.artifacts.rendered ? utf8(bytes) : decodeBody(bytes, html.contentType);
      const article = await (read.html ?? inProcessHtmlExtractor)(source, read.options);
      return { article, problem: `${problem}; read again from its HTML` };
    } catch (again) {
      return { problem: `${problem}; its HTML too: ${(again as Error).message}` };
    }
  }
}

/** How this capture reads content: its signal, the PDF and HTML readers and their budgets. */
export const readOptions = (ctx: CaptureContext, signal: AbortSignal): ReadOptions => ({
  signal,
  pdfLimits: ctx.options.pdf,
  ...(ctx.deps.pdf ? { pdf: ctx.deps.pdf } : {}),
  htmlLimits: ctx.options.html,
  ...(ctx.deps.html ? { html: ctx.deps.html } : {}),
});

/**
 * The article (HTML from the rendered page, else the fetched body; PDFs by their text, in their own
 * process) and the baseline it is compared with. Anomaly rules run here (ADR 0005).
 */
export const extractStep: CaptureStep = {
  name: 'extract',
  onFailure: 'fail',
  async run(ctx, signal) {
    const { deps, staged, artifacts } = ctx;
    const baseline = await deps.versions.latestVersion(ctx.watch.id);
    if (baseline) {
      ctx.baseline = baseline;
      const { article, problem } = await loadBaselineArticle(deps.blobs, baseline, {
        ...(deps.html ? { html: deps.html } : {}),
        options: { ...ctx.options.html, signal },
      });
      if (article) ctx.before = article;
      if (problem) ctx.steps.push({ name: 'extract', status: 'failed', ms: 0, detail: problem });
    }
    const html = ctx.kind === 'html' ? ctx.rendered?.html : undefined;
    const content = await readContent(ctx.fetched!, html, ctx.before, readOptions(ctx, signal));
    ctx.content = content;
    if (content.extractError)
      ctx.steps.push({ name: 'extract', status: 'failed', ms: 0, detail: content.extractError });
    if (content.article) {
      artifacts.article = staged.add(Buffer.from(JSON.stringify(content.article)), 'application/json');
      artifacts.text = staged.add(Buffer.from(articleText(content.article)), 'text/plain; charset=utf-8');
    }
    return undefined;
  },
};
