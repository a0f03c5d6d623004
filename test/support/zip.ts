/**
 * Reads a ZIP (a WACZ, an evidence bundle) with yauzl, a reader independent of the yazl writer Redline
 * uses, so a test checks what any unzip tool would see.
 */
import yauzl from 'yauzl';

/** More entries than any test archive holds: past it the archive is refused rather than read on. */
const MAX_ENTRIES = 100_000;

/** Every entry of the ZIP, name → bytes, in the order the central directory lists them. */
export async function unzip(bytes: Uint8Array): Promise<Map<string, Buffer>> {
  const zip = await yauzl.fromBufferPromise(Buffer.from(bytes), { lazyEntries: true });
  const files = new Map<string, Buffer>();
  let count = 0;
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', async (entry: yauzl.Entry) => {
      try {
        if (++count > MAX_ENTRIES) throw new Error(`the ZIP has more than ${MAX_ENTRIES} entries`);
        const parts: Buffer[] = [];
        for await (const chunk of await zip.openReadStreamPromise(entry)) parts.push(chunk as Buffer);
        files.set(entry.fileName, Buffer.concat(parts));
        zip.readEntry();
      } catch (error) {
        zip.close();
        reject(error);
      }
    });
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return files;
}
