// Interfaces and addresses: sysctls per link, MTU and link state, the
// addresses of every network (floating IPs included), connection flushes for
// addresses that went away and gratuitous ARPs for new ones.
import type { Model } from '../../schema/model.ts';
import { type Facts, nicLinks } from '../kit/facts.ts';
import type { Feature, PhasedStep } from '../kit/feature.ts';
import { addressChanges, linkCommands } from './addresses.ts';
import { movedAddresses, repointedFloatingIps } from './neighbours.ts';

export function managedSysctls(ifnames: readonly string[]): string[] {
  return [
    'net/ipv4/ip_forward',
    'net/ipv6/conf/all/forwarding',
    ...ifnames.flatMap((i) => [`net/ipv6/conf/${i}/accept_dad`, `net/ipv4/conf/${i}/arp_notify`, `net/ipv4/conf/${i}/promote_secondaries`]),
  ];
}

function wantedSysctls(m: Model, facts: Facts): [string, string][] {
  const present = new Set(facts.links.map((l) => l.ifname));
  const want: [string, string][] = [
    ['net/ipv4/ip_forward', '1'],
    ['net/ipv6/conf/all/forwarding', '1'],
  ];
  for (const n of m.networks) {
    if (!present.has(n.ifname)) continue;
    // the addresses are assigned by the orchestrator, duplicates are its problem; DAD would only delay them
    if (n.type !== 'external') want.push([`net/ipv6/conf/${n.ifname}/accept_dad`, '0']);
    want.push([`net/ipv4/conf/${n.ifname}/arp_notify`, '1']);
    // keep secondary addresses when a primary of the same subnet is removed
    want.push([`net/ipv4/conf/${n.ifname}/promote_secondaries`, '1']);
  }
  return want;
}

export const interfaces: Feature = {
  name: 'interfaces',
  paths: [],
  sysctlKeys: managedSysctls,
  plan: ({ model, facts, links, previous, foreign, shared }) => {
    const steps: PhasedStep[] = wantedSysctls(model, facts)
      .filter(([k, v]) => facts.sysctls[k] !== v)
      .map(([key, value]) => ({ phase: 'sysctl', kind: 'sysctl', key, value }));
    const addr = addressChanges(model, links, nicLinks(facts), previous, foreign);
    for (const s of addr.shaken) shared.shakenLinks.add(s);
    shared.removedAddresses.push(...addr.removed);
    const batch = [...linkCommands(model, links), ...addr.deletes, ...addr.adds];
    if (batch.length) {
      steps.push({ phase: 'addresses', kind: 'run', reason: 'links and addresses', argv: ['ip', '-batch', '-'], input: lines(batch) });
    }
    const moved = movedAddresses(model, previous).filter((m) => links.has(m.ifname));
    if (moved.length) {
      steps.push({
        phase: 'conntrack',
        kind: 'run',
        reason: 'neighbours moved',
        // a missing entry is fine: replace creates it, and the kernel ages it like any other
        argv: ['ip', '-force', '-batch', '-'],
        input: lines(moved.map((m) => `neigh replace ${m.address} lladdr ${m.mac} dev ${m.ifname} nud stale`)),
        okExit: 'any',
      });
    }
    for (const address of [...addr.removed, ...repointedFloatingIps(model, previous)]) {
      // both directions; exit status 1 only means there was nothing to delete
      for (const flag of ['-d', '-q']) {
        steps.push({
          phase: 'conntrack',
          kind: 'run',
          reason: 'conntrack flush',
          argv: ['conntrack', '-D', flag, address],
          okExit: 'any',
        });
      }
    }
    for (const a of addr.added) {
      if (a.family !== 4) continue;
      steps.push({
        phase: 'announce',
        kind: 'announce',
        ifname: a.ifname,
        address: a.address,
        argv: ['arping', '-U', '-c', '1', '-I', a.ifname, a.address],
      });
    }
    return steps;
  },
};

export const lines = (commands: readonly string[]) => `${commands.join('\n')}\n`;
