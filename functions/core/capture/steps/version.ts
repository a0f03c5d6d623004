import { renderDiffPage } from '../../detect/diff-html.js';
import { summarizeEdits } from '../../detect/edits.js';
import type { VersionRecord } from '../../domain/model.js';
import { admitAlert } from '../alerts.js';
import { fitEditNotification, fitTitle, fitVersionEdits } from '../fit.js';
import type { CaptureStep } from '../pipeline.js';

/**
 * A new version (first, or edited): its number, title, revert-of, the HTML diff page, the edit list
 * (a long one in a blob: DynamoDB's item limit), and the edit notification if the watch's alert rate
 * allows it (ADR 0005, ADR 0009).
 */
export const versionStep: CaptureStep = {
  name: 'version',
  onFailure: 'fail',
  applies: (ctx) => ctx.detection?.verdict === 'first' || ctx.detection?.verdict === 'edited',
  async run(ctx) {
    const { deps, watch, staged, artifacts, baseline, captureId } = ctx;
    const { verdict, edits, silent } = ctx.detection!;
    const content = ctx.content!;
    const capturedAt = ctx.capturedAt!;
    const number = (baseline?.number ?? 0) + 1;
    const finalUrl = ctx.fetched!.http.finalUrl;
    const title = fitTitle(
      content.article?.title || new URL(finalUrl).pathname.split('/').pop() || watch.url,
    );
    const revertOf =
      verdict === 'edited'
        ? (await deps.versions.listVersions(watch.id)).find((v) => v.textHash === content.textHash)?.number
        : undefined;
    const admitted =
      verdict === 'edited' ? admitAlert(watch, ctx.startedAt, ctx.options.detect.alertLimit) : undefined;
    const diff =
      verdict === 'edited' && baseline
        ? staged.add(
            Buffer.from(
              renderDiffPage({
                url: watch.url,
                title,
                from: baseline,
                to: { number, capturedAt, textHash: content.textHash },
                edits,
                ...(silent !== undefined ? { silent } : {}),
              }),
            ),
            'text/html; charset=utf-8',
          )
        : undefined;
    // A long edit list lives in a blob; the record keeps its first edits (DynamoDB's 400 KB item limit).
    const kept = fitVersionEdits(edits, (json) => staged.add(json, 'application/json'));
    if (kept.blob) artifacts.edits = kept.blob;
    const version: VersionRecord = {
      watchId: watch.id,
      number,
      captureId,
      url: watch.url,
      capturedAt,
      title,
      textHash: content.textHash,
      artifacts,
      edits: kept.edits,
      ...(kept.omittedEdits ? { omittedEdits: kept.omittedEdits } : {}),
      ...(silent !== undefined ? { silent } : {}),
      ...(revertOf ? { revertOf } : {}),
      ...(diff ? { diff } : {}),
      ...(admitted ? { alert: admitted.allowed ? 'sent' : 'rate_limited' } : {}),
    };
    ctx.version = version;
    if (!admitted || !baseline) return undefined;
    ctx.alertState = admitted;
    if (!admitted.allowed) return undefined;
    ctx.notification = fitEditNotification({
      type: 'redline.edit',
      watchId: watch.id,
      url: watch.url,
      title,
      capturedAt,
      oldVersion: baseline.number,
      newVersion: number,
      oldTextHash: baseline.textHash,
      newTextHash: content.textHash,
      edits,
      significance: edits.some((e) => e.significance === 'major') ? 'major' : 'minor',
      silent: silent ?? false,
      ...(revertOf ? { revertOf } : {}),
      diff: summarizeEdits(edits),
      ...(diff ? { diffHtml: diff.digest } : {}),
      ...(diff && deps.links
        ? { diffUrl: await deps.links.linkTo(diff, { watchId: watch.id, from: baseline.number, to: number }) }
        : {}),
      tags: watch.tags,
    });
    return undefined;
  },
};
