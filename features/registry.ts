// The features of a router, in the order they contribute to a plan (steps are
// then ordered by phase). Adding a daemon means a folder and a line here.
import { bird6 } from './bird6/index.ts';
import { dnsmasq } from './dnsmasq/index.ts';
import { firewallFeature } from './firewall/index.ts';
import { conntrackd, keepalived } from './ha/index.ts';
import { interfaces } from './interfaces/index.ts';
import type { Feature } from './kit/feature.ts';
import { metadata } from './metadata/index.ts';
import { routes } from './routes/index.ts';
import { system } from './system/index.ts';
import { vpn } from './vpn/index.ts';

/** the firewall with the rules every feature contributes (Feature.firewall) */
const firewall = firewallFeature((m) => FEATURES.flatMap((f) => f.firewall?.(m) ?? []));

export const FEATURES: readonly Feature[] = [system, interfaces, routes, firewall, dnsmasq, bird6, metadata, keepalived, conntrackd, vpn];

/** Every file any feature writes, relative to the root. */
export const MANAGED_FILES: readonly string[] = FEATURES.flatMap((f) => f.paths);
