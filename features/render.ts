// Everything the model turns into: a list of files, deterministic, relative to
// the agent's root directory, each with its digest and the feature it belongs to.
import type { Model } from '../schema/model.ts';
import { sha256 } from './kit/digest.ts';
import type { RenderedFile } from './kit/feature.ts';
import { type RootLayout, rootLayout } from './kit/layout.ts';
import { FEATURES } from './registry.ts';

export function renderAll(m: Model, root: string | RootLayout): RenderedFile[] {
  const layout = typeof root === 'string' ? rootLayout(root) : root;
  return FEATURES.flatMap((f) => (f.render?.(m, layout) ?? []).map((file) => ({ ...file, digest: sha256(file.content), feature: f.name })));
}
