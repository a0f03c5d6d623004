import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { FetchError, ForbiddenAddressError } from '../../core/domain/errors.js';
import { forbiddenBy, type NetworkPolicy } from '../../core/domain/net-policy.js';

/** Resolves a host name to addresses. Injectable so tests can use a fake resolver. */
export type Resolver = (host: string) => Promise<string[]>;

export const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

/**
 * Resolves `host` once and checks every address it resolves to against the policy. The caller must
 * connect to the returned address and never resolve the name again (DNS rebinding).
 */
export function isIpLiteral(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  return isIP(bare) !== 0 || ipaddr.isValid(bare);
}

export async function resolveChecked(
  host: string,
  policy: NetworkPolicy,
  resolver: Resolver,
): Promise<string> {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (isIpLiteral(bare)) {
    const address = ipaddr.parse(bare).toString();
    const rule = forbiddenBy(address, policy);
    if (rule) throw new ForbiddenAddressError(host, address, rule);
    return address;
  }
  let addresses: string[];
  try {
    addresses = await resolver(bare);
  } catch (cause) {
    throw new FetchError(`could not resolve ${bare}`, 'dns', { cause });
  }
  if (addresses.length === 0) throw new FetchError(`could not resolve ${bare}`, 'dns');
  for (const address of addresses) {
    const rule = forbiddenBy(address, policy);
    if (rule) throw new ForbiddenAddressError(bare, address, rule);
  }
  return addresses[0]!;
}

/** Finds a ForbiddenAddressError anywhere in an error's cause chain. */
export function forbiddenCause(error: unknown): ForbiddenAddressError | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof ForbiddenAddressError) return e;
  }
  return undefined;
}
