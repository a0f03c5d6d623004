import { documentKind } from '../../detect/charset.js';
import type { CaptureStep } from '../pipeline.js';

/**
 * The HTTP fetch, conditional when the HTML itself is the content and the watch holds validators (a
 * JavaScript page's shell says nothing). A 304 ends the capture: not modified, nothing stored.
 */
export const fetchStep: CaptureStep = {
  name: 'fetch',
  onFailure: 'fail',
  async run(ctx, signal) {
    const { watch } = ctx;
    const conditional = watch.mode !== 'browser' && watch.latestVersion > 0 ? watch.validators : undefined;
    const fetched = await ctx.deps.fetcher.fetch(watch.url, conditional, { signal });
    if (fetched.http.status === 304) {
      return {
        status: 'complete',
        fields: {
          http: fetched.http,
          verdict: 'unchanged',
          notModified: true,
          ...(watch.latestVersion > 0 ? { version: watch.latestVersion } : {}),
        },
      };
    }
    ctx.fetched = fetched;
    ctx.kind = documentKind(fetched.body, fetched.http.contentType);
    ctx.artifacts.raw = ctx.staged.add(fetched.body, fetched.http.contentType);
    return undefined;
  },
};
