import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRedline } from '../support/cli.js';
import { type FixtureServer, startFixtureServer } from '../support/fixture-server.js';

/**
 * A page that attacks the terminal of whoever reads its captures: its title, an edit of its body and a
 * capture's reason carry CSI 2J (clear screen), OSC 0 (retitle), OSC 8 (forged hyperlink), OSC 52
 * (clipboard), bidi overrides and isolates, C1 bytes and BEL. The compiled CLI must print none of them
 * raw, in any human-readable output, and keep them exact in `--json`.
 */
const LONG = 300_000;
const ESC = '\u001b';
const BEL = '\u0007';
const SEQUENCES = `${ESC}[2J${ESC}]0;pwned${BEL}${ESC}]8;;https://evil.example/${BEL}click${ESC}]8;;${BEL}${ESC}]52;c;ZWNobyBwd25lZA==${BEL}`;
const BIDI = '\u202eevil\u202c\u2066x\u2069';
const C1 = '\u009b31m\u0085';
const HOSTILE = `${SEQUENCES}${BIDI}${C1}`;

/** What a terminal acts on; the CLI's own layout may use plain newlines and tabs. */
const RAW =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

let round = 1;
const page =
  () => `<!doctype html><html><head><meta charset="utf-8"><title>Council ${HOSTILE} vote</title></head>
<body><article><h1>Council ${HOSTILE} vote</h1>
<p>The council voted on Tuesday to approve the new flood barrier along the river, after a long debate.</p>
<p>${round === 1 ? 'The vote was seven to two in favour of the plan' : `The vote was five to four ${HOSTILE} in favour of the plan`}, officials said in a statement afterwards.</p>
<p>Construction is expected to begin next spring and to last about two years, according to the city engineer.</p>
</article></body></html>`;

let site: FixtureServer;
let home: string;
let story: string;
let broken: string;

const redline = (args: string[]) =>
  runRedline(args, { ...process.env, REDLINE_HOME: home, REDLINE_ALLOW_PRIVATE_NETWORK: '1', NO_COLOR: '' });

/** Fails with the offending code point and where it is, so a regression says what leaked. */
function expectTerminalSafe(what: string, text: string): void {
  const match = RAW.exec(text);
  const at = match
    ? `U+${match[0].codePointAt(0)!.toString(16).padStart(4, '0')} at ${match.index}: ${JSON.stringify(text.slice(Math.max(0, match.index - 40), match.index + 40))}`
    : '';
  expect(at, `${what} prints a raw control`).toBe('');
}

beforeAll(async () => {
  site = await startFixtureServer({
    '/robots.txt': (_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('none'),
    '/story': (_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page()),
    // A header Node's own server would refuse to send: written raw. Header bytes are Latin-1, so 0x9b and
    // 0x85 arrive as the C1 controls U+009B (CSI) and U+0085, and the capture's reason names them.
    '/broken': (_req, res) => {
      res.socket?.end(
        Buffer.from(
          'HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: x\x9b2J\x85\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi',
          'latin1',
        ),
      );
    },
  });
  home = await mkdtemp(join(tmpdir(), 'redline-terminal-'));
  story = `${site.url}/story`;
  broken = `${site.url}/broken`;
});
afterAll(async () => {
  await site.close();
  await rm(home, { recursive: true, force: true });
});

describe('redline prints page text terminal-safe', { timeout: LONG }, () => {
  it('capture, versions, diff, captures and watch list escape controls and bidi; --json keeps them exact', async () => {
    const first = await redline(['capture', story]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('first version v1');
    round = 2;
    const edited = await redline(['capture', story]);
    expect(edited.code).toBe(0);
    expect(edited.stdout).toContain('edited: new version v2');
    const failed = await redline(['capture', broken]);
    expect(failed.code).toBe(1);

    const human = {
      'capture (first)': first,
      'capture (edited)': edited,
      'capture (failed)': failed,
      versions: await redline(['versions', story]),
      diff: await redline(['diff', story]),
      captures: await redline(['captures', story]),
      'captures (failed)': await redline(['captures', broken]),
      'watch list': await redline(['watch', 'list']),
    };
    for (const [what, run] of Object.entries(human)) {
      expectTerminalSafe(`${what} stdout`, run.stdout);
      expectTerminalSafe(`${what} stderr`, run.stderr);
    }
    // Shown, escaped, not dropped: the edit in full, the title's isolates, the reason's C1 bytes.
    const escapedSequences = '\\x1b[2J\\x1b]0;pwned\\x07\\x1b]8;;https://evil.example/\\x07click';
    expect(edited.stdout).toContain(escapedSequences);
    expect(human.diff.stdout).toContain(escapedSequences);
    expect(human.diff.stdout).toContain('\\x1b]52;c;ZWNobyBwd25lZA==\\x07');
    expect(human.versions.stdout).toContain('\\u2066x\\u2069');
    expect(failed.stdout).toContain('x\\x9b2j\\x85');
    expect(failed.stderr).toMatch(/^redline: capture of .* failed: .*x\\x9b2j\\x85\n$/);
    // A page's newline never breaks the CLI's lines: each version is exactly its header, text and artifacts.
    expect(human.versions.stdout.split('\n').filter((line) => line.startsWith('v'))).toHaveLength(2);

    const json = {
      capture: await redline(['capture', story, '--json']),
      versions: await redline(['versions', story, '--json']),
      diff: await redline(['diff', story, '--json']),
      captures: await redline(['captures', broken, '--json']),
      watches: await redline(['watch', 'list', '--json']),
    };
    for (const [what, run] of Object.entries(json)) expectTerminalSafe(`${what} --json`, run.stdout);
    const versions = JSON.parse(json.versions.stdout) as { title: string }[];
    const diff = JSON.parse(json.diff.stdout) as { edits: { after?: string }[] };
    const captures = JSON.parse(json.captures.stdout) as { reason?: string }[];
    const watches = JSON.parse(json.watches.stdout) as { url: string }[];
    const capture = JSON.parse(json.capture.stdout) as { capture: { url: string } };
    // The exact strings the records hold: the edit with every sequence, the title's bidi isolates, the
    // C1-bearing header the reason quotes (records keep reasons and titles without C0/C1: fit.ts).
    const after = diff.edits.map((edit) => edit.after ?? '').join('\n');
    expect(after).toContain(SEQUENCES);
    expect(after).toContain('\u2066x\u2069\u009b31m\u0085');
    expect(versions[1]!.title).toContain('\u2066x\u2069');
    expect(captures.at(-1)!.reason).toMatch(/unsupported content encoding x.2j/);
    // A failed capture of an unwatched URL adds no watch.
    expect(watches.map((w) => w.url)).toEqual([story]);
    expect(capture.capture.url).toBe(story);
  });
});
