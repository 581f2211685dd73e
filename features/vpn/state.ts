// Each connection's state from `swanctl --list-sas --raw` (vici's own
// encoding: `name {key=value list [a b] section {...}}`): up when an IKE SA is
// established with an installed CHILD_SA, connecting while an IKE or CHILD SA
// is being set up, down otherwise; disabled when the orchestrator set
// admin_state_up false. `since_s` is how long it has been up (from the SA's
// own install time), null when unknown; `changed_at` the log time of the last
// event that led to the state, and `last_error` what charon logged for a failure.
import type { VpnConnection } from '../../schema/vpn-model.ts';

export type VpnState = 'up' | 'connecting' | 'down' | 'disabled';

export interface VpnConnectionState {
  id: string;
  vpnservice_id: string;
  peer_address: string;
  state: VpnState;
  /** seconds since the state began, when strongSwan says (an established SA's age) */
  since_s: number | null;
  /** charon's log time of the last event that led to this state (the router's clock), null when none is logged */
  changed_at: string | null;
  /** down after a failure: what charon logged (e.g. "received AUTHENTICATION_FAILED notify error") */
  last_error: string | null;
  local_cidrs: string[];
  peer_cidrs: string[];
}

type Value = string | string[] | Section;
interface Section {
  [key: string]: Value;
}

/** Parses vici's raw text: tokens are `{`, `}`, `[`, `]`, `key=value` and bare words (section or list names, list items). */
export function parseVici(text: string): Section[] {
  const tokens = text.match(/[{}[\]]|[^\s{}[\]=]+=[^\s{}[\]]*|[^\s{}[\]]+/g) ?? [];
  const events: Section[] = [];
  let i = 0;
  const section = (): Section => {
    const out: Section = {};
    while (i < tokens.length && tokens[i] !== '}') {
      const t = tokens[i++] as string;
      const eq = t.indexOf('=');
      if (eq > 0) out[t.slice(0, eq)] = t.slice(eq + 1);
      else if (tokens[i] === '{') {
        i++;
        out[t] = section();
        i++;
      } else if (tokens[i] === '[') {
        i++;
        const items: string[] = [];
        while (i < tokens.length && tokens[i] !== ']') items.push(tokens[i++] as string);
        i++;
        out[t] = items;
      }
    }
    return out;
  };
  while (i < tokens.length) {
    // "list-sa event {...}" or "list-sas reply {}"
    if (tokens[i] === '{') {
      i++;
      events.push(section());
      i++;
    } else i++;
  }
  return events;
}

const isSection = (v: Value | undefined): v is Section => typeof v === 'object' && v !== null && !Array.isArray(v);

interface LogEvent {
  time: string;
  state: 'up' | 'connecting' | 'down';
  error: string | null;
}

const LOG_LINE = /^(\S+) \d+\[\w+\] <([A-Za-z0-9_-]+)\|\d+> (.*)$/;

/** Each connection's state-changing events from charon's log (ike_name = yes tags lines with the connection). */
export function logEvents(log: string): Map<string, LogEvent[]> {
  const out = new Map<string, LogEvent[]>();
  for (const line of log.split('\n')) {
    const m = LOG_LINE.exec(line);
    if (!m) continue;
    const [, time = '', name = '', text = ''] = m;
    let event: LogEvent | null = null;
    if (/^CHILD_SA \S+ established/.test(text)) event = { time, state: 'up', error: null };
    else if (/^initiating (IKE_SA|Main Mode|Aggressive Mode)/.test(text)) event = { time, state: 'connecting', error: null };
    else if (/^received \S+ notify error|failed|giving up/.test(text)) event = { time, state: 'down', error: text.slice(0, 200) };
    else if (/^deleting IKE_SA/.test(text)) event = { time, state: 'down', error: null };
    if (!event) continue;
    const list = out.get(name) ?? [];
    list.push(event);
    out.set(name, list);
  }
  return out;
}

function changeOf(events: LogEvent[] | undefined, state: VpnState): Pick<VpnConnectionState, 'changed_at' | 'last_error'> {
  const list = events ?? [];
  const last = [...list].reverse().find((e) => e.state === state);
  const lastUp = list.map((e) => e.state).lastIndexOf('up');
  const error = state === 'down' ? ([...list.slice(lastUp + 1)].reverse().find((e) => e.error)?.error ?? null) : null;
  return { changed_at: last?.time ?? null, last_error: error };
}

export function connectionStates(conns: readonly VpnConnection[], listSas: string | null, log = ''): VpnConnectionState[] {
  const events = logEvents(log);
  const sas = (listSas === null ? [] : parseVici(listSas)).flatMap((e) => Object.entries(e));
  return conns.map((c) => {
    const base = { id: c.id, vpnservice_id: c.serviceId, peer_address: c.peerAddress, local_cidrs: c.localTs, peer_cidrs: c.peerTs };
    if (!c.enabled) return { ...base, state: 'disabled', since_s: null, changed_at: null, last_error: null };
    let state: VpnState = 'down';
    let since: number | null = null;
    for (const [name, ike] of sas) {
      if (name !== c.id || !isSection(ike)) continue;
      const children = isSection(ike['child-sas']) ? Object.values(ike['child-sas']).filter(isSection) : [];
      const installed = children.filter((ch) => ch.state === 'INSTALLED');
      if (ike.state === 'ESTABLISHED' && installed.length > 0) {
        const age = Math.min(...installed.map((ch) => Number(ch['install-time'] ?? Number.NaN)).filter(Number.isFinite));
        state = 'up';
        since = Number.isFinite(age) ? age : null;
        break;
      }
      state = 'connecting';
    }
    return { ...base, state, since_s: since, ...changeOf(events.get(c.id), state) };
  });
}
