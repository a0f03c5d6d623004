import { readFile } from 'node:fs/promises';
import { isolatedHtmlExtractor } from '../../adapters/extract/isolated-html.js';
import { isolatedPdfExtractor } from '../../adapters/pdf/isolated-pdf.js';
import { compareDocuments } from '../../core/detect/compare.js';
import { normalizeUrl } from '../../core/domain/url.js';
import type { DefineGroup } from '../context.js';
import { formatComparison, styleFor } from '../format.js';

/** `redline compare OLD NEW`: the detection engine on two saved files; no data dir, no network, no browser. */
export const defineCompare: DefineGroup = (compare, { io, out, json }) => {
  compare
    .argument('<old>', 'older HTML or PDF file')
    .argument('<new>', 'newer HTML or PDF file')
    .option('--url <url>', 'the page URL the files came from')
    .option('--json', 'JSON output')
    .action(async (oldPath: string, newPath: string, options: { url?: string; json?: boolean }) => {
      if (options.url) normalizeUrl(options.url);
      const [oldBytes, newBytes] = await Promise.all([readFile(oldPath), readFile(newPath)]);
      const comparison = await compareDocuments(oldBytes, newBytes, options.url, {
        pdf: isolatedPdfExtractor,
        html: isolatedHtmlExtractor,
      });
      if (options.json) json({ ...(options.url ? { url: options.url } : {}), ...comparison });
      else out(formatComparison(comparison, styleFor(io.stdout)));
    });
};
