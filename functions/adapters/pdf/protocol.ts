import type { Article } from '../../core/detect/article.js';
import type { PdfLimit } from '../../core/domain/errors.js';

/** What the parent sends the extraction child (over IPC, v8-serialized: the bytes are not copied to JSON). */
export interface ChildRequest {
  bytes: Uint8Array;
  maxPages: number;
}

/** The child's one answer. */
export type ChildReply =
  | { ok: true; article: Article }
  | {
      ok: false;
      name: string;
      message: string;
      limit?: { limit: PdfLimit; budget: number; observed: number };
    };
