/**
 * A tiny path router: patterns like `/accounts/:account/workers/scripts/:script`
 * matched segment by segment. Pure; the table of routes lives in `routes.ts`.
 */

export interface Match<T> {
  value: T;
  params: Record<string, string>;
}

export interface RouteEntry<T> {
  method: string;
  pattern: string;
  value: T;
}

export type RouteResult<T> =
  | { kind: "match"; match: Match<T> }
  | { kind: "method-not-allowed" }
  | { kind: "none" };

function splitPath(path: string): string[] {
  return path.split("/").filter((part) => part.length > 0);
}

/** Matches one pattern against a path; returns the decoded params or null. */
export function matchPattern(pattern: string, path: string): Record<string, string> | null {
  const want = splitPath(pattern);
  const got = splitPath(path);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith(":")) {
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return null;
      }
    } else if (w !== g) {
      return null;
    }
  }
  return params;
}

/** Finds the first route whose pattern and method match. */
export function route<T>(routes: readonly RouteEntry<T>[], method: string, path: string): RouteResult<T> {
  let pathMatched = false;
  for (const entry of routes) {
    const params = matchPattern(entry.pattern, path);
    if (!params) continue;
    pathMatched = true;
    if (entry.method === method) return { kind: "match", match: { value: entry.value, params } };
  }
  return pathMatched ? { kind: "method-not-allowed" } : { kind: "none" };
}
