// The fetch classes the API's answers are made of. The runtime hands in the
// HTTP server's own (runtime/fetch.ts: @whatwg-node/fetch) before it answers,
// so the agent loads one implementation of Request/Response/Headers: the
// first touch of Node's global Response loads its internal undici, 50-150 ms
// of start-up on a small VM. Until something is handed in, Node's globals.

export interface FetchClasses {
  Request: typeof Request;
  Response: typeof Response;
  Headers: typeof Headers;
}

let handed: FetchClasses | null = null;

/** the classes every answer of the API is built with from now on */
export function useFetchClasses(classes: FetchClasses): void {
  handed = classes;
}

export function fetchClasses(): FetchClasses {
  handed ??= { Request, Response, Headers };
  return handed;
}
