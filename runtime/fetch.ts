// One implementation of the fetch classes for the whole API: the one
// @whatwg-node/server answers with (runtime/server.ts). The handlers build
// their answers with the same classes (handed in here, handlers/fetch.ts), so
// Node's own (undici) is never loaded, and the adapter writes string answers
// without streaming them.
import { Headers, Request, Response } from '@whatwg-node/fetch';
import { type FetchClasses, useFetchClasses } from '../handlers/fetch.ts';

export const FETCH: FetchClasses = { Request, Response, Headers } as unknown as FetchClasses;
useFetchClasses(FETCH);
