import { mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { RedlineError } from '../../core/domain/errors.js';
import type { AnomalyNotification, EditNotification, FailureNotification } from '../../core/domain/model.js';
import type { Notifier } from '../../core/domain/ports.js';

/**
 * Local stand-in for SNS: one JSON line per notification, the same JSON as the SNS message body.
 * Edits go to `notifications.jsonl`; capture anomalies and failures to `anomalies.jsonl` beside it.
 * Several redline processes may append at once: each line is one write(2) on a file opened O_APPEND, so
 * lines never interleave or overwrite each other (local filesystems; not NFS).
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

/** An outbox line was only partly written (disk full?): the file may end in a torn line. */
export class OutboxWriteError extends RedlineError {}

async function append(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const line = Buffer.from(`${JSON.stringify(value)}\n`);
  const file = await open(path, 'a');
  try {
    const { bytesWritten } = await file.write(line, 0, line.byteLength);
    if (bytesWritten !== line.byteLength)
      throw new OutboxWriteError(`wrote ${bytesWritten} of ${line.byteLength} bytes to ${path}`);
  } finally {
    await file.close();
  }
}
