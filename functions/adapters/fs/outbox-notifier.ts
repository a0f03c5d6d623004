import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AnomalyNotification, EditNotification, FailureNotification } from '../../core/domain/model.js';
import type { Notifier } from '../../core/domain/ports.js';

/**
 * Local stand-in for SNS: one JSON line per notification, the same JSON as the SNS message body.
 * Edits go to `notifications.jsonl`; capture anomalies and failures to `anomalies.jsonl` beside it.
 */
export class OutboxNotifier implements Notifier {
  constructor(
    private readonly path: string,
    private readonly anomalyPath = join(dirname(path), 'anomalies.jsonl'),
  ) {}

  async publishEdit(notification: EditNotification): Promise<void> {
    await append(this.path, notification);
  }

  async publishAnomaly(notification: AnomalyNotification): Promise<void> {
    await append(this.anomalyPath, notification);
  }

  async publishFailure(notification: FailureNotification): Promise<void> {
    await append(this.anomalyPath, notification);
  }
}

async function append(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await appendFile(path, `${JSON.stringify(value)}\n`);
}
