import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { z } from 'zod';

const require = createRequire(import.meta.url);

/** The package.json of an installed package, found from its main entry (exports may hide package.json). */
function packageDir(name: string, main: string): string {
  let dir = dirname(require.resolve(main));
  for (let depth = 0; depth < 8; depth++) {
    try {
      const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (json.name === name) return dir;
    } catch {
      // not this directory
    }
    dir = dirname(dir);
  }
  throw new Error(`package.json of ${name} not found above ${require.resolve(main)}`);
}

export const major = (version: string) => Number.parseInt(version.split('.')[0]!, 10);

/** The Chromium playwright-core is built for (browsers.json) and the @sparticuz/chromium package version. */
export function chromiumVersions() {
  const playwrightDir = packageDir('playwright-core', 'playwright-core');
  const browsers = z
    .object({ browsers: z.array(z.object({ name: z.string(), browserVersion: z.string().optional() })) })
    .parse(JSON.parse(readFileSync(join(playwrightDir, 'browsers.json'), 'utf8')));
  const playwright = browsers.browsers.find((b) => b.name === 'chromium')?.browserVersion;
  const sparticuz = z
    .object({ version: z.string() })
    .parse(
      JSON.parse(
        readFileSync(join(packageDir('@sparticuz/chromium', '@sparticuz/chromium'), 'package.json'), 'utf8'),
      ),
    );
  return { playwright, sparticuz: sparticuz.version };
}
