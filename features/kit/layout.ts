// Everything the agent writes lives under one root directory, so several
// routers can run side by side. Pure string joins: no file is touched here.

export interface RootLayout {
  root: string;
  /** an absolute path for a path relative to the root */
  file(rel: string): string;
  state: string;
  runDir: string;
  logDir: string;
  varDir: string;
  tmpDir: string;
}

export function rootLayout(root: string): RootLayout {
  const base = root.replace(/\/+$/, '') || '/';
  const p = (rel: string) => (base === '/' ? `/${rel}` : `${base}/${rel}`);
  return {
    root: base,
    file: p,
    state: p('state/config.json'),
    runDir: p('run'),
    logDir: p('log'),
    varDir: p('var'),
    tmpDir: p('tmp'),
  };
}
