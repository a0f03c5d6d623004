/** pdf.js ships no types for its worker module; Redline only hands its message handler back to pdf.js. */
declare module 'pdfjs-dist/legacy/build/pdf.worker.mjs' {
  export const WorkerMessageHandler: unknown;
}
