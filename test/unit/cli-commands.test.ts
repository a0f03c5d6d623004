import { Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, COMMANDS, loadCommand } from '../../functions/cli/main.js';

const io = { stdout: process.stdout, stderr: process.stderr, env: {} };

describe('redline commands, loaded on demand', () => {
  it('lists each command in --help as it is once loaded', async () => {
    const { program, context } = buildProgram(io);
    expect(program.commands.map((c) => c.name())).toEqual(COMMANDS.map((c) => c.name));
    for (const command of program.commands) {
      const entry = COMMANDS.find((c) => c.name === command.name())!;
      expect(program.createHelp().subcommandTerm(command)).toBe(entry.term);
      await loadCommand(command, context);
      expect(new Help().subcommandTerm(command), command.name()).toBe(entry.term);
      expect(command.description()).toBe(entry.description);
    }
  });

  it('fills a command in once, however often it is dispatched', async () => {
    const { program, context } = buildProgram(io);
    const watch = program.commands.find((c) => c.name() === 'watch')!;
    await loadCommand(watch, context);
    await loadCommand(watch, context);
    expect(watch.commands.map((c) => c.name())).toEqual(['add', 'list', 'remove']);
  });
});
