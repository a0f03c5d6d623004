import sparticuz from '@sparticuz/chromium';
import { chromium } from 'playwright-core';

/**
 * The baseline every browser bench compares with: the same @sparticuz/chromium binary with
 * Playwright's defaults, one browser, a fresh context per page, goto + content + pdf.
 */
export async function barePlaywright(url: string) {
  const browser = await chromium.launch({ executablePath: await sparticuz.executablePath(), headless: true });
  return {
    async capture(): Promise<void> {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(url, { waitUntil: 'load' });
      await page.content();
      await page.pdf({ format: 'A4', printBackground: true });
      await context.close();
    },
    close: () => browser.close(),
  };
}
