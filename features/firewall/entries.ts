// The rule list's vocabulary: rules and comment lines tagged by table and
// family, and the ports and marks the rules share.
export type Table = 'filter' | 'nat' | 'mangle' | 'raw';
export type RuleFamily = 4 | 6 | 'both';

export interface Rule {
  table: Table;
  chain: string;
  family: RuleFamily;
  spec: string;
}

/** A comment line placed before the next rule of its table. */
export interface Note {
  table: Table;
  family: RuleFamily;
  note: string;
}

export type Entry = Rule | Note;

/** Marks traffic that must not be source-NATed (east-west, inbound, the router's own). */
export const NO_SNAT_MARK = '0xACDA';
export const API_PORT = 5000;
export const SSH_PORT = 22;
export const ORCHESTRATOR_METADATA_PORT = 9697;
export const BGP_PORT = 179;
export const DNS_PORT = 53;
export const DHCP_SERVER_PORT = 67;
export const DHCPV6_SERVER_PORT = 547;
/** The filter chain forwarded traffic from an internal network goes through. */
export const FROM_TENANT = 'FROM_TENANT';

/** An adder of rules and notes for one table. */
export function writer(table: Table, out: Entry[]) {
  return {
    rule: (chain: string, family: RuleFamily, spec: string) => out.push({ table, chain, family, spec }),
    note: (family: RuleFamily, note: string) => out.push({ table, family, note }),
  };
}
