import type { Article } from './article.js';
import { wordCount } from './text.js';

/** Below this many words of body text a capture is an empty shell, not an article. */
export const MIN_ARTICLE_WORDS = 40;
/** Block, paywall and error pages are short; a long page with such a phrase is an article about it. */
const SHORT_PAGE_WORDS = 150;

const BLOCK_PAGE =
  /\b(access denied|access to this page has been denied|are you a robot|verify (that )?you are (a )?human|captcha|unusual traffic|request (was )?blocked|attention required|checking your browser|enable javascript and cookies to continue|pardon our interruption|too many requests)\b/i;
const PAYWALL =
  /\b(subscribe (now )?to (continue|keep) reading|subscribers? only|for subscribers|to continue reading|(log|sign) ?in to (continue|keep reading|read)|already a subscriber|create a free account to (continue|read)|you['’]?ve reached your (free )?(article )?limit|you have reached your (free )?(article )?limit|this (article|story|content) is (only )?(available|exclusive) (to|for) (subscribers|members)|become a (member|subscriber) to (read|continue))\b/i;
const NOT_FOUND =
  /\b(page (was )?not found|(article|story|page|content) (is )?no longer available|(page|article|story) (you['’]?re|you are) looking for (doesn['’]?t|does not|cannot|can['’]?t) (exist|be found)|404|error 404|we can['’]?t find (that|this|the) page)\b/i;

export interface AnomalyContext {
  httpStatus?: number;
  /** The latest version's article, when there is one. */
  baseline?: Article;
}

function bodyWords(article: Article): number {
  return article.blocks.reduce((sum, block) => sum + wordCount(block), 0);
}

/**
 * Why a capture cannot stand for the article, or undefined when it can. Rules, in order:
 * HTTP errors; block/captcha pages, paywalls and login walls, soft 404s (short pages with their
 * phrases, or a paywall phrase on a page under 60% of the baseline's words); a capture cut off
 * mid-paragraph against the baseline; and an empty shell (under 40 words of body).
 */
export function anomalyOf(article: Article, context: AnomalyContext = {}): string | undefined {
  const status = context.httpStatus;
  if (status !== undefined) {
    if (status === 404 || status === 410) return 'not_found';
    if ([401, 402, 403, 407, 429, 451].includes(status)) return 'blocked';
    if (status >= 400) return `http_status_${status}`;
  }
  const words = bodyWords(article);
  const text = `${article.title}\n${article.blocks.join('\n')}`;
  const baselineWords = context.baseline ? bodyWords(context.baseline) : undefined;
  const short = words < SHORT_PAGE_WORDS;
  if (short && BLOCK_PAGE.test(text)) return 'blocked';
  if (PAYWALL.test(text) && (short || (baselineWords !== undefined && words < baselineWords * 0.6)))
    return 'paywall';
  if (short && NOT_FOUND.test(`${article.title}\n${article.blocks.slice(0, 3).join('\n')}`))
    return 'soft_404';
  if (context.baseline && isTruncated(context.baseline.blocks, article.blocks)) return 'truncated';
  if (words < MIN_ARTICLE_WORDS) return 'empty_shell';
  return undefined;
}

/** The new blocks are the old ones cut off: an equal prefix ending in a block cut mid-way. */
function isTruncated(before: string[], after: string[]): boolean {
  if (after.length === 0 || after.length > before.length) return false;
  const last = after.length - 1;
  for (let i = 0; i < last; i++) if (after[i] !== before[i]) return false;
  const tail = after[last]!;
  const original = before[last]!;
  return tail !== original && original.startsWith(tail.replace(/[.…]+$/, '').trimEnd());
}
