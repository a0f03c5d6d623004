import { appendFileSync } from 'node:fs';

/** Module resolution hook (node:module register): records each resolved URL, changes nothing. */
export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  if (process.env.REDLINE_IMPORT_LOG) appendFileSync(process.env.REDLINE_IMPORT_LOG, `${resolved.url}\n`);
  return resolved;
}
