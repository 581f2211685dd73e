// ha_resource's own rules: VRRP talks between management addresses, so a pair
// needs one here and a peer of the same family; the priority must be one a
// non-owner may announce.
import type { Issue, PathOf } from '../../schema/issues.ts';
import type { Model } from '../../schema/model.ts';
import { haEndpoints } from './render.ts';

export function validateHa(m: Model, _pathOf: PathOf): Issue[] {
  if (!m.ha) return [];
  const issues: Issue[] = [];
  const ends = haEndpoints(m);
  if (!ends) {
    issues.push({ path: 'ha_resource', message: 'needs a management network with an address: VRRP and conntrackd use it' });
  } else if (ends.peers.length === 0) {
    // named at ha_resource: ha_config may be absent from the body
    issues.push({
      path: 'ha_resource',
      message: `needs ha_config.peers to name a peer of the management address's family (IPv${ends.family})`,
    });
  }
  m.ha.peers.forEach((p, i) => {
    if (p === m.managementAddress) issues.push({ path: `ha_config.peers.${i}`, message: "is this router's own management address" });
  });
  if (m.ha.priority < 1 || m.ha.priority > 254) {
    issues.push({ path: 'ha_config.priority', message: 'must be between 1 and 254 (VRRP priority of a backup-capable router)' });
  }
  return issues;
}
