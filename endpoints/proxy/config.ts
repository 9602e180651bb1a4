// The modules themselves, not their folders' indexes: settings are read before gRPC or the kernel loads.
import { parseCidr } from '../../sdk/config/cidr.js';
import { InvalidArgumentError } from '../../sdk/core/errors.js';
import { parseServiceAddress } from '../../sdk/grpc/address.js';
import { SettingsError, type SettingsValues } from '../../sdk/settings/index.js';
import type { PROXY_SETTINGS } from './settings.js';

export type ProxySettings = SettingsValues<typeof PROXY_SETTINGS>;

/** One subnet request to IPAM: the pool and the length of the proxy's subnet in it. */
export interface SubnetRequest {
  readonly pool: string;
  readonly prefixLength: number;
}

/**
 * Pairs the subnet pools with their prefix lengths and checks them: as many lengths as pools, one pool
 * per family, each length longer than its pool's and no longer than the family allows.
 */
export function subnetRequests(pools: readonly string[], lengths: readonly number[]): SubnetRequest[] {
  if (pools.length !== lengths.length) {
    throw new SettingsError(
      `Settings subnetPools (NSM_SUBNET_POOLS) and subnetPrefixLengths (NSM_SUBNET_PREFIX_LENGTHS) must have one entry each per family: ${pools.length} pools and ${lengths.length} lengths were given.`,
    );
  }
  const families = new Set<string>();
  return pools.map((pool, index) => {
    const parsed = parseCidr(pool);
    const prefixLength = lengths[index]!;
    const bits = parsed.family === 'ipv4' ? 32 : 128;
    if (families.has(parsed.family)) {
      throw new SettingsError(
        `Setting subnetPools (NSM_SUBNET_POOLS) has two ${parsed.family} pools; give one per family.`,
      );
    }
    families.add(parsed.family);
    if (prefixLength <= parsed.prefixLength || prefixLength > bits - 2) {
      throw new SettingsError(
        `Setting subnetPrefixLengths (NSM_SUBNET_PREFIX_LENGTHS) gives /${prefixLength} for pool ${pool}: a proxy subnet must be longer than the pool's /${parsed.prefixLength} and at most /${bits - 2}.`,
      );
    }
    return { pool: parsed.cidr, prefixLength };
  });
}

/** The endpoint name: the setting, or `proxy-<host>`. */
export function endpointNameOf(settings: Pick<ProxySettings, 'name' | 'host'>): string {
  const name = settings.name === '' ? `proxy-${settings.host}` : settings.name;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new InvalidArgumentError(
      `the proxy's name "${name}" must start with a letter or digit and hold only letters, digits, ".", "_" and "-"`,
    );
  }
  return name;
}

/** Where the endpoint serves: the setting, or a unix socket named after the proxy. */
export function listenAddressOf(settings: Pick<ProxySettings, 'listen'>, name: string): string {
  if (settings.listen === '') return `unix:///var/lib/meridio/${name}.sock`;
  try {
    return parseServiceAddress(settings.listen).target;
  } catch {
    throw new SettingsError(
      `Setting listen (--listen / NSM_LISTEN) has an invalid value "${settings.listen}": expected host:port, [ipv6]:port or unix:///absolute/path.`,
    );
  }
}
