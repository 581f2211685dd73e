// GET and PUT /v1/system/config. A PUT is validated against the host's
// interfaces (422 with every issue), rendered, and planned against the facts
// with exactly the options the apply uses, so a dry run shows the plan a real
// PUT would run at that moment.
import { interfaceMap } from '../../features/kit/facts.ts';
import { finish, type Staged, stagesOf } from '../../features/kit/staged.ts';
import { renderStages } from '../../features/render.ts';
import { withholdKeys } from '../../features/vpn/withhold.ts';
import type { ApplyFailure, Context, Handler, RenderMemo, StagedHandler } from '../context.ts';
import { HttpError } from '../errors.ts';
import { httpErrorResponse, jsonResponse, jsonTextResponse, textResponse } from '../http.ts';
import { formatPlan, printablePlan } from '../plan/format.ts';
import { planConfiguration, summarise } from '../plan/plan.ts';
import { lockoutIssues } from './lockout.ts';

/** Throws HttpError 422 with every issue when the body is not a valid configuration for this host. */
export function renderConfig(raw: unknown, ctx: Pick<Context, 'facts' | 'state' | 'schema'>, key = ''): RenderMemo {
  return finish(renderConfigStages(raw, ctx, key));
}

/** renderConfig in stages: validation, then each feature's render (features/kit/staged.ts) */
export function* renderConfigStages(raw: unknown, ctx: Pick<Context, 'facts' | 'state' | 'schema'>, key = ''): Staged<RenderMemo> {
  if (!ctx.schema) throw new Error("rendering a configuration needs the route to need 'schema'");
  const parsed = yield* stagesOf(ctx.schema.validate(raw, interfaceMap({ links: ctx.facts?.links ?? [] })));
  if (!parsed.ok) throw new HttpError(422, 'the configuration is invalid', parsed.issues);
  // a wrapped body's paths start at its "configuration" key
  const at = (issues: { path: string; message: string }[]) =>
    parsed.body === raw ? issues : issues.map((i) => ({ ...i, path: `configuration.${i.path}` }));
  if (!parsed.model.management) {
    // the firewall would then close the API to the orchestrator for good
    throw new HttpError(
      422,
      'the configuration is invalid',
      at([
        {
          path: 'networks',
          message: 'must include a network of type management: without it the router would be cut off from its orchestrator',
        },
      ]),
    );
  }
  const lockout = lockoutIssues(
    parsed.body,
    parsed.model,
    ctx.state.touched ?? ctx.state.applied?.model ?? null,
    ctx.facts?.links ?? [],
    ctx.state.apiAddresses,
  );
  if (lockout.length) throw new HttpError(422, 'the configuration is invalid', at(lockout));
  const notices = parsed.notices;
  yield;
  const files = yield* renderStages(parsed.model, ctx.state.root);
  return { key, body: parsed.body, model: parsed.model, files, notices };
}

/** The plan an apply of this render runs now: forced while the host may differ from the files. */
export function planFor(memo: RenderMemo, ctx: Context) {
  const { state } = ctx;
  if (!ctx.facts) throw new Error('planning needs the host facts');
  return planConfiguration(memo.model, memo.files, ctx.facts, {
    force: state.dirty,
    previous: state.touched ?? state.applied?.model ?? null,
    root: state.root,
  });
}

function failureResponse(f: ApplyFailure): Response {
  if (f.kind === 'check') {
    return jsonResponse(
      { error: 'the rendered files failed the daemons\u2019 checks; nothing was applied', issues: [], checks: f.checks },
      500,
    );
  }
  if (f.kind === 'step') {
    return jsonResponse(
      {
        error: `applying the configuration failed at step ${f.step.index} (${f.step.step})`,
        issues: [],
        step: f.step,
        rolled_back: f.rolledBack,
      },
      500,
    );
  }
  return jsonResponse({ error: 'internal error while applying the configuration', issues: [] }, 500);
}

export const SUPERSEDED =
  'a newer configuration arrived while this one waited and was applied in its place: the router runs the configuration returned here';

export const putConfig: StagedHandler = function* (req, ctx) {
  const facts = ctx.facts;
  const key = `${JSON.stringify(interfaceMap({ links: facts?.links ?? [] }))}\n${req.text ?? JSON.stringify(req.body)}`;
  let memo: RenderMemo;
  try {
    if (ctx.memo?.key === key) memo = ctx.memo;
    else {
      memo = yield* renderConfigStages(req.body, ctx, key);
      if (req.text !== undefined) memo.source = { raw: req.body, textAt: key.length - req.text.length };
      yield;
    }
  } catch (err) {
    if (err instanceof HttpError) return { kind: 'response', response: httpErrorResponse(err) };
    throw err;
  }
  const plan = planFor(memo, ctx);
  const dry = String(req.query.dry_run ?? '');
  if (dry === '1' || dry === 'true') {
    const wantsText = (req.headers.get('accept') ?? '').includes('text/plain');
    const response = wantsText
      ? textResponse(formatPlan(plan))
      : jsonResponse({ dry_run: true, plan: printablePlan(plan), summary: summarise(plan), notices: memo.notices });
    return { kind: 'response', response };
  }
  return {
    kind: 'apply',
    plan,
    body: memo.body,
    model: memo.model,
    memo,
    respond: ({ superseded }) => {
      // the client only reads the status: the newest body is what the router runs, and the answer says so
      if (superseded) return jsonResponse(applied(memo, [SUPERSEDED_NOTICE]), 200, { 'x-appliance-superseded': 'true' });
      memo.answer ??= JSON.stringify(applied(memo, []));
      return jsonTextResponse(memo.answer);
    },
    fail: failureResponse,
  };
};

const SUPERSEDED_NOTICE = { path: '(body)', message: SUPERSEDED };

/** The answer to an applied PUT: the configuration (the VPN's keys withheld, as GET does) and its notices. */
function applied(memo: RenderMemo, more: { path: string; message: string }[]): Record<string, unknown> {
  const answer: Record<string, unknown> = configResponse(memo.body);
  const notices = [...memo.notices, ...more];
  if (notices.length) answer.notices = notices;
  return answer;
}

/** GET /v1/system/config: the configuration as applied, the VPN's pre-shared keys withheld. */
export function configResponse(body: Record<string, unknown> | null) {
  if (!body) return { configuration: {} };
  if (!body.vpn || typeof body.vpn !== 'object') return { configuration: body };
  return { configuration: { ...body, vpn: withholdKeys(body.vpn) } };
}

export const getConfig: Handler = (_req, ctx) => ({
  kind: 'response',
  response: jsonResponse(configResponse(ctx.state.applied?.body ?? ctx.state.saved)),
});
