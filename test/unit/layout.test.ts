import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The architecture, checked: functions/core is grouped by domain, the groups depend on each other in one
 * direction only (no cycles between groups), and the core imports no AWS SDK, no browser, no process or
 * network module: those live behind ports, in functions/adapters.
 */
const root = join(import.meta.dirname, '..', '..');
const core = join(root, 'functions', 'core');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/g;
const DYNAMIC = /import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT), ...text.matchAll(DYNAMIC)].map((m) => m[1]!);
}

const groupOf = (file: string) => relative(core, file).split('/')[0]!;

describe('functions/core layout', () => {
  const files = sources(core);

  it('is grouped by domain: no loose files at its top', () => {
    const groups = new Set(files.map(groupOf));
    expect([...groups].sort()).toEqual(['capture', 'detect', 'domain', 'history', 'proof', 'watches']);
  });

  it('has no import cycles between groups', () => {
    const edges = new Map<string, Set<string>>();
    for (const file of files) {
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(file), spec);
        if (!target.startsWith(core)) continue;
        const [from, to] = [groupOf(file), groupOf(target)];
        if (from !== to) (edges.get(from) ?? edges.set(from, new Set()).get(from)!).add(to);
      }
    }
    const cycle = (start: string): string[] | undefined => {
      const walk = (node: string, path: string[]): string[] | undefined => {
        for (const next of edges.get(node) ?? []) {
          if (next === start) return [...path, next];
          if (!path.includes(next)) {
            const found = walk(next, [...path, next]);
            if (found) return found;
          }
        }
        return undefined;
      };
      return walk(start, [start]);
    };
    for (const group of edges.keys()) expect(cycle(group), `cycle from ${group}`).toBeUndefined();
    // The direction the groups are meant to have.
    expect([...(edges.get('domain') ?? [])]).toEqual([]);
  });

  it('imports no AWS SDK, browser, process or socket module (ports and adapters)', () => {
    const forbidden =
      /^(@aws-sdk\/|@sparticuz\/|playwright|node:(child_process|net|http|https|tls|dgram|worker_threads)$|undici$|dynalite$)/;
    // node:http's STATUS_CODES is a table of reason phrases (WARC response lines), no socket.
    const phrasesOnly = (file: string) =>
      /import \{ STATUS_CODES \} from 'node:http'/.test(readFileSync(file, 'utf8'));
    for (const file of files) {
      for (const spec of importsOf(file)) {
        if (spec === 'node:http' && phrasesOnly(file)) continue;
        expect(spec, relative(root, file)).not.toMatch(forbidden);
      }
    }
  });
});
