import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Logger } from '../core/domain/ports.js';

/** The core's Logger port on Powertools' structured JSON logger (Lambda). */
export function powertoolsLogger(serviceName: string): Logger {
  const logger = new PowertoolsLogger({ serviceName });
  return {
    info: (message, fields) => logger.info(message, fields ?? {}),
    warn: (message, fields) => logger.warn(message, fields ?? {}),
    error: (message, fields) => logger.error(message, fields ?? {}),
  };
}
