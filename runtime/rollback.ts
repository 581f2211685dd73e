// Back to the last good configuration after a failed step, from whatever state
// the step left: the same renderer and planner as a PUT, forced.
import type { AgentState, Context, Need } from '../handlers/context.ts';
import { planFor, renderConfig } from '../handlers/v1/config.ts';
import { ApplyError, type ExecContext, execute } from './executor.ts';
import type { Logger } from './log.ts';

export interface RollbackSources {
  state: AgentState;
  log: Logger;
  context: (needs: readonly Need[]) => Promise<Context>;
  exec: ExecContext;
}

/** true when the host is back on the last applied configuration; false when there was none or it failed */
export async function rollBack({ state, log, context, exec }: RollbackSources): Promise<boolean> {
  const applied = state.applied;
  if (!applied) {
    log.warn('apply.no_rollback', { reason: 'no configuration was applied before' });
    return false;
  }
  try {
    const ctx = await context(['facts', 'schema']);
    // back to what was applied: the lockout guard judged it then, and it is the way back in now
    const memo = renderConfig(applied.body, { ...ctx, state: { ...state, apiAddresses: [] } });
    const plan = planFor(memo, { ...ctx, state: { ...state, dirty: true } });
    await execute(plan, exec);
    // forced back to the files of the last good configuration: the host matches them again
    state.dirty = false;
    state.touched = applied.model;
    log.info('apply.rolled_back', { steps: plan.steps.length });
    return true;
  } catch (err) {
    log.error('apply.rollback_failed', { error: err instanceof ApplyError ? err.failure : String(err) });
    return false;
  }
}
