import type { Context } from 'hono';

/** A file the API built for an analyst to download (a WACZ, an evidence bundle). */
export interface Download {
  /** The file name offered to the browser (`Content-Disposition`), e.g. `redline-example.org-v1-v3.zip`. */
  name: string;
  contentType: string;
  bytes: Uint8Array;
}

/**
 * How the API hands a built file over. Locally: in the response body. On AWS a Lambda response holds at
 * most 6 MB, so the AWS adapter stores the file and answers with a short-lived link to it instead.
 */
export interface Downloads {
  deliver(c: Context, file: Download): Promise<Response>;
}

/** RFC 6266 `attachment` with an ASCII fallback name and the UTF-8 `filename*`. */
export function attachment(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

/** The file in the response body (the local server: no size limit but the machine's). */
export const inlineDownloads: Downloads = {
  async deliver(c, file) {
    return c.body(Buffer.from(file.bytes), 200, {
      'Content-Type': file.contentType,
      'Content-Disposition': attachment(file.name),
      'Content-Length': String(file.bytes.byteLength),
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    });
  },
};
