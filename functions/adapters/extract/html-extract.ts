/**
 * Entry of the worker thread that reads HTML pages' articles (see isolated-html.ts). It answers each
 * request with the Article or the error, one at a time, and stays up for the next page; the parent
 * terminates it over its time budget or on abort, and V8 ends it over its heap budget.
 */
import { parentPort } from 'node:worker_threads';
import { extractArticle } from '../../core/detect/article.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

const port = parentPort;
if (!port) {
  console.error('html-extract: run me through isolated-html.ts (not a worker thread)');
  process.exit(2);
}

port.on('message', (request: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    reply = { id: request.id, ok: true, article: extractArticle(request.html) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    reply = { id: request.id, ok: false, name: error instanceof Error ? error.name : 'Error', message };
  }
  port.postMessage(reply);
});
