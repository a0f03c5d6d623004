import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../functions/core/domain/errors.js';
import { formatCadence, normalizeUrl, parseCadence, watchIdFor } from '../../functions/core/domain/url.js';

describe('normalizeUrl', () => {
  it('drops the fragment and keeps the query', () => {
    expect(normalizeUrl('https://News.example/a?b=1#top')).toBe('https://news.example/a?b=1');
  });

  it.each([
    'not a url',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'ftp://x.example/',
    'https://u:p@x.example/',
  ])('refuses %j', (input) => {
    expect(() => normalizeUrl(input)).toThrow(InvalidInputError);
  });

  it('gives one stable id per normalized URL', () => {
    expect(watchIdFor(normalizeUrl('https://x.example/a#1'))).toBe(
      watchIdFor(normalizeUrl('https://x.example/a')),
    );
    expect(watchIdFor('https://x.example/a')).toMatch(/^w_[0-9a-f]{20}$/);
  });
});

describe('parseCadence', () => {
  it('parses units', () => {
    expect(parseCadence('15m')).toBe(900);
    expect(parseCadence('1h')).toBe(3600);
    expect(parseCadence('2d')).toBe(172800);
    expect(formatCadence(900)).toBe('15m');
    expect(formatCadence(86400)).toBe('1d');
  });

  it.each(['', '10', 'hourly', '30s', '-1h'])('refuses %j', (input) => {
    expect(() => parseCadence(input)).toThrow(InvalidInputError);
  });
});
