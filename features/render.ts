// Everything the model turns into: a list of files, deterministic, relative to
// the agent's root directory, each with its digest and the feature it belongs to.
import type { Model } from '../schema/model.ts';
import { sha256 } from './kit/digest.ts';
import type { RenderedFile } from './kit/feature.ts';
import { type RootLayout, rootLayout } from './kit/layout.ts';
import { finish, type Staged } from './kit/staged.ts';
import { FEATURES } from './registry.ts';

export function renderAll(m: Model, root: string | RootLayout): RenderedFile[] {
  return finish(renderStages(m, root));
}

/** renderAll, one feature a stage (features/kit/staged.ts) */
export function* renderStages(m: Model, root: string | RootLayout): Staged<RenderedFile[]> {
  const layout = typeof root === 'string' ? rootLayout(root) : root;
  const out: RenderedFile[] = [];
  for (const f of FEATURES) {
    const files = f.render?.(m, layout);
    if (!files?.length) continue;
    for (const file of files) out.push({ ...file, digest: sha256(file.content), feature: f.name });
    yield;
  }
  return out;
}
