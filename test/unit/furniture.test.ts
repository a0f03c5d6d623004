import { describe, expect, it } from 'vitest';
import { isFurniture } from '../../functions/core/furniture.js';

describe('isFurniture', () => {
  it.each([
    'Updated 17 minutes ago · 1,866 views',
    '3 hours ago',
    'Posted just now',
    '4 min read',
    'Advertisement',
    'Story continues below advertisement',
    '1.2K shares | 17 comments',
  ])('treats %j as furniture', (text) => {
    expect(isFurniture(text)).toBe(true);
  });

  it.each([
    'The council voted 7 to 2 on Tuesday.',
    'Three hours ago, the river crested at 9 meters, officials said.',
    'The video has 2 million views, police said.',
    'Advertisement revenue fell 12 percent.',
  ])('keeps article text %j', (text) => {
    expect(isFurniture(text)).toBe(false);
  });
});
