/**
 * Comment sections, found in a parsed page and removed before extraction (ADR 0002): by their markup
 * (class/id names of comment systems, schema.org Comment, an aria-label, embeds' custom elements) or by
 * their heading ("12 Comments", "Leave a Reply", "Kommentare", "Deja un comentario").
 */
import { renderedText } from './dom-text.js';
import { commentName, FURNITURE_MAX_SHARE, isCommentLine, longParagraphs } from './furniture.js';
import { canonicalText } from './text.js';

/** A comment section may outweigh a short article, but never holds its headline or marked body. */
const COMMENT_MAX_SHARE = 0.6;
const ARTICLE_MARKERS = 'h1,[itemprop="articleBody"],[itemprop="headline"]';
const COMMENT_DATA = [
  'data-spotim-module',
  'data-spot-im-module',
  'data-vf-container-id',
  'data-hyvor-talk-id',
];
/** Embeds that render as custom elements: Viafoura, Hyvor Talk, Coral. */
const COMMENT_ELEMENT = /^(?:vf-|hyvor-talk|coral-|disqus-|commento)/;
const HEADING_SELECTOR = 'h1,h2,h3,h4,h5,h6,[role="heading"],legend';
/** Caps on elements looked at: a page with more is cut short rather than read whole. */
const MAX_ELEMENTS = 200_000;
const MAX_HEADINGS = 2_000;

/** How sure the markup is that an element is a comment section or a comment. */
function commentMarkup(element: Element): 'strong' | 'weak' | undefined {
  const tag = element.tagName.toLowerCase();
  if (COMMENT_ELEMENT.test(tag)) return 'strong';
  if (/Comment/i.test(element.getAttribute('itemtype') ?? '')) return 'strong';
  if (/^comments?$/i.test(element.getAttribute('itemprop') ?? '')) return 'strong';
  if (COMMENT_DATA.some((a) => element.hasAttribute(a))) return 'strong';
  const label = element.getAttribute('aria-label');
  if (label && isCommentLine(canonicalText(label))) return 'strong';
  const byClass = commentName(element.getAttribute('class') ?? '');
  const byId = commentName(element.getAttribute('id') ?? '');
  return byClass === 'strong' || byId === 'strong' ? 'strong' : (byClass ?? byId);
}

function removable(element: Element, total: number, maxShare: number): boolean {
  const tag = element.tagName.toLowerCase();
  if (['html', 'body', 'main'].includes(tag)) return false;
  if (element.querySelector(ARTICLE_MARKERS) || element.matches(ARTICLE_MARKERS)) return false;
  return renderedText(element).length / total < maxShare;
}

/** Rank of a heading element (1–6); other headings (role=heading, legend) rank 6. */
function rank(element: Element): number {
  const match = /^h([1-6])$/i.exec(element.tagName);
  return match ? Number(match[1]) : 6;
}

/**
 * Removes comment sections. A comment heading that starts its container takes the container; one among
 * the article's own blocks takes itself and what follows up to the next heading of the same or higher
 * rank. Never the headline, a marked article body or html/body/main.
 */
export function removeComments(document: Document): void {
  const total = renderedText(document.body ?? document).length || 1;
  let seen = 0;
  for (const element of (document.body ?? document).querySelectorAll('*')) {
    if (++seen > MAX_ELEMENTS) break;
    if (!element.isConnected) continue;
    const markup = commentMarkup(element);
    if (!markup) continue;
    // A bare "comment" class may be an opinion piece: the cautious furniture rule decides it.
    const fits =
      markup === 'strong'
        ? removable(element, total, COMMENT_MAX_SHARE)
        : removable(element, total, FURNITURE_MAX_SHARE) && longParagraphs(element) <= 2;
    if (fits) element.remove();
  }
  let headings = 0;
  for (const heading of document.querySelectorAll(HEADING_SELECTOR)) {
    if (++headings > MAX_HEADINGS) break;
    if (!heading.isConnected || !isCommentLine(canonicalText(renderedText(heading)))) continue;
    // Climb while the heading (or its wrapper) opens its parent: the parent is the comment section.
    let section: Element = heading;
    while (
      section.parentElement &&
      section.parentElement.firstElementChild === section &&
      !['body', 'main', 'article', 'html'].includes(section.parentElement.tagName.toLowerCase()) &&
      !section.parentElement.querySelector(ARTICLE_MARKERS)
    ) {
      section = section.parentElement;
    }
    if (section !== heading) {
      if (removable(section, total, COMMENT_MAX_SHARE)) section.remove();
      continue;
    }
    // A heading among the article's blocks: it and what follows, up to the next heading of its rank,
    // or up to a bare paragraph once the comments' own containers (lists, forms, divs) are over.
    const run: Element[] = [heading];
    let containers = false;
    for (let next = heading.nextElementSibling; next && run.length < 500; next = next.nextElementSibling) {
      if (next.matches(HEADING_SELECTOR) && rank(next) <= rank(heading)) break;
      const paragraph = next.tagName.toLowerCase() === 'p';
      if (paragraph && containers) break;
      containers ||= !paragraph;
      run.push(next);
    }
    const length = run.reduce((sum, element) => sum + renderedText(element).length, 0);
    if (
      length / total < FURNITURE_MAX_SHARE &&
      !run.some((e) => e.matches(ARTICLE_MARKERS) || e.querySelector(ARTICLE_MARKERS))
    )
      for (const element of run) element.remove();
  }
}
