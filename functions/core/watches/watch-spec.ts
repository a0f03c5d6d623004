import { z } from 'zod';
import { InvalidInputError } from '../domain/errors.js';
import { CaptureModeSchema } from '../domain/model.js';
import { normalizeUrl, parseCadence } from '../domain/url.js';
import type { WatchSettings } from './watches.js';

/**
 * One watch as a person writes it: `redline watch add` flags, `aws lambda invoke` payloads for the
 * watch-admin function, and the watch-list file (config/<stage>.watches.json). One schema for all of
 * them, so what the CLI accepts and what a deployed stage accepts cannot drift apart.
 */

/** A refinement that runs a parser which throws InvalidInputError, reporting its message as the issue. */
const checkedBy =
  (parse: (value: string) => unknown) =>
  (value: string, ctx: z.RefinementCtx): void => {
    try {
      parse(value);
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message });
    }
  };

export const DEFAULT_CADENCE = '1h';
export const MAX_LINK_PATTERN_LENGTH = 500;

/** A regular expression (JavaScript syntax) that article links on an HTML index page match. */
export function parseLinkPattern(pattern: string): RegExp {
  if (pattern.length > MAX_LINK_PATTERN_LENGTH)
    throw new InvalidInputError(`link pattern longer than ${MAX_LINK_PATTERN_LENGTH} characters`);
  try {
    return new RegExp(pattern);
  } catch (cause) {
    const why =
      cause instanceof Error ? `: ${cause.message.replace(/^Invalid regular expression: /, '')}` : '';
    throw new InvalidInputError(`invalid link pattern ${JSON.stringify(pattern)}${why}`, { cause });
  }
}

export const WatchUrlSchema = z.string().superRefine(checkedBy(normalizeUrl));
/** `15m`, `1h`, `1d`, … (at least one minute); kept as written, see watchSettingsOf. */
export const CadenceSchema = z.string().superRefine(checkedBy(parseCadence));
export const LinkPatternSchema = z
  .string()
  .refine((pattern) => pattern.length > 0, 'empty link pattern')
  .superRefine(checkedBy(parseLinkPattern));

export const WatchSpecSchema = z
  .object({
    url: WatchUrlSchema,
    every: CadenceSchema.default(DEFAULT_CADENCE),
    mode: CaptureModeSchema.default('auto'),
    tags: z.array(z.string()).default([]),
    /** Do not honour robots.txt for this URL; the reason is required and recorded. */
    ignoreRobots: z
      .string()
      .trim()
      .refine((reason) => reason.length > 0, 'ignoring robots.txt needs a reason')
      .optional(),
    /** A feed, sitemap or index page whose links become article watches. */
    feed: z.boolean().default(false),
    /** With `feed` on an HTML index page: which links are articles. */
    linkPattern: LinkPatternSchema.optional(),
    /** With `feed`: keep links on the feed's own site (default) or take links to any site. */
    linkScope: z.enum(['site', 'any']).optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.linkPattern !== undefined && !spec.feed)
      ctx.addIssue({
        code: 'custom',
        path: ['linkPattern'],
        message: 'a link pattern applies to feed watches only (--feed, or "feed": true)',
      });
    if (spec.linkScope !== undefined && !spec.feed)
      ctx.addIssue({
        code: 'custom',
        path: ['linkScope'],
        message: 'a link scope applies to feed watches only (--feed, or "feed": true)',
      });
  });

/** A watch spec as written (defaults may be left out). */
export type WatchSpec = z.input<typeof WatchSpecSchema>;
/** A watch spec after validation, defaults filled in. */
export type ParsedWatchSpec = z.output<typeof WatchSpecSchema>;

/** The settings `addWatch` takes, from a validated spec. */
export function watchSettingsOf(spec: ParsedWatchSpec): WatchSettings {
  return {
    url: spec.url,
    cadenceSeconds: parseCadence(spec.every),
    mode: spec.mode,
    tags: spec.tags,
    feed: spec.feed,
    ...(spec.ignoreRobots ? { ignoreRobots: spec.ignoreRobots } : {}),
    ...(spec.linkPattern ? { linkPattern: spec.linkPattern } : {}),
    ...(spec.linkScope ? { linkScope: spec.linkScope } : {}),
  };
}

/** One line naming every problem, for people: `invalid cadence "often" …; invalid link pattern …`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) =>
      issue.code === 'custom' || issue.path.length === 0
        ? issue.message
        : `${issue.path.join('.')}: ${issue.message}`,
    )
    .join('; ');
}

/** Validates a watch spec; throws InvalidInputError with a one-line message. */
export function parseWatchSpec(input: unknown): WatchSettings {
  const parsed = WatchSpecSchema.safeParse(input);
  if (!parsed.success) throw new InvalidInputError(describeIssues(parsed.error), { cause: parsed.error });
  return watchSettingsOf(parsed.data);
}
