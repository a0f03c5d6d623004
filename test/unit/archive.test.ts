import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../functions/core/domain/errors.js';
import {
  mementoTimestamp,
  parseHttpDate,
  parseMementoTimestamp,
  versionAtOrFirst,
} from '../../functions/core/history/archive.js';
import { addOrUpdateWatch, addWatch, applyWatchChanges } from '../../functions/core/watches/watches.js';
import { memoryCaptureDeps } from '../support/memory.js';

const at = (iso: string) => ({ capturedAt: iso });
const versions = ['2026-11-01T00:00:00.000Z', '2026-11-02T00:00:00.000Z', '2026-11-03T00:00:00.000Z'].map(at);

describe('versionAtOrFirst (the TimeGate rule)', () => {
  it('picks the latest at or before the time, else the first', () => {
    expect(versionAtOrFirst(versions, new Date('2026-10-01T00:00:00Z'))).toBe(versions[0]);
    expect(versionAtOrFirst(versions, new Date('2026-11-01T00:00:00Z'))).toBe(versions[0]);
    expect(versionAtOrFirst(versions, new Date('2026-11-02T12:00:00Z'))).toBe(versions[1]);
    expect(versionAtOrFirst(versions, new Date('2026-11-03T00:00:00Z'))).toBe(versions[2]);
    expect(versionAtOrFirst(versions, new Date('2030-01-01T00:00:00Z'))).toBe(versions[2]);
  });

  it('agrees with a linear scan over many versions', () => {
    const many = Array.from({ length: 1000 }, (_, i) =>
      at(new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString()),
    );
    for (let probe = -5; probe < 1010; probe += 7) {
      const time = new Date(Date.UTC(2026, 0, 1) + probe * 3_600_000 + 1);
      const linear = many.filter((v) => Date.parse(v.capturedAt) <= time.getTime()).at(-1) ?? many[0];
      expect(versionAtOrFirst(many, time)).toBe(linear);
    }
  });

  it('refuses an empty list', () => {
    expect(() => versionAtOrFirst([], new Date())).toThrow(InvalidInputError);
  });
});

describe('Memento dates', () => {
  it('reads IMF-fixdate HTTP-dates only', () => {
    expect(parseHttpDate('Tue, 24 Nov 2026 10:00:00 GMT')?.toISOString()).toBe('2026-11-24T10:00:00.000Z');
    for (const bad of [
      'yesterday',
      '2026-11-24T10:00:00Z',
      'Tue, 31 Nov 2026 10:00:00 GMT',
      'Tue, 24 Nov 2026 25:00:00 GMT',
      '',
    ])
      expect(parseHttpDate(bad), bad).toBeUndefined();
  });

  it('round-trips 14-digit timestamps and refuses impossible ones', () => {
    expect(mementoTimestamp('2026-11-24T10:00:05.250Z')).toBe('20261124100005');
    expect(parseMementoTimestamp('20261124100005')?.toISOString()).toBe('2026-11-24T10:00:05.999Z');
    for (const bad of ['20261324100005', '20261131100005', '2026112410000', 'abcdefghijklmn'])
      expect(parseMementoTimestamp(bad), bad).toBeUndefined();
  });
});

describe('updating a watch', () => {
  it('changes only the fields given and keeps history, schedule, tags and cadence', async () => {
    const { deps } = memoryCaptureDeps();
    const { watch } = await addWatch(deps, {
      url: 'https://a.example/x',
      cadenceSeconds: 900,
      mode: 'http',
      tags: ['b', 'a'],
    });
    const changed = applyWatchChanges({ ...watch, latestVersion: 4 }, { cadenceSeconds: 3600 });
    expect(changed).toMatchObject({
      cadenceSeconds: 3600,
      mode: 'http',
      tags: ['a', 'b'],
      latestVersion: 4,
      nextDueAt: watch.nextDueAt,
    });
    expect(applyWatchChanges(watch, { tags: ['z', 'z'] }).tags).toEqual(['z']);
    expect(
      applyWatchChanges({ ...watch, ignoreRobots: 'ours' }, { ignoreRobots: null }).ignoreRobots,
    ).toBeUndefined();
    expect(() => applyWatchChanges(watch, { cadenceSeconds: 10 })).toThrow(InvalidInputError);
    expect(() => applyWatchChanges(watch, { linkPattern: 'x' })).toThrow(/feed watches only/);

    const again = await addOrUpdateWatch(
      deps,
      { url: 'https://a.example/x', cadenceSeconds: 3600, mode: 'auto', tags: [] },
      { mode: 'browser' },
    );
    expect(again.created).toBe(false);
    expect(again.watch).toMatchObject({ mode: 'browser', cadenceSeconds: 900, tags: ['a', 'b'] });
  });
});
