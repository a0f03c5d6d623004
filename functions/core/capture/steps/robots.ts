import type { CaptureStep } from '../pipeline.js';

/** robots.txt, unless the watch overrides it with a reason (ADR 0006). A refusal ends the capture failed. */
export const robotsStep: CaptureStep = {
  name: 'robots',
  onFailure: 'fail',
  applies: (ctx) => ctx.deps.politeness !== undefined && !ctx.watch.ignoreRobots,
  async run(ctx, signal) {
    const refusal = await ctx.deps.politeness!.disallowed(ctx.watch.url, signal);
    return refusal ? { status: 'failed', reason: refusal } : undefined;
  },
};
