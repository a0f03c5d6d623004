import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { EditNotification } from '../../core/model.js';
import type { Notifier } from '../../core/ports.js';

/** Local stand-in for SNS: one JSON line per notification, the same JSON as the SNS message body. */
export class OutboxNotifier implements Notifier {
  constructor(private readonly path: string) {}

  async publishEdit(notification: EditNotification): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    await appendFile(this.path, `${JSON.stringify(notification)}\n`);
  }
}
