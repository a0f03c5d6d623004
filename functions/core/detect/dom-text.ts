/**
 * The text of a parsed page as a reader sees it, independent of how the markup is indented
 * (docs/adr/0002-canonical-text.md). White space between elements is layout, not words: CSS collapses
 * every run of it to one space inside a line, and drops it at the start and end of a block. Doing the
 * same before extraction makes a re-indented page (tabs↔spaces, newlines between tags, a
 * pretty-printer's reformat) parse into the same text, and makes Readability's own heuristics (byline
 * length, text density) see the same input.
 */

/** Elements that start and end a line box (CSS `display: block`, `list-item`, table parts …). */
const BLOCK_TAGS = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'body',
  'caption',
  'center',
  'dd',
  'details',
  'dialog',
  'dir',
  'div',
  'dl',
  'dt',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'head',
  'header',
  'hgroup',
  'hr',
  'html',
  'legend',
  'li',
  'main',
  'menu',
  'nav',
  'ol',
  'option',
  'p',
  'pre',
  'section',
  'summary',
  'table',
  'tbody',
  'td',
  'tfoot',
  'th',
  'thead',
  'title',
  'tr',
  'ul',
]);
/** Elements whose white space is content. */
const PRESERVE_TAGS = new Set(['pre', 'textarea', 'listing', 'plaintext', 'xmp']);
const WHITESPACE = /[ \t\n\r\f]+/g;
const ONLY_WHITESPACE = /^[ \t\n\r\f]*$/;
const ELEMENT_NODE = 1;
const TEXT_NODE = 3;

const tagOf = (node: Node | null): string =>
  node && node.nodeType === ELEMENT_NODE ? (node as Element).tagName.toLowerCase() : '';

/** Whether a line break surrounds this node (a block element or `<br>`). */
export function isBlockBoundary(node: Node | null): boolean {
  const tag = tagOf(node);
  return tag === 'br' || BLOCK_TAGS.has(tag);
}

/**
 * Collapses white space in every text node under `root` as CSS does (`white-space: normal`): runs become
 * one space; white space next to a block boundary (a block element's start or end, a sibling block, a
 * `<br>`) is removed. Text inside `<pre>` and `<textarea>` is left alone. Mutates the tree.
 */
export function collapseWhitespace(root: Node): void {
  const stack: Node[] = [root];
  const texts: Text[] = [];
  while (stack.length) {
    const node = stack.pop()!;
    if (node.nodeType === TEXT_NODE) texts.push(node as Text);
    else if (node.nodeType === ELEMENT_NODE && PRESERVE_TAGS.has(tagOf(node))) continue;
    else for (let child = node.lastChild; child; child = child.previousSibling) stack.push(child);
  }
  for (const text of texts) {
    const value = text.nodeValue ?? '';
    const parentIsBlock = isBlockBoundary(text.parentNode);
    const startsLine = text.previousSibling ? isBlockBoundary(text.previousSibling) : parentIsBlock;
    const endsLine = text.nextSibling ? isBlockBoundary(text.nextSibling) : parentIsBlock;
    if (ONLY_WHITESPACE.test(value)) {
      if (startsLine || endsLine) text.remove();
      else if (value !== ' ') text.nodeValue = ' ';
      continue;
    }
    let collapsed = value.replace(WHITESPACE, ' ');
    if (startsLine) collapsed = collapsed.trimStart();
    if (endsLine) collapsed = collapsed.trimEnd();
    if (collapsed !== value) text.nodeValue = collapsed;
  }
}

/**
 * The text of an element with a space wherever a block boundary falls, so `<p>a</p><p>b</p>` reads
 * "a b" with or without white space between the paragraphs, while `<span>a</span><span>b</span>` stays
 * the one word "ab".
 */
export function renderedText(element: Node): string {
  const parts: string[] = [];
  const stack: (Node | string)[] = [element];
  while (stack.length) {
    const item = stack.pop()!;
    if (typeof item === 'string') {
      parts.push(item);
      continue;
    }
    if (item.nodeType === TEXT_NODE) {
      parts.push(item.nodeValue ?? '');
      continue;
    }
    if (item.nodeType !== ELEMENT_NODE && item.nodeType !== 9 && item.nodeType !== 11) continue;
    const boundary = item !== element && isBlockBoundary(item);
    if (boundary) stack.push(' ');
    for (let child = item.lastChild; child; child = child.previousSibling) stack.push(child);
    if (boundary) stack.push(' ');
  }
  return parts.join('');
}
