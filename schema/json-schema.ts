// The PUT body's schema as JSON Schema (draft 2020-12, the dialect of OpenAPI
// 3.1), converted by zod's JSON Schema converter for its input side from the
// same object the body is validated with.
import { z } from 'zod';
import { configSchema } from './payload.ts';

export function configurationJsonSchema(): Record<string, unknown> {
  const { $schema: _, ...schema } = z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  return schema;
}
