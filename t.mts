import { readFileSync } from 'node:fs';
import { extractArticle } from './functions/core/article.ts';
const files = ['bbc-1','cnn','nytimes-1','seattletimes-1','aclu','telegraph','salon-1','theverge','wapo-1','citylab-1'];
const htmls = files.map((f) => readFileSync(`../shared/corpus/news-pages/${f}.html`, 'utf8'));
for (const h of htmls) extractArticle(h);
(globalThis as any).__phase = {};
const t = performance.now(); for (let r = 0; r < 3; r++) for (const h of htmls) extractArticle(h);
console.log('extract', ((performance.now() - t) / 30).toFixed(1));
