// The validator and the body's JSON Schema, handed to the routes that need
// 'schema'. The agent imports this module on the first such request (a PUT of
// the configuration, or the API description), so zod and the schema are not
// built at start-up.
import { validateStages } from '../features/validate.ts';
import type { SchemaKit } from '../handlers/context.ts';
import { configurationJsonSchema } from '../schema/json-schema.ts';

export const schemaKit: SchemaKit = { validate: validateStages, configurationJsonSchema };
