// Loads runtime/schema-kit.ts (zod, the schema, the validation) on the first
// request that needs it, once: start-up does not pay for building the schema.
import type { SchemaKit } from '../handlers/context.ts';

let loading: Promise<SchemaKit> | null = null;

/** the kit, imported once (a failed import is tried again on the next call) */
export function loadSchemaKit(): Promise<SchemaKit> {
  loading ??= import('./schema-kit.ts').then(
    (m) => m.schemaKit,
    (err: unknown) => {
      loading = null;
      throw err;
    },
  );
  return loading;
}
