import { describe, expect, it } from 'vitest';
import { forbiddenBy } from '../../functions/core/domain/net-policy.js';

const deny = { allowPrivateNetwork: false };
const allow = { allowPrivateNetwork: true };

describe('forbiddenBy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['169.254.1.1', 'linkLocal'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['::1', 'loopback'],
    ['fe80::1', 'linkLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['2002:a00:1::', '6to4'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo'],
  ])('denies %s (%s) by default', (address, range) => {
    expect(forbiddenBy(address, deny)).toContain(range);
  });

  it.each(['169.254.169.254', 'fd00:ec2::254', '::ffff:169.254.169.254'])(
    'denies the metadata address %s even when private networks are allowed',
    (address) => {
      expect(forbiddenBy(address, allow)).toBe('cloud metadata address');
    },
  );

  it('allows public addresses', () => {
    expect(forbiddenBy('93.184.216.34', deny)).toBeUndefined();
    expect(forbiddenBy('2606:2800:220:1:248:1893:25c8:1946', deny)).toBeUndefined();
  });

  it('allows loopback and private ranges only on opt-in', () => {
    expect(forbiddenBy('127.0.0.1', allow)).toBeUndefined();
    expect(forbiddenBy('10.0.0.1', allow)).toBeUndefined();
  });

  it('refuses what is not an address', () => {
    expect(forbiddenBy('example.com', deny)).toBe('not an IP address');
  });
});
