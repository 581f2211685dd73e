// strongSwan's files from the model: swanctl.conf (one connection per
// `ipsec_connections` entry, loaded over vici), secrets.conf (the pre-shared
// keys, mode 0600, hex-encoded) and the daemon's strongswan.conf (plugins, the
// vici socket under the agent's root, logging to stderr). Every value written
// comes from an enum, a parsed address or prefix, or a pattern-checked
// identity (schema/vpn.ts); the keys never appear as text.
import type { Model } from '../../schema/model.ts';
import type { VpnConnection, VpnProposal } from '../../schema/vpn-model.ts';
import { PROVENANCE } from '../kit/eta.ts';
import type { RootLayout } from '../kit/layout.ts';

export const VPN_FILES = {
  swanctl: 'etc/swanctl/swanctl.conf',
  secrets: 'etc/swanctl/secrets.conf',
  strongswan: 'etc/strongswan/strongswan.conf',
} as const;
export const VICI_SOCKET = 'run/charon.vici';
/** charon's stderr, where the supervisor sends it */
export const CHARON_LOG = 'log/charon.log';
/** kernel-libipsec's TUN device: decrypted traffic comes in and cleartext for the tunnels goes out here */
export const TUNNEL_IFNAME = 'ipsec0';

const ENCRYPTION: Record<VpnProposal['encryption'], string> = {
  '3des': '3des',
  'aes-128': 'aes128',
  'aes-192': 'aes192',
  'aes-256': 'aes256',
  'aes-128-gcm-8': 'aes128gcm8',
  'aes-128-gcm-12': 'aes128gcm12',
  'aes-128-gcm-16': 'aes128gcm16',
  'aes-192-gcm-16': 'aes192gcm16',
  'aes-256-gcm-8': 'aes256gcm8',
  'aes-256-gcm-12': 'aes256gcm12',
  'aes-256-gcm-16': 'aes256gcm16',
};
const INTEGRITY: Record<VpnProposal['integrity'], string> = {
  sha1: 'sha1',
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
  'aes-xcbc': 'aesxcbc',
};
const DH: Record<VpnProposal['dh'], string> = {
  group2: 'modp1024',
  group5: 'modp1536',
  group14: 'modp2048',
  group15: 'modp3072',
  group16: 'modp4096',
  group19: 'ecp256',
  group20: 'ecp384',
  group21: 'ecp521',
};
const DPD_ACTION: Record<VpnConnection['dpd']['action'], string> = {
  hold: 'trap',
  clear: 'clear',
  restart: 'restart',
  'restart-by-peer': 'clear',
  disabled: 'clear',
};

/** An IKE proposal: an AEAD cipher takes the auth algorithm as its PRF. */
export function ikeProposal(p: VpnProposal): string {
  const enc = ENCRYPTION[p.encryption];
  const auth = enc.includes('gcm') ? `prf${INTEGRITY[p.integrity]}` : INTEGRITY[p.integrity];
  return `${enc}-${auth}-${DH[p.dh]}`;
}

/** An ESP proposal: an AEAD cipher has no separate integrity algorithm. */
export function espProposal(p: VpnProposal): string {
  const enc = ENCRYPTION[p.encryption];
  return enc.includes('gcm') ? `${enc}-${DH[p.dh]}` : `${enc}-${INTEGRITY[p.integrity]}-${DH[p.dh]}`;
}

const ninety = (v: number) => Math.max(1, Math.floor(v * 0.9));

