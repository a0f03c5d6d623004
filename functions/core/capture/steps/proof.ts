import type { Digest } from '../../domain/digest.js';
import {
  MANIFEST_CONTENT_TYPE,
  manifestBytes,
  manifestOf,
  TOKEN_CONTENT_TYPE,
} from '../../proof/manifest.js';
import { allFailed, planStamps, runStamps, settleStamps } from '../../proof/stamping.js';
import type { CaptureStep } from '../pipeline.js';

/**
 * The proof step (ADR 0012, ADR 0013): the new version's manifest, chained to the previous version's,
 * staged like every artifact (written before the record naming it); then, when timestamp authorities
 * are configured, the manifest's digest stamped by each, and a few older manifests still owed a token
 * stamped again. An authority that is down or wrong never holds the capture back: its failure is
 * recorded, the manifest stays owed (the watch's `unstamped`), and a new failure is reported.
 */
export const proofStep: CaptureStep = {
  name: 'proof',
  onFailure: 'partial',
  applies: (ctx) => ctx.version !== undefined || (ctx.watch.unstamped?.length ?? 0) > 0,
  async run(ctx, signal) {
    const authorities = ctx.deps.timestamps ?? [];
    const options = ctx.options.proof;
    let fresh: { version: number; manifest: Digest } | undefined;
    if (ctx.version) {
      // Synchronous from here to the version's new value: the manifest is staged and named at once.
      const version = { ...ctx.version, artifacts: { ...ctx.version.artifacts } };
      const manifest = manifestOf(version, ctx.baseline?.manifest?.digest ?? null);
      const ref = ctx.staged.add(manifestBytes(manifest), MANIFEST_CONTENT_TYPE);
      ctx.version = { ...version, manifest: ref };
      ctx.artifacts.manifest = ref; // the capture record names it too
      fresh = { version: version.number, manifest: ref.digest };
    }
    const { jobs, rest } = planStamps(ctx.watch.unstamped ?? [], fresh, authorities, options);
    // Recorded as failed until the answers come: a step cut short by its budget leaves them owed.
    ctx.proof = settleStamps(allFailed(jobs, 'aborted: the proof step ended first'), rest, options, () => {
      throw new Error('no token to store');
    }).state;
    if (jobs.length === 0) return undefined;
    const outcomes = await runStamps(jobs, authorities, signal);
    // The step was left behind (its budget or the capture's ran out): the record is being written.
    if (signal.aborted) return undefined;
    const { state, fresh: tokens } = settleStamps(outcomes, rest, options, (token) =>
      ctx.staged.add(token.tokenDer, TOKEN_CONTENT_TYPE),
    );
    ctx.proof = state;
    if (ctx.version && tokens.length > 0) ctx.version = { ...ctx.version, timestamps: tokens };
    if (state.failures.length > 0) {
      ctx.deps.logger.warn('timestamp authorities failed', {
        watchId: ctx.watch.id,
        url: ctx.watch.url,
        captureId: ctx.captureId,
        failures: state.failures,
      });
    }
    return undefined;
  },
};
