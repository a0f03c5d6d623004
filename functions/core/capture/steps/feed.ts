import { discoverFromFeed } from '../feed-capture.js';
import type { CaptureStep } from '../pipeline.js';

/** A feed watch's capture ends here: its links become article watches (bounded: CaptureOptions.feed). */
export const feedStep: CaptureStep = {
  name: 'feed',
  onFailure: 'fail',
  applies: (ctx) => ctx.watch.type === 'feed',
  async run(ctx, signal) {
    signal.throwIfAborted();
    const { status, reason, ...fields } = await discoverFromFeed(
      ctx.deps,
      ctx.staged,
      ctx.watch,
      ctx.fetched!,
      ctx.options.feed,
    );
    return { status, fields, ...(reason ? { reason } : {}) };
  },
};