/** One connection's section of swanctl.conf. */
export function connectionSection(c: VpnConnection): string {
  const child = c.child.lifetime;
  const dpd = c.dpd.action !== 'disabled';
  const lines = [
    `  ${c.id} {`,
    `    version = ${c.version}`,
    ...(c.aggressive ? ['    aggressive = yes'] : []),
    `    local_addrs = ${c.localAddress}`,
    `    remote_addrs = ${c.peerAddress}`,
    `    proposals = ${ikeProposal(c.ike)}`,
    // the IKE SA's lifetime: rekeyed (IKEv1: re-authenticated) at 90 %, closed at 100 %
    `    ${c.version === 2 ? 'rekey_time' : 'reauth_time'} = ${ninety(c.ike.lifetime)}s`,
    `    over_time = ${c.ike.lifetime - ninety(c.ike.lifetime)}s`,
    `    dpd_delay = ${dpd ? c.dpd.interval : 0}s`,
    ...(dpd && c.version === 1 ? [`    dpd_timeout = ${c.dpd.timeout}s`] : []),
    // kernel-libipsec carries ESP in UDP only
    '    encap = yes',
    '    mobike = no',
    '    local {',
    '      auth = psk',
    `      id = ${c.localId}`,
    '    }',
    '    remote {',
    '      auth = psk',
    `      id = ${c.peerId}`,
    '    }',
    '    children {',
    `      ${c.id} {`,
    `        local_ts = ${c.localTs.join(',')}`,
    `        remote_ts = ${c.peerTs.join(',')}`,
    `        esp_proposals = ${espProposal(c.child)}`,
    ...(child.units === 'seconds'
      ? [`        rekey_time = ${ninety(child.value)}s`, `        life_time = ${child.value}s`]
      : [`        rekey_bytes = ${ninety(child.value) * 1024}`, `        life_bytes = ${child.value * 1024}`]),
    '        mode = tunnel',
    `        dpd_action = ${DPD_ACTION[c.dpd.action]}`,
    `        start_action = ${c.initiator ? 'start' : 'none'}`,
    '      }',
    '    }',
    '  }',
  ];
  return `${lines.join('\n')}\n`;
}

const hex = (text: string) => Buffer.from(text, 'utf8').toString('hex');

export function renderSwanctl(connections: readonly VpnConnection[]): string {
  const on = connections.filter((c) => c.enabled);
  return `# ${PROVENANCE}\nconnections {\n${on.map(connectionSection).join('')}}\n\ninclude secrets.conf\n`;
}

export function renderSecrets(connections: readonly VpnConnection[]): string {
  const on = connections.filter((c) => c.enabled);
  const sections = on.map(
    (c) => `  ike-${c.id} {\n    id-local = ${c.localId}\n    id-peer = ${c.peerId}\n    secret = 0x${hex(c.psk)}\n  }\n`,
  );
  return `# ${PROVENANCE}\nsecrets {\n${sections.join('')}}\n`;
}

/** The daemon's own settings: charon-systemd reads its section, swanctl its own. */
export function renderStrongswan(layout: Pick<RootLayout, 'file'>): string {
  return `# ${PROVENANCE}
charon-systemd {
  load = random nonce openssl aes sha1 sha2 hmac xcbc gmp kdf pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici
  # kernel-libipsec routes the tunnels' traffic to its TUN device (table 220)
  install_routes = yes
  install_virtual_ip = no
  plugins {
    vici {
      socket = unix://${layout.file(VICI_SOCKET)}
    }
  }
  journal {
    default = -1
  }
  filelog {
    stderr {
      default = 1
      ike_name = yes
      time_format = %Y-%m-%dT%H:%M:%S
    }
  }
}
swanctl {
  load = random nonce openssl pem pkcs1 x509 pubkey
}
`;
}

/** Nothing without a VPN section: the plan removes the files when the section goes. */
export function renderVpn(m: Model, layout: Pick<RootLayout, 'file'>) {
  if (m.vpn.length === 0) return [];
  return [
    { path: VPN_FILES.swanctl, content: renderSwanctl(m.vpn), mode: 0o644 },
    { path: VPN_FILES.secrets, content: renderSecrets(m.vpn), mode: 0o600 },
    { path: VPN_FILES.strongswan, content: renderStrongswan(layout), mode: 0o644 },
  ];
}
