import type { Logger } from '../core/domain/ports.js';
import { terminalSafeJsonText } from './terminal.js';

/**
 * Structured JSON log lines, one per event, to a writable stream (stderr by default: the CLI's `--verbose`).
 * Fields carry URLs and reasons from pages, so the line is terminal-safe JSON (functions/adapters/terminal.ts).
 */
export function jsonLogger(
  context: Record<string, unknown> = {},
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const log = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    write(
      `${terminalSafeJsonText(JSON.stringify({ time: new Date().toISOString(), level, message, ...context, ...fields }))}\n`,
    );
  return { info: log('info'), warn: log('warn'), error: log('error') };
}
