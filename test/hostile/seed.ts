// The hostile suites' seed: fixed by default so CI is reproducible;
// HOSTILE_SEED=N repeats a run, HOSTILE_SEED=random explores new cases.
export function hostileSeed(): number {
  const given = process.env.HOSTILE_SEED;
  if (given === 'random') return Math.floor(Math.random() * 2 ** 31);
  return given ? Number(given) : 4;
}
