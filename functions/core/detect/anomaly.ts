import type { AnomalyKind } from '../domain/model.js';
import type { Article } from './article.js';
import { wordCount } from './text.js';

/** Below this many words of body text a capture is an empty shell, not an article. */
export const MIN_ARTICLE_WORDS = 40;
/** Block, paywall and error pages are short; a long page with such a phrase is an article about it. */
const SHORT_PAGE_WORDS = 150;

const BLOCK_PAGE =
  /\b(access denied|access to this page has been denied|are you a robot|verify (that )?you are (a )?human|captcha|unusual traffic|request (was )?blocked|attention required|checking your browser|enable javascript and cookies to continue|pardon our interruption|too many requests)\b/i;
export const PAYWALL =
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

/** The anomaly an HTTP error status stands for, for any kind of document. */
export function httpStatusAnomaly(status: number): AnomalyKind | undefined {
  if (status === 404 || status === 410) return 'not_found';
  if ([401, 402, 403, 407, 429, 451].includes(status)) return 'blocked';
  return status >= 400 && status <= 599 ? `http_status_${status}` : undefined;
}

/**
 * Why a capture cannot stand for the article, or undefined when it can. Rules, in order:
 * HTTP errors; block/captcha pages and soft 404s (short pages with their phrases); paywalls and login
 * walls (a paywall phrase or marker anywhere on the page, and the article short or under 60% of the
 * baseline's words, or newly there and the article shorter); a capture cut off (its last block stops
 * mid-sentence inside a baseline block, or its HTML stops before </html> unlike the baseline's and the
 * article is shorter); and an empty shell (under 40 words of body).
 */
export function anomalyOf(article: Article, context: AnomalyContext = {}): AnomalyKind | undefined {
  const failed = context.httpStatus === undefined ? undefined : httpStatusAnomaly(context.httpStatus);
  if (failed) return failed;
  const words = bodyWords(article);
  const text = `${article.title}\n${article.blocks.join('\n')}`;
  const baselineWords = context.baseline ? bodyWords(context.baseline) : undefined;
  const short = words < SHORT_PAGE_WORDS;
  if (short && BLOCK_PAGE.test(text)) return 'blocked';
  const signals = article.signals ?? [];
  const fresh = (signal: string) =>
    signals.includes(signal) && !(context.baseline?.signals ?? []).includes(signal);
  const shrank = (share: number) => baselineWords !== undefined && words < baselineWords * share;
  const paywallish = signals.some((s) => s.startsWith('paywall') || s === 'not_free') || PAYWALL.test(text);
  const freshPaywall = fresh('paywall_text') || fresh('paywall_marker') || fresh('not_free');
  if (paywallish && (short || shrank(0.6) || (freshPaywall && shrank(1)))) return 'paywall';
  if (short && NOT_FOUND.test(`${article.title}\n${article.blocks.slice(0, 3).join('\n')}`))
    return 'soft_404';
  if (context.baseline && isTruncated(context.baseline.blocks, article.blocks)) return 'truncated';
  if (fresh('unterminated') && shrank(1)) return 'truncated';
  if (words < MIN_ARTICLE_WORDS) return 'empty_shell';
  return undefined;
}

/**
 * The capture was cut off: its last block stops mid-sentence (no closing punctuation) at a strict
 * beginning of one of the baseline's blocks, and what comes before is the baseline's text (extraction
 * of a cut page may pick up a stray heading or two, never more than a fifth of the blocks).
 */
function isTruncated(before: string[], after: string[]): boolean {
  const tail = after.at(-1);
  if (!tail || tail.length < 10 || /[.!?:;"”’')\]]$/.test(tail)) return false;
  const stem = tail.replace(/…+$/, '').trimEnd();
  const cut = before.findIndex((block) => block.length > stem.length && block.startsWith(stem));
  if (cut < 0) return false;
  const known = new Set(before);
  const strays = after.slice(0, -1).filter((block) => !known.has(block)).length;
  return strays <= Math.max(2, Math.floor(after.length / 5));
}
