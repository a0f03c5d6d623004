import type { CaptureStep } from '../pipeline.js';

/** The host's next slot: per-host pacing and connection limits (ADR 0006). */
export const waitStep: CaptureStep = {
  name: 'wait',
  onFailure: 'fail',
  applies: (ctx) => ctx.deps.politeness !== undefined,
  async run(ctx, signal) {
    await ctx.deps.politeness!.waitTurn(ctx.watch.url, signal);
    return undefined;
  },
};
