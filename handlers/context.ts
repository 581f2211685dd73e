// What an endpoint sees and what it answers. A handler is a pure function from
// a request and a snapshot of the agent (state, host facts) to an outcome: a
// response, read-only commands whose results make the response, or a plan to
// apply. The runtime gathers what the route needs, runs plans, writes responses.
import type { Facts, LinkFact } from '../features/kit/facts.ts';
import type { RenderedFile } from '../features/kit/feature.ts';
import type { Staged } from '../features/kit/staged.ts';
import type { Plan, Step } from '../features/kit/step.ts';
import type { Model } from '../schema/model.ts';
import type { InterfaceMap } from '../schema/normalise.ts';
import type { ParseResult } from '../schema/parse.ts';

export interface AgentState {
  root: string;
  /** the last configuration applied successfully */
  applied: { body: Record<string, unknown>; model: Model } | null;
  /** the persisted configuration, answered by GET until start-up convergence replaces it */
  saved: Record<string, unknown> | null;
  /** the host may differ from the files on disk (start-up, after a failed apply): the next apply reloads everything */
  dirty: boolean;
  /** the model of the last apply that changed the host, successful or not */
  touched: Model | null;
  /** configured targets of GET /v1/status */
  statusTargets: string[];
  /** the addresses the API listens on now: a configuration must not take them all away */
  apiAddresses: string[];
}

/** The last body validated and rendered, by its text and the interface map: a re-push skips both. */
export interface RenderMemo {
  key: string;
  /** the body as the client sent it, parsed (a request with the same text takes it, unparsed); its text is key.slice(textAt) */
  source?: { raw: unknown; textAt: number };
  body: Record<string, unknown>;
  model: Model;
  files: RenderedFile[];
  notices: { path: string; message: string }[];
  /** the 200's body once serialised: an identical re-push sends the same text again */
  answer?: string;
}

export type Need = 'facts' | 'links' | 'metrics' | 'ha' | 'schema';

/** The body's validator and its JSON Schema, for routes that need 'schema' (loaded on first use: zod and the schema are not built at start-up). */
export interface SchemaKit {
  /** in stages (features/kit/staged.ts): the runtime lets other requests in between them */
  validate(raw: unknown, ifmap: InterfaceMap): ParseResult | Staged<ParseResult>;
  configurationJsonSchema(): Record<string, unknown>;
}

/** The VRRP role as keepalived's transition script last recorded it (features/ha), for routes that need 'ha'. */
export interface HaFact {
  /** master, backup or fault; null before keepalived's first transition */
  role: string | null;
  /** when the role was taken, seconds since the epoch */
  since: number | null;
  keepalived: boolean;
  conntrackd: boolean;
}

export interface Context {
  state: AgentState;
  facts: Facts | null;
  links: LinkFact[] | null;
  memo: RenderMemo | null;
  /** the metrics in the Prometheus text format, for routes that need 'metrics' */
  metrics?: string;
  ha?: HaFact;
  schema?: SchemaKit;
}

export interface ApiRequest {
  method: string;
  params: Record<string, string>;
  query: Record<string, string | string[] | undefined>;
  headers: Headers;
  /** the parsed JSON body, for routes that decode one */
  body?: unknown;
  text?: string;
}

export interface QueryResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface StepFailureView {
  index: number;
  step: string;
  argv: string[];
  exitCode: number | null;
  stderr: string;
}

export type ApplyFailure =
  | { kind: 'check'; checks: { checker: string; argv: string[]; exitCode: number | undefined; stderr: string }[] }
  | { kind: 'step'; step: StepFailureView; rolledBack: boolean }
  | { kind: 'internal' };

export interface ApplyOutcome {
  kind: 'apply';
  plan: Plan;
  body: Record<string, unknown>;
  model: Model;
  memo: RenderMemo;
  /** the answer once the plan is applied; `superseded` when a newer body was applied in its place */
  respond: (result: { superseded: boolean }) => Response;
  fail: (failure: ApplyFailure) => Response;
}

export type Outcome =
  | { kind: 'response'; response: Response }
  | { kind: 'query'; steps: Step[]; respond: (results: QueryResult[]) => Response }
  | ApplyOutcome;

export type Handler = (req: ApiRequest, ctx: Context) => Outcome;

/**
 * A handler whose work comes in stages (a generator yielding between the long parts of it,
 * features/kit/staged.ts): the runtime lets other requests in at each yield.
 */
export type StagedHandler = (req: ApiRequest, ctx: Context) => Staged<Outcome>;

export interface Route {
  method: 'GET' | 'PUT';
  path: string;
  /** facts the runtime gathers before calling the handler */
  needs: readonly Need[];
  /** runs under the apply lock: one at a time, and only the newest of the waiting ones */
  exclusive?: boolean;
  /** reads the body: a Response refuses the request before it is queued */
  decode?: (req: Request, known?: (text: string) => unknown) => Promise<{ body: unknown; text: string } | Response>;
  handler: Handler | StagedHandler;
  /** for the API description (handlers/openapi.ts) */
  summary?: string;
  /** every status the route answers with, and what it means */
  responses?: Readonly<Record<number, string>>;
  /** the media type of its successful answers: JSON unless said */
  answers?: 'json' | 'text' | 'metrics';
}

/** What the API needs from the runtime. */
export interface ApiRuntime {
  context(needs: readonly Need[]): Promise<Context>;
  /** read-only commands, run at once (not under the apply lock) */
  query(steps: Step[]): Promise<QueryResult[]>;
  /** queued under the apply lock; the context is taken when the request's turn comes */
  exclusive(req: ApiRequest, route: Route): Promise<Response>;
  internalError(err: unknown): void;
  /** a body text the runtime has parsed before (the last render's), parsed; undefined for any other text */
  parsed?(text: string): unknown;
}
