import { decideVerdict } from '../../detect/verdict.js';
import type { CaptureStep } from '../pipeline.js';

/** The one verdict (functions/core/detect/verdict.ts), with the watch's learned volatile blocks. */
export const detectStep: CaptureStep = {
  name: 'detect',
  onFailure: 'fail',
  async run(ctx) {
    const { baseline, before, content } = ctx;
    const volatile = [...(ctx.watch.volatile ?? [])];
    const detection = decideVerdict(
      content!,
      baseline ? { textHash: baseline.textHash, ...(before ? { article: before } : {}) } : undefined,
      new Set(volatile),
    );
    ctx.detection = { ...detection, volatile };
    ctx.capturedAt = ctx.deps.clock.now().toISOString();
    return undefined;
  },
};
