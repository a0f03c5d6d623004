import { randomUUID } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * `<dataDir>/store.json`: where the data dir's store process listens and the token it accepts. Written
 * by the store that holds the database lock, only once its table is ready; mode 0600 (the token is the
 * only thing between another local user and the archive).
 */
export const StoreInfoSchema = z.object({
  port: z.number().int().min(1).max(65_535),
  pid: z.number().int().positive(),
  token: z.string().regex(/^[A-Za-z0-9]{32,128}$/),
  startedAt: z.iso.datetime(),
});
export type StoreInfo = z.infer<typeof StoreInfoSchema>;

/** The data dir's one DynamoDB table. */
export const LOCAL_TABLE = 'redline';

/** The store's exit code when another process holds the database (a client then reads store.json again). */
export const STORE_BUSY_EXIT = 75;

/** The HTTP path of a client's session: held open while the client runs, it keeps the store up. */
export const SESSION_PATH = '/redline/session';

export const storeFileOf = (dataDir: string): string => join(dataDir, 'store.json');
export const storeLogOf = (dataDir: string): string => join(dataDir, 'store.log');

/** store.json, or undefined when it is missing, unreadable or not a store file. */
export async function readStoreInfo(dataDir: string): Promise<StoreInfo | undefined> {
  let text: string;
  try {
    text = await readFile(storeFileOf(dataDir), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = StoreInfoSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Replaces store.json atomically (temp file, mode 0600, rename): a reader sees the old file or the new one. */
export async function writeStoreInfo(dataDir: string, info: StoreInfo): Promise<void> {
  const path = storeFileOf(dataDir);
  const temp = `${path}.${randomUUID()}.tmp`;
  await writeFile(temp, `${JSON.stringify(info)}\n`, { flag: 'wx', mode: 0o600 });
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Removes store.json if it still names this store (a newer store's file is left alone). */
export async function removeStoreInfo(dataDir: string, token: string): Promise<void> {
  const current = await readStoreInfo(dataDir);
  if (current?.token === token) await rm(storeFileOf(dataDir), { force: true });
}

/** The access key id in a SigV4 `Authorization` header (`… Credential=<id>/date/region/…`). */
export function accessKeyIdOf(authorization: string | undefined): string | undefined {
  return authorization?.match(/Credential=([^/,\s]+)\//)?.[1];
}
