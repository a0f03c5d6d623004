import type { Article } from '../../detect/article.js';
import { readContent } from '../../detect/content.js';
import { blockShape } from '../../detect/edits.js';
import { decideVerdict } from '../../detect/verdict.js';
import type { CaptureContext, CaptureStep } from '../pipeline.js';
import { readOptions } from './extract.js';

/** Captures the page again, without storing anything, to see which blocks change on every load. */
async function recapture(
  ctx: CaptureContext,
  baseline: Article,
  signal: AbortSignal,
): Promise<Article | undefined> {
  const { deps, watch } = ctx;
  const fetched = await deps.fetcher.fetch(watch.url, undefined, { signal });
  // Nothing of it is stored: the browser's sub-resource bodies are not read.
  const rendered =
    watch.mode === 'http'
      ? undefined
      : await deps.renderer.render(fetched.http.finalUrl, fetched, { signal, recordExchanges: false });
  const content = await readContent(fetched, rendered?.html, baseline, readOptions(ctx, signal));
  return content.anomaly ? undefined : content.article;
}

/** Shapes of the blocks that one of two same-moment captures has and the other has not. */
function volatileShapes(a: Article, b: Article): string[] {
  const inB = new Set(b.blocks);
  const inA = new Set(a.blocks);
  const differing = [...a.blocks.filter((x) => !inB.has(x)), ...b.blocks.filter((x) => !inA.has(x))];
  return [...new Set(differing.map(blockShape))];
}

/**
 * A suspected edit is confirmed by one immediate re-capture: blocks that differ between the two loads
 * are volatile for this watch (learned, capped), and the verdict is made again without them (ADR 0005).
 * Watches captured more often than `confirmMinCadenceSeconds` are not re-captured: their next capture
 * comes soon enough. A failed re-capture leaves the verdict as it was.
 */
export const confirmStep: CaptureStep = {
  name: 'confirm',
  onFailure: 'ignore',
  applies: (ctx) => {
    const { detect } = ctx.options;
    return (
      ctx.detection?.verdict === 'edited' &&
      ctx.before !== undefined &&
      ctx.content?.article !== undefined &&
      ctx.content.kind === 'html' &&
      detect.confirmEdits &&
      ctx.watch.cadenceSeconds >= detect.confirmMinCadenceSeconds
    );
  },
  async run(ctx, signal) {
    const before = ctx.before!;
    const content = ctx.content!;
    const after = content.article!;
    const again = await recapture(ctx, before, signal);
    if (!again) return undefined;
    const volatile = [...ctx.detection!.volatile];
    const learned = volatileShapes(after, again).filter((shape) => !volatile.includes(shape));
    if (learned.length === 0) return undefined;
    volatile.push(...learned);
    volatile.splice(0, Math.max(0, volatile.length - ctx.options.detect.maxVolatile));
    const detection = decideVerdict(
      content,
      { textHash: ctx.baseline!.textHash, article: before },
      new Set(volatile),
    );
    ctx.detection = { ...detection, volatile };
    return undefined;
  },
};
