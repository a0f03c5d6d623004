import sparticuz from '@sparticuz/chromium';

/**
 * Unpacks @sparticuz/chromium's browser once, before test files run in parallel: concurrent first
 * unpacks into the same /tmp path could otherwise race.
 */
export default async function setup(): Promise<void> {
  await sparticuz.executablePath();
}
