import ipaddr from 'ipaddr.js';

/**
 * Which addresses Redline may connect to. Pure: no DNS, no sockets. The adapters resolve a name once,
 * ask this policy about every address, and connect only to an address it allowed.
 */
export interface NetworkPolicy {
  allowPrivateNetwork: boolean;
}

const IPV4_ALLOWED_RANGE = 'unicast';
const IPV6_ALLOWED_RANGES = new Set(['unicast', 'global']);
// fd00:ec2::254 is the EC2 metadata service over IPv6; it is inside fc00::/7 (uniqueLocal) too.
const METADATA = new Set(['169.254.169.254', 'fd00:ec2::254', '169.254.170.2']);

/** Returns the rule that forbids `address`, or undefined when it may be contacted. */
export function forbiddenBy(address: string, policy: NetworkPolicy): string | undefined {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6') {
    const v6 = ip as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) ip = v6.toIPv4Address();
    else {
      const range = v6.range();
      // Addresses that embed or tunnel to an IPv4 address can reach private space through a translator.
      if (['rfc6052', 'rfc6145', '6to4', 'teredo'].includes(range))
        return `IPv6 ${range} translation address`;
    }
  }
  const normalized = ip.toString();
  if (METADATA.has(normalized)) return 'cloud metadata address';
  if (policy.allowPrivateNetwork) return undefined;
  const range = ip.range();
  if (ip.kind() === 'ipv4') return range === IPV4_ALLOWED_RANGE ? undefined : `IPv4 ${range} address`;
  return IPV6_ALLOWED_RANGES.has(range) ? undefined : `IPv6 ${range} address`;
}
