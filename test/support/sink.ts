import { Writable } from 'node:stream';

/** A Writable collecting what is written (a WACZ, an evidence bundle); `bytes()` gives it all so far. */
export function memorySink() {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  return { sink, bytes: () => Buffer.concat(chunks) };
}
