import { describe, expect, it } from 'vitest';
import { canonicalText, wordCount } from '../../functions/core/detect/text.js';

describe('canonicalText', () => {
  it('folds non-breaking and exotic spaces, soft hyphens and zero-width characters', () => {
    expect(canonicalText('flood\u00A0barrier  vote\u2009count')).toBe('flood barrier vote count');
    expect(canonicalText('re\u00ADport\u200Bed\uFEFF')).toBe('reported');
    expect(canonicalText('\n\t The  council \n')).toBe('The council');
  });

  it('applies NFKC so composed and decomposed letters are equal', () => {
    expect(canonicalText('Cafe\u0301')).toBe(canonicalText('Café'));
    expect(canonicalText('ﬁnance')).toBe('finance');
  });

  it('keeps every word, digit and punctuation mark that a reader sees', () => {
    expect(canonicalText('voted 7 to 2.')).not.toBe(canonicalText('voted 5 to 4.'));
    expect(canonicalText('is expected')).not.toBe(canonicalText('is not expected'));
  });

  it('reads a space before closing punctuation as none, and keeps a decimal point', () => {
    expect(canonicalText('reprinted on Wired.com .')).toBe('reprinted on Wired.com.');
    expect(canonicalText('Il a dit : « non » !')).toBe('Il a dit: « non »!');
    expect(canonicalText('in your inbox .]')).toBe('in your inbox.]');
    expect(canonicalText('batting .300 this year')).toBe('batting .300 this year');
    expect(canonicalText('a , b')).toBe('a, b');
  });

  it('counts words', () => {
    expect(wordCount('')).toBe(0);
    expect(wordCount(' one two  three ')).toBe(3);
  });
});
