// The VPN section as answers show it: everything the orchestrator sent but
// the pre-shared keys, at any depth.
const KEY = /^(psk|pre_?shared_?keys?|secrets?)$/i;

export function withholdKeys(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > 20) return '(withheld)';
  if (Array.isArray(value)) return value.map((v) => withholdKeys(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = KEY.test(k) ? '(withheld)' : withholdKeys(v, depth + 1);
  return out;
}
