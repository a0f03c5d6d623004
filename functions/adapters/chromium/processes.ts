import { readdirSync, readFileSync } from 'node:fs';

/**
 * A browser's processes, found in /proc: the one whose command line carries `marker` (its own directory,
 * passed as --disk-cache-dir) and all its descendants (zygotes, GPU, network service, renderers). Linux
 * only; elsewhere the list is empty. Used to kill what a closed browser left running and, in tests, to
 * measure the browser's memory.
 */
export function browserProcessTree(marker: string, proc = '/proc'): number[] {
  let entries: string[];
  try {
    entries = readdirSync(proc).filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const parents = new Map<number, number>();
  const roots: number[] = [];
  for (const entry of entries) {
    const pid = Number(entry);
    try {
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`${proc}/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(pid, ppid);
      if (readFileSync(`${proc}/${entry}/cmdline`, 'utf8').includes(marker)) roots.push(pid);
    } catch {
      // the process ended while we looked, or is not ours to read
    }
  }
  const tree = new Set(roots);
  // Each pass adds the children of what is in the tree; the depth of a browser's tree is a handful.
  for (let pass = 0; pass < 16; pass++) {
    const before = tree.size;
    for (const [pid, ppid] of parents) if (tree.has(ppid)) tree.add(pid);
    if (tree.size === before) break;
  }
  return [...tree];
}

/** The resident memory of these processes, in bytes (VmRSS from /proc/<pid>/status); ended ones count 0. */
export function residentBytes(pids: number[], proc = '/proc'): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const status = readFileSync(`${proc}/${pid}/status`, 'utf8');
      const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status);
      if (kb) total += Number(kb[1]) * 1024;
    } catch {
      // ended
    }
  }
  return total;
}

/** SIGKILLs each process; ones already gone are skipped. Returns how many were signalled. */
export function killProcesses(pids: number[]): number {
  let killed = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
      killed++;
    } catch {
      // already gone
    }
  }
  return killed;
}
