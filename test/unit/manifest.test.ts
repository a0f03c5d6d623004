import { describe, expect, it } from 'vitest';
import { sha256 } from '../../functions/core/domain/digest.js';
import type { VersionRecord } from '../../functions/core/domain/model.js';
import {
  canonicalJson,
  type Manifest,
  manifestBytes,
  manifestDigest,
  manifestOf,
  parseManifest,
} from '../../functions/core/proof/manifest.js';

const d = (c: string) => `sha256:${c.repeat(64)}` as const;

/** ADR 0012's worked example; its digest was recomputed outside Redline (`jq -cSj . | sha256sum`, Python's json). */
const EXAMPLE: Manifest = {
  format: 'redline.manifest/1',
  url: 'https://news.example/2026/11/24/flood-barrier',
  watchId: 'w_0123456789abcdef0123',
  version: 2,
  captureId: '20261126T100000000Z-k3j9x0aa',
  capturedAt: '2026-11-26T10:00:02.000Z',
  artifacts: { raw: d('1'), text: d('2'), diff: d('3') },
  textHash: d('4'),
  provenance: null,
  previous: d('5'),
};

describe('manifest canonical form (ADR 0012)', () => {
  it('serializes the worked example to the bytes and digest the ADR gives', () => {
    const text = Buffer.from(manifestBytes(EXAMPLE)).toString('utf8');
    expect(text.startsWith('{"artifacts":{"diff":"sha256:3333')).toBe(true);
    expect(text).not.toMatch(/\s/);
    expect(manifestDigest(EXAMPLE)).toBe(
      'sha256:238d72fefe7b36ae27fb19161dd13415cbdcd195c7945321f6427ebfc62b982c',
    );
  });

  it('is independent of key order and sorts keys by UTF-16 code units, as RFC 8785 does', () => {
    const shuffled = Object.fromEntries(Object.entries(EXAMPLE).reverse()) as Manifest;
    expect(manifestDigest(shuffled)).toBe(manifestDigest(EXAMPLE));
    // "Z" (U+005A) < "a" (U+0061) < "é" (U+00E9) < "😀" (a surrogate pair, U+D83D first) < "ｶ" (U+FF76)
    expect(canonicalJson({ ｶ: 1, '😀': 2, é: 3, a: 4, Z: 5 })).toBe('{"Z":5,"a":4,"é":3,"😀":2,"ｶ":1}');
  });

  it('escapes strings as JCS does: control characters, quotes, backslashes; other characters as UTF-8', () => {
    expect(canonicalJson('a"b\\c\u0001\n\u2028é')).toBe('"a\\"b\\\\c\\u0001\\n\u2028é"');
  });

  it('holds integers only', () => {
    expect(() => canonicalJson({ n: 1.5 })).toThrow(/integers only/);
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/integers only/);
    expect(canonicalJson({ n: -0 })).toBe('{"n":0}');
  });

  it('reads back only a manifest in canonical form', () => {
    expect(parseManifest(manifestBytes(EXAMPLE))).toEqual(EXAMPLE);
    const pretty = Buffer.from(JSON.stringify(EXAMPLE, null, 2));
    expect(() => parseManifest(pretty)).toThrow(/canonical form/);
    const extra = Buffer.from(canonicalJson({ ...EXAMPLE, note: 'x' }));
    expect(() => parseManifest(extra)).toThrow(/not a manifest/);
    expect(() => parseManifest(Buffer.from([0xff, 0xfe]))).toThrow(/UTF-8/);
  });

  it('names every artifact of a version by kind, its diff page included, and chains to the previous manifest', () => {
    const version: VersionRecord = {
      watchId: 'w_0123456789abcdef0123',
      number: 3,
      captureId: 'c3',
      url: 'https://news.example/a',
      capturedAt: '2026-11-26T10:00:00.000Z',
      title: 'A',
      textHash: d('a'),
      artifacts: {
        raw: { digest: d('b'), size: 1, contentType: 'text/html' },
        edits: { digest: d('c'), size: 1, contentType: 'application/json' },
      },
      edits: [],
      diff: { digest: d('e'), size: 1, contentType: 'text/html' },
    };
    const previous = sha256('v2 manifest');
    expect(manifestOf(version, previous)).toEqual({
      format: 'redline.manifest/1',
      url: 'https://news.example/a',
      watchId: 'w_0123456789abcdef0123',
      version: 3,
      captureId: 'c3',
      capturedAt: '2026-11-26T10:00:00.000Z',
      artifacts: { raw: d('b'), edits: d('c'), diff: d('e') },
      textHash: d('a'),
      provenance: null,
      previous,
    });
  });
});
