// Firewall and NAT as one ordered rule list tagged by family, rendered to one
// iptables-restore payload per family. Every table of a family is written in
// full so that one restore defines the whole state atomically.
import type { Model } from '../../schema/model.ts';
import { firstAddress, tenantNetworks as tenants } from '../../schema/model-reads.ts';
import { compileTemplate, PROVENANCE } from '../kit/eta.ts';
import { METADATA_ADDRESS, metadataPort } from '../metadata/table.ts';
import { type Entry, NO_SNAT_MARK, type Table } from './entries.ts';
import { filterRules } from './filter.ts';
import { IPTABLES_TEMPLATE } from './template.ts';

const BUILTIN: Record<Table, string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
};
const POLICY: Record<string, string> = { 'filter:INPUT': 'DROP', 'filter:FORWARD': 'DROP' };
/** user chains declared even when empty */
const CUSTOM: Record<Table, string[]> = { filter: [], nat: ['PUBLIC_SNAT'], mangle: [], raw: [] };

function natRules(m: Model): Entry[] {
  const out: Entry[] = [];
  const rule = (chain: string, spec: string) => out.push({ table: 'nat', chain, family: 4, spec });
  const note = (text: string) => out.push({ table: 'nat', family: 4, note: text });
  const ext = m.external;
  const extV4 = ext ? firstAddress(ext, 4) : null;
  const mgt = m.management;
  const fips = ext ? m.floatingIps.filter((f) => f.family === 4) : [];

  for (const f of fips) {
    note(`floating IP ${f.floating} -> ${f.fixed}, also from tenant networks (hairpin)`);
    rule('PREROUTING', `-i ${f.ifname} -d ${f.floating}/32 -j DNAT --to-destination ${f.fixed}`);
    for (const t of m.internal) rule('PREROUTING', `-i ${t.ifname} -d ${f.floating}/32 -j DNAT --to-destination ${f.fixed}`);
  }
  for (const t of tenants(m)) {
    const v4 = firstAddress(t, 4);
    if (!v4) continue;
    note(`metadata for ${t.type} network ${t.id} on ${t.ifname}`);
    rule(
      'PREROUTING',
      `-i ${t.ifname} -d ${METADATA_ADDRESS}/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination ${v4}:${metadataPort(t)}`,
    );
  }
  const v6Fips = ext ? m.floatingIps.filter((f) => f.family === 6) : [];
  for (const f of v6Fips) {
    out.push({ table: 'nat', family: 6, note: `floating IP ${f.floating} <-> ${f.fixed}` });
    out.push({
      table: 'nat',
      chain: 'PREROUTING',
      family: 6,
      spec: `-i ${f.ifname} -d ${f.floating}/128 -j DNAT --to-destination ${f.fixed}`,
    });
    out.push({ table: 'nat', chain: 'POSTROUTING', family: 6, spec: `-s ${f.fixed}/128 -o ${f.ifname} -j SNAT --to-source ${f.floating}` });
  }
  if (!ext || (fips.length === 0 && !extV4)) return out;

  note('source NAT of tenant traffic, except what the raw table marked');
  rule('PUBLIC_SNAT', `-m mark --mark ${NO_SNAT_MARK} -j RETURN`);
  for (const f of fips) rule('PUBLIC_SNAT', `-s ${f.fixed}/32 -j SNAT --to-source ${f.floating}`);
  // any interface but management, not only the external one: hairpin traffic
  // to a floating IP must come back through the router
  if (extV4) rule('PUBLIC_SNAT', `${mgt ? `! -o ${mgt.ifname} ` : ''}-j SNAT --to-source ${extV4}`);
  for (const t of m.internal) {
    for (const s of t.subnets.filter((x) => x.family === 4)) rule('POSTROUTING', `-s ${s.cidr} -j PUBLIC_SNAT`);
  }
  rule('POSTROUTING', `-o ${ext.ifname} -j MASQUERADE`);
  return out;
}

function mangleRules(m: Model): Entry[] {
  if (tenants(m).every((t) => !firstAddress(t, 4))) return [];
  return [
    { table: 'mangle', family: 4, note: 'virtio offload leaves DHCP replies without checksums' },
    { table: 'mangle', chain: 'POSTROUTING', family: 4, spec: '-p udp -m udp --dport 68 -j CHECKSUM --checksum-fill' },
  ];
}

function rawRules(m: Model): Entry[] {
  const out: Entry[] = [];
  const rule = (chain: string, spec: string) => out.push({ table: 'raw', chain, family: 4, spec });
  if (!m.external) return out;
  out.push({ table: 'raw', family: 4, note: 'no SNAT for inbound, east-west and router-originated traffic' });
  rule('PREROUTING', `-i ${m.external.ifname} -j MARK --set-mark ${NO_SNAT_MARK}`);
  for (const t of m.internal) {
    for (const s of t.subnets.filter((x) => x.family === 4)) rule('PREROUTING', `-d ${s.cidr} -j MARK --set-mark ${NO_SNAT_MARK}`);
  }
  rule('OUTPUT', `-j MARK --set-mark ${NO_SNAT_MARK}`);
  return out;
}

/** The whole rule list: the firewall's own rules, then those other features contribute. */
export function firewallEntries(m: Model, contributed: readonly Entry[] = []): Entry[] {
  return [...filterRules(m), ...natRules(m), ...mangleRules(m), ...rawRules(m), ...contributed];
}

interface TableView {
  name: Table;
  chains: { name: string; policy: string }[];
  lines: string[];
}

function userChains(entries: Entry[], table: Table, family: 4 | 6): string[] {
  const used = entries.flatMap((e) => ('chain' in e && e.table === table && !BUILTIN[table].includes(e.chain) ? [e.chain] : []));
  return [...new Set([...(family === 4 ? CUSTOM[table] : []), ...used])];
}

function tableViews(entries: Entry[], family: 4 | 6): TableView[] {
  const tables: Table[] = ['filter', 'nat', 'mangle', 'raw'];
  const mine = entries.filter((e) => e.family === 'both' || e.family === family);
  return tables.map((name) => ({
    name,
    chains: [
      ...BUILTIN[name].map((c) => ({ name: c, policy: POLICY[`${name}:${c}`] ?? 'ACCEPT' })),
      ...userChains(mine, name, family).map((c) => ({ name: c, policy: '-' })),
    ],
    lines: mine.filter((e) => e.table === name).map((e) => ('note' in e ? `# ${e.note}` : `-A ${e.chain} ${e.spec}`)),
  }));
}

const template = compileTemplate<{ provenance: string; family: 4 | 6; hostname: string; tables: TableView[] }>(IPTABLES_TEMPLATE);

export function renderIptables(m: Model, contributed: readonly Entry[] = []): { v4: string; v6: string } {
  const entries = firewallEntries(m, contributed);
  const render = (family: 4 | 6) => template({ provenance: PROVENANCE, family, hostname: m.hostname, tables: tableViews(entries, family) });
  return { v4: render(4), v6: render(6) };
}
