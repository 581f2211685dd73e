// The metadata proxy runs inside the agent's process: its plan step carries the
// whole listener table, which the runtime reconciles in place. The rendered
// file is for operators (what the proxy serves), not read back.
import type { Feature } from '../kit/feature.ts';
import { metadataTable, renderMetadata } from './table.ts';

export const METADATA_FILE = 'etc/metadata.json';

export const metadata: Feature = {
  name: 'metadata',
  paths: [METADATA_FILE],
  render: (m) => [{ path: METADATA_FILE, content: renderMetadata(m), mode: 0o644 }],
  plan: ({ model, facts, changed, force }) =>
    facts.services.metadata?.running !== true || changed.has(METADATA_FILE) || force
      ? [{ phase: 'services', kind: 'metadata', table: metadataTable(model) }]
      : [],
};
