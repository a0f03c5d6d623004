import { type Command, Option } from 'commander';
import { terminalSafe as t } from '../../adapters/terminal.js';
import { CaptureModeSchema } from '../../core/domain/model.js';
import { normalizeUrl } from '../../core/domain/url.js';
import { latestTroubledCaptures } from '../../core/history/history.js';
import { DEFAULT_CADENCE, parseWatchSpec } from '../../core/watches/watch-spec.js';
import { addOrUpdateWatch, removeWatch, type WatchChanges } from '../../core/watches/watches.js';
import { collect, type DefineGroup } from '../context.js';
import { formatWatch } from '../format.js';

interface AddOptions {
  every: string;
  mode: string;
  tag: string[];
  ignoreRobots?: string;
  feed?: boolean;
  linkPattern?: string;
  linkScope?: string;
}

/** `redline watch add|list|remove`. The flags of `add` are read by the same schema as watch-admin events. */
export const defineWatch: DefineGroup = (watch, { out, json, withRuntime }) => {
  watch
    .command('add')
    .argument('<url>', 'http(s) URL to watch')
    .option('--every <cadence>', 'capture cadence: 15m, 1h, 1d, …', DEFAULT_CADENCE)
    .addOption(new Option('--mode <mode>', 'capture mode').choices(CaptureModeSchema.options).default('auto'))
    .option('--tag <tag>', 'tag (repeatable)', collect, [])
    .option('--ignore-robots <reason>', 'do not honour robots.txt for this URL; the reason is recorded')
    .option('--feed', 'an RSS/Atom feed, a (news) sitemap or an index page: its links become article watches')
    .option('--link-pattern <regex>', 'with --feed on an HTML index page: which links are articles')
    .addOption(
      new Option(
        '--link-scope <scope>',
        "with --feed: links on the feed's own site only, or on any site",
      ).choices(['site', 'any']),
    )
    .description('watch a URL (on a URL already watched, changes only the settings given)')
    .action(async (url: string, options: AddOptions, command: Command) => {
      normalizeUrl(url);
      const settings = parseWatchSpec({
        url,
        every: options.every,
        mode: options.mode,
        tags: options.tag,
        feed: options.feed ?? false,
        ...(options.ignoreRobots !== undefined ? { ignoreRobots: options.ignoreRobots } : {}),
        ...(options.linkPattern !== undefined ? { linkPattern: options.linkPattern } : {}),
        ...(options.linkScope !== undefined ? { linkScope: options.linkScope } : {}),
      });
      // On a watched URL only the flags written on the command line change; defaults change nothing.
      const given = (name: string) => command.getOptionValueSource(name) === 'cli';
      const changes: WatchChanges = {
        ...(given('every') ? { cadenceSeconds: settings.cadenceSeconds } : {}),
        ...(given('mode') ? { mode: settings.mode } : {}),
        ...(given('tag') ? { tags: settings.tags } : {}),
        ...(given('ignoreRobots') ? { ignoreRobots: settings.ignoreRobots ?? null } : {}),
        ...(given('feed') ? { feed: true } : {}),
        ...(given('linkPattern') ? { linkPattern: settings.linkPattern ?? null } : {}),
        ...(given('linkScope') ? { linkScope: settings.linkScope ?? null } : {}),
      };
      await withRuntime(async (rt) => {
        const { watch, created } = await addOrUpdateWatch(rt, settings, changes);
        out(`${created ? 'watching' : 'updated'} ${formatWatch(watch)}`);
      });
    });
  watch
    .command('list')
    .option('--json', 'JSON output')
    .description('list watches')
    .action(async (options: { json?: boolean }) => {
      await withRuntime(async (rt) => {
        const watches = await rt.watches.listWatches();
        if (options.json) json(watches);
        else if (watches.length === 0) out('no watches');
        else {
          // The latest capture of a watch in trouble says why (HTTP status, reason).
          const latest = await latestTroubledCaptures(rt, watches);
          out(watches.map((w) => formatWatch(w, latest.get(w.id))).join('\n'));
        }
      });
    });
  watch
    .command('remove')
    .argument('<url>')
    .description('stop watching a URL (its captures and versions are kept)')
    .action(async (url: string) => {
      normalizeUrl(url);
      await withRuntime(async (rt) => out(`removed ${t((await removeWatch(rt, url)).url)}`));
    });
};
