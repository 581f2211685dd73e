// Firewall and NAT: one iptables-restore payload per family, each checked with
// `--test` and loaded whole, so a family is replaced atomically or not at all.
import type { Model } from '../../schema/model.ts';
import type { Feature } from '../kit/feature.ts';
import type { Entry } from './entries.ts';
import { renderIptables } from './rules.ts';

export const FIREWALL_FILES = { v4: 'etc/iptables/rules.v4', v6: 'etc/iptables/rules.v6' } as const;

const restore = (family: 4 | 6) => (family === 4 ? 'iptables-restore' : 'ip6tables-restore');

/**
 * The firewall feature; `contributed` gives the rules the other features declare
 * (Feature.firewall), which the registry collects.
 */
export const firewallFeature = (contributed: (m: Model) => Entry[]): Feature => ({
  name: 'firewall',
  paths: Object.values(FIREWALL_FILES),
  render: (m) => {
    const fw = renderIptables(m, contributed(m));
    return [
      { path: FIREWALL_FILES.v4, content: fw.v4, mode: 0o600 },
      { path: FIREWALL_FILES.v6, content: fw.v6, mode: 0o600 },
    ];
  },
  checks: (files, changed) =>
    ([4, 6] as const)
      .filter((f) => changed.has(FIREWALL_FILES[`v${f}`]))
      .map((f) => ({ checker: restore(f), argv: [restore(f), '--test'], input: files.get(FIREWALL_FILES[`v${f}`]) ?? '' })),
  plan: ({ changed, force, layout }) =>
    ([4, 6] as const)
      .filter((f) => changed.has(FIREWALL_FILES[`v${f}`]) || force)
      .map((f) => ({
        phase: 'firewall',
        kind: 'run',
        reason: `firewall v${f}`,
        // -w: wait for the xtables lock rather than fail when another tool holds it
        argv: [restore(f), '-w', '5', layout.file(FIREWALL_FILES[`v${f}`])],
        counts: 'firewall',
      })),
});
