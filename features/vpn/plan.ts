// The VPN's part of a plan. charon runs while some connection is enabled;
// changed files are taken through `swanctl --load-all` over vici, which
// replaces changed connections (closing and re-initiating their SAs), unloads
// removed ones (closing theirs) and leaves the others up. A changed key alone
// does not change a connection as vici compares them, so that connection is
// closed and initiated again explicitly. A changed strongswan.conf restarts charon.
import type { VpnConnection } from '../../schema/vpn-model.ts';
import type { PhasedStep, PlanInput } from '../kit/feature.ts';
import type { RootLayout } from '../kit/layout.ts';
import { connectionSection, VICI_SOCKET, VPN_FILES } from './render.ts';

export const CHARON = 'charon';

/** swanctl against the agent's charon: its socket and settings under the root, argv only. */
export function swanctlArgv(layout: Pick<RootLayout, 'file'>, args: string[]): string[] {
  return ['env', `STRONGSWAN_CONF=${layout.file(VPN_FILES.strongswan)}`, 'swanctl', ...args, '--uri', `unix://${layout.file(VICI_SOCKET)}`];
}

/** Loads every connection and key from the rendered files: the plan's step after a start or change, and charon's afterRestart. */
export function loadAllArgv(layout: Pick<RootLayout, 'file'>): string[] {
  return swanctlArgv(layout, ['--load-all', '--file', layout.file(VPN_FILES.swanctl)]);
}

/** Enabled connections present before and now whose key alone changed. */
export function rekeyedByKey(now: readonly VpnConnection[], before: readonly VpnConnection[]): VpnConnection[] {
  const old = new Map(before.filter((c) => c.enabled).map((c) => [c.id, c]));
  return now.filter((c) => {
    const o = old.get(c.id);
    return c.enabled && o !== undefined && o.psk !== c.psk && connectionSection(o) === connectionSection(c);
  });
}

export function planVpn(input: PlanInput, daemonArgv: string[]): PhasedStep[] {
  const { model, facts, changed, force, layout, previous } = input;
  const running = facts.services[CHARON]?.running === true;
  const wanted = model.vpn.some((c) => c.enabled);
  if (!wanted) {
    const stop: PhasedStep[] = running ? [{ phase: 'services', kind: 'daemon', name: CHARON, action: 'stop', argv: daemonArgv }] : [];
    // no key stays on disk once the section is gone
    const stale = Object.values(VPN_FILES).filter((p) => facts.files[p] !== undefined && !input.files.some((f) => f.path === p));
    if (stale.length) {
      stop.push({
        phase: 'services',
        kind: 'run',
        reason: 'vpn remove files',
        argv: ['rm', '-f', ...stale.map((p) => layout.file(p))],
        service: CHARON,
      });
    }
    return stop;
  }
  const steps: PhasedStep[] = [];
  if (!running) steps.push({ phase: 'services', kind: 'daemon', name: CHARON, action: 'start', argv: daemonArgv });
  else if (changed.has(VPN_FILES.strongswan))
    steps.push({ phase: 'services', kind: 'daemon', name: CHARON, action: 'restart', argv: daemonArgv });
  const fresh = steps.length > 0;
  if (!fresh && !force && !changed.has(VPN_FILES.swanctl) && !changed.has(VPN_FILES.secrets)) return steps;
  steps.push({
    phase: 'services',
    kind: 'run',
    reason: 'vpn load',
    argv: loadAllArgv(layout),
    counts: 'reload',
    service: CHARON,
  });
  if (fresh) return steps;
  for (const c of rekeyedByKey(model.vpn, previous?.vpn ?? [])) {
    steps.push({
      phase: 'services',
      kind: 'run',
      reason: `vpn rekey ${c.id}: close`,
      argv: swanctlArgv(layout, ['--terminate', '--ike', c.id, '--force', '--timeout', '2']),
      okExit: 'any',
      service: CHARON,
    });
    if (c.initiator) {
      steps.push({
        phase: 'services',
        kind: 'run',
        reason: `vpn rekey ${c.id}: initiate`,
        // a peer that refuses the new key leaves it down: that is the connection's state, not a failed apply
        argv: swanctlArgv(layout, ['--initiate', '--child', c.id, '--timeout', '2']),
        okExit: 'any',
        service: CHARON,
      });
    }
  }
  return steps;
}
