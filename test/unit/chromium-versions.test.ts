import { describe, expect, it } from 'vitest';
import { chromiumVersions, major } from '../support/chromium-versions.js';

describe('Chromium versions', () => {
  it('playwright-core is built for the Chromium major that @sparticuz/chromium ships', () => {
    // playwright-core speaks the DevTools protocol of the Chromium in its browsers.json; @sparticuz/chromium's
    // package major is its Chromium major. When they drift, pin one to match the other.
    const { playwright, sparticuz } = chromiumVersions();
    expect(playwright, 'browsers.json names a chromium browserVersion').toMatch(/^\d+\.\d+/);
    expect(major(playwright!)).toBe(major(sparticuz));
  });
});
