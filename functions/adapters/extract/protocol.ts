import type { Article } from '../../core/detect/article.js';

/** What the parent posts the extraction worker: one page (the string is copied, structured clone). */
export interface WorkerRequest {
  id: number;
  html: string;
}

/** The worker's answer to one request. */
export type WorkerReply =
  | { id: number; ok: true; article: Article }
  | { id: number; ok: false; name: string; message: string };
