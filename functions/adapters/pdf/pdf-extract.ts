/**
 * Entry of the child process that reads one PDF's text (see isolated-pdf.ts). It receives the bytes and
 * the page cap over IPC, answers with the Article or the error, and exits. Its memory and time are
 * watched by the parent, which kills it over budget; it keeps no state between PDFs.
 */
import type { Article } from '../../core/detect/article.js';
import { extractPdfText } from '../../core/detect/pdf.js';
import { PdfLimitError } from '../../core/domain/errors.js';
import type { ChildReply, ChildRequest } from './protocol.js';

const send = process.send?.bind(process);
if (!send) {
  console.error('pdf-extract: run me through isolated-pdf.ts (no IPC channel)');
  process.exit(2);
}
// The parent gone (killed, crashed): nothing is waiting for the answer.
process.on('disconnect', () => process.exit(1));

process.once('message', (request: ChildRequest) => {
  void answer(request).then((reply) => send(reply, () => process.exit(0)));
});

async function answer(request: ChildRequest): Promise<ChildReply> {
  try {
    const article: Article = await extractPdfText(request.bytes, { maxPages: request.maxPages });
    return { ok: true, article };
  } catch (error) {
    if (error instanceof PdfLimitError)
      return {
        ok: false,
        name: error.name,
        message: error.message,
        limit: { limit: error.limit, budget: error.budget, observed: error.observed },
      };
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, name: error instanceof Error ? error.name : 'Error', message };
  }
}
