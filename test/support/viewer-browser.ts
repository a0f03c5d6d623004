import sparticuz from '@sparticuz/chromium';
import { type Browser, chromium } from 'playwright-core';
import { SINGLE_PROCESS_FLAGS, UNSAFE_FLAGS } from '../../functions/adapters/chromium/browser-launch.js';

/**
 * A plain Chromium (@sparticuz/chromium) to look at the viewer with, as an analyst's browser would:
 * its default flags minus the unsafe and single-process ones, nothing resolved but 127.0.0.1.
 */
export async function launchViewerBrowser(): Promise<Browser> {
  const dropped = [...UNSAFE_FLAGS, ...SINGLE_PROCESS_FLAGS];
  const args = sparticuz.args.filter(
    (arg) => !dropped.some((flag) => arg === flag || arg.startsWith(`${flag}=`)),
  );
  return chromium.launch({
    executablePath: await sparticuz.executablePath(),
    headless: true,
    args: [
      ...args,
      '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
