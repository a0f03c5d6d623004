import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../functions/core/domain/errors.js';
import {
  parseLinkPattern,
  parseWatchSpec,
  WatchSpecSchema,
} from '../../functions/core/watches/watch-spec.js';
import { WatchAdminEventSchema } from '../../functions/handlers/watch-admin.js';

describe('parseWatchSpec', () => {
  it('fills in the defaults and turns the cadence into seconds', () => {
    expect(parseWatchSpec({ url: 'https://news.example/story' })).toEqual({
      url: 'https://news.example/story',
      cadenceSeconds: 3600,
      mode: 'auto',
      tags: [],
      feed: false,
    });
  });

  it('keeps a feed with its link pattern, tags, mode and robots reason', () => {
    expect(
      parseWatchSpec({
        url: 'https://news.example/news/',
        every: '15m',
        mode: 'http',
        tags: ['city'],
        feed: true,
        linkPattern: '/news/\\d{4}/',
        ignoreRobots: '  court order  ',
      }),
    ).toEqual({
      url: 'https://news.example/news/',
      cadenceSeconds: 900,
      mode: 'http',
      tags: ['city'],
      feed: true,
      linkPattern: '/news/\\d{4}/',
      ignoreRobots: 'court order',
    });
  });

  it.each([
    [{ url: 'not a url' }, /^invalid URL: "not a url"$/],
    [{ url: 'file:///etc/passwd' }, /^unsupported URL scheme file:/],
    [{ url: 'https://x.example/', every: 'often' }, /^invalid cadence "often"/],
    [{ url: 'https://x.example/', every: '30s' }, /^cadence must be at least 1m/],
    [{ url: 'https://x.example/', mode: 'fast' }, /^mode: Invalid option/],
    [{ url: 'https://x.example/', ignoreRobots: '   ' }, /^ignoring robots.txt needs a reason$/],
    [
      { url: 'https://x.example/', feed: true, linkPattern: '(' },
      /^invalid link pattern "\(": .*Unterminated group/,
    ],
    [{ url: 'https://x.example/', feed: true, linkPattern: '' }, /^empty link pattern$/],
    [{ url: 'https://x.example/', linkPattern: '/news/' }, /^a link pattern applies to feed watches only/],
  ])('refuses %j with one line', (input, message) => {
    let thrown: unknown;
    try {
      parseWatchSpec(input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidInputError);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).not.toContain('\n');
  });

  it('names every problem at once', () => {
    expect(() =>
      parseWatchSpec({ url: 'https://x.example/', every: 'often', feed: true, linkPattern: '[' }),
    ).toThrow(/invalid cadence "often".*; invalid link pattern "\["/);
  });
});

describe('parseLinkPattern', () => {
  it('compiles a pattern and caps its length', () => {
    expect(parseLinkPattern('/news/\\d+').test('https://x.example/news/12')).toBe(true);
    expect(() => parseLinkPattern('a'.repeat(501))).toThrow(/longer than 500/);
  });
});

describe('one schema for the CLI, the watch-admin function and the watch-list file', () => {
  it('watch-admin events refuse what the CLI refuses', () => {
    const add = { action: 'add', url: 'https://x.example/', feed: true, linkPattern: '(' };
    expect(WatchAdminEventSchema.safeParse(add).success).toBe(false);
    expect(
      WatchAdminEventSchema.safeParse({
        action: 'sync',
        watches: [{ url: 'https://x.example/', every: 'often' }],
      }).success,
    ).toBe(false);
    expect(WatchAdminEventSchema.safeParse({ ...add, linkPattern: '/news/' }).success).toBe(true);
  });

  it('keeps a parsed spec in its written form, so it can be sent on as an event', () => {
    const parsed = WatchSpecSchema.parse({ url: 'https://x.example/feed.xml', feed: true });
    expect(parsed).toEqual({
      url: 'https://x.example/feed.xml',
      every: '1h',
      mode: 'auto',
      tags: [],
      feed: true,
    });
    expect(WatchSpecSchema.parse(parsed)).toEqual(parsed);
  });
});

describe('link scope', () => {
  it('is kept for feeds and refused for articles', () => {
    expect(
      parseWatchSpec({ url: 'https://news.example/feed.xml', feed: true, linkScope: 'any' }),
    ).toMatchObject({
      feed: true,
      linkScope: 'any',
    });
    expect(() => parseWatchSpec({ url: 'https://news.example/a', linkScope: 'any' })).toThrow(
      /link scope applies to feed watches only/,
    );
    expect(() =>
      parseWatchSpec({ url: 'https://news.example/f', feed: true, linkScope: 'everywhere' }),
    ).toThrow();
  });
});
