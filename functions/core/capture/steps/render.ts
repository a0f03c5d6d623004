import type { CaptureStep } from '../pipeline.js';

/**
 * The browser (mode `browser`, or `auto` and the body is HTML): the fetched bytes as the main document,
 * sub-resources through the guard proxy; the rendered HTML, a PDF and a full-page PNG (ADR 0006). A
 * failed render leaves the capture partial: the fetched body still stands for the page.
 */
export const renderStep: CaptureStep = {
  name: 'render',
  onFailure: 'partial',
  applies: (ctx) => ctx.watch.mode === 'browser' || (ctx.watch.mode === 'auto' && ctx.kind === 'html'),
  async run(ctx, signal) {
    const fetched = ctx.fetched!;
    const rendered = await ctx.deps.renderer.render(fetched.http.finalUrl, fetched, {
      signal,
      recordExchanges: ctx.options.warc.subresources,
    });
    ctx.steps.push(...rendered.steps);
    const { staged, artifacts } = ctx;
    if (rendered.html !== undefined)
      artifacts.rendered = staged.add(Buffer.from(rendered.html), 'text/html; charset=utf-8');
    if (rendered.pdf) artifacts.pdf = staged.add(rendered.pdf, 'application/pdf');
    if (rendered.screenshot) artifacts.screenshot = staged.add(rendered.screenshot, 'image/png');
    ctx.rendered = {
      ...(rendered.html !== undefined ? { html: rendered.html } : {}),
      ...(rendered.screenshot ? { screenshot: rendered.screenshot } : {}),
      ...(rendered.exchanges ? { exchanges: rendered.exchanges } : {}),
      ...(rendered.provenance ? { provenance: rendered.provenance } : {}),
    };
    return undefined;
  },
};
