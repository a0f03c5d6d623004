import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the demo article says in each state. */
export interface ArticleState {
  headline: string;
  paragraphs: string[];
}

export const ORIGINAL: ArticleState = {
  headline: 'City council approves riverfront flood barrier after two-year debate',
  paragraphs: [
    'The city council voted 7 to 2 on Tuesday night to approve a $48 million flood barrier along the eastern riverfront, ending a debate that has divided neighbourhoods since the floods of 2024.',
    'The barrier, a mix of earthen levees and removable steel panels, will protect roughly 3,200 homes and the wastewater treatment plant that was knocked offline for nine days two springs ago.',
    'Council member Dana Okafor, who led the opposition, said the plan moved too quickly and that residents of the Low Flats district were consulted too late. "We are building a wall in front of people who were never asked," she said.',
    'Supporters pointed to engineering studies estimating that a repeat of the 2024 flood would cause more than $200 million in damage without the barrier.',
    'Construction is expected to begin in the spring and take three years. The city will pay for it with a mix of state grants and a bond measure approved by voters last year.',
    'The mayor is expected to sign the measure on Friday.',
  ],
};

export const EDITED: ArticleState = {
  headline: 'City council approves riverfront flood barrier in narrow vote',
  paragraphs: [
    'The city council voted 5 to 4 on Tuesday night to approve a $48 million flood barrier along the eastern riverfront, ending a debate that has divided neighbourhoods since the floods of 2024.',
    ...ORIGINAL.paragraphs.slice(1, 5),
    'The mayor is not expected to sign the measure before the end of the month.',
    'Correction: An earlier version of this article misstated the vote count.',
  ],
};

export function articlePage(state: ArticleState, round: number): string {
  const minutes = 3 + round * 7;
  const views = 1204 + round * 331;
  const ad = ['Spring sale: 40% off mattresses', 'Refinance today at 5.9% APR', 'New SUVs from $299/month'][
    round % 3
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${state.headline} | The Riverside Ledger</title>
<meta property="og:title" content="${state.headline}">
<meta property="article:published_time" content="2026-11-24T18:00:00Z">
<script>window.__STATE__ = {"session":"${round}-${Date.now()}","ab":"${round % 2 ? 'B' : 'A'}"};</script>
<style>body{font-family:Georgia,serif;max-width:760px;margin:auto} .ad{background:#eee;padding:8px}</style>
</head><body>
<div class="cookie-banner" id="consent">We use cookies to improve your experience. <button>Accept all</button></div>
<header><nav><a href="/">Home</a> · <a href="/local">Local</a> · <a href="/politics">Politics</a> · <a href="/sports">Sports</a></nav></header>
<div class="ad" data-slot="top-${round}">Advertisement: ${ad}</div>
<main><article>
<h1>${state.headline}</h1>
<p class="byline">By <a rel="author" href="/staff/jordan-reyes">Jordan Reyes</a></p>
<p class="meta">Updated ${minutes} minutes ago · ${views.toLocaleString('en-US')} views</p>
${state.paragraphs.map((p) => `<p>${p}</p>`).join('\n')}
</article></main>
<aside><h3>Most read</h3><ul><li><a href="/a">School board race heats up</a></li><li><a href="/b">Storm watch for the weekend (${round})</a></li></ul></aside>
<footer>© 2026 The Riverside Ledger · Page generated ${new Date().toISOString()}</footer>
</body></html>`;
}

export interface NewsSite {
  url: string;
  articleUrl: string;
  /** Moves the site to its next round; `edit` switches the article's words. */
  setRound(round: number, state: ArticleState): void;
  requests: number;
  close(): Promise<void>;
}

/** A small news site on 127.0.0.1 whose article can be edited between rounds. */
export async function startNewsSite(): Promise<NewsSite> {
  let round = 0;
  let state = ORIGINAL;
  const site = { requests: 0 } as NewsSite;
  const server: Server = createServer((req, res) => {
    site.requests++;
    if (req.url === '/2026/11/24/flood-barrier') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(articlePage(state, round));
    } else {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html><body><h1>Not found</h1></body></html>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(site, {
    url,
    articleUrl: `${url}/2026/11/24/flood-barrier`,
    setRound(next: number, nextState: ArticleState) {
      round = next;
      state = nextState;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
