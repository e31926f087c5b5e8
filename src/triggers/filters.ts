/**
 * Which jobs a webhook delivery is for. A delivery is reduced to facts
 * (event, action, repository, branches, labels), and a job's trigger filter
 * matches when every field it names matches. Pure.
 *
 * GitHub facts:
 * - event: the `X-GitHub-Event` header (`push`, `issues`, `pull_request`, …);
 * - action: `payload.action` (`opened`, `labeled`, …);
 * - repository: `payload.repository.full_name` (`owner/name`, case-insensitive, like GitHub);
 * - branch: a push's `refs/heads/<branch>`; `create`/`delete` of a branch; a pull
 *   request's *base* branch (as GitHub Actions' `pull_request.branches` does);
 *   `head_branch` of check suites, check runs and workflow runs;
 * - label: the label just added or removed (`labeled`/`unlabeled` events), else
 *   the labels on the issue or pull request.
 * Standard Webhooks facts: event = `payload.type`; other fields are not defined.
 *
 * Filter values are exact, or globs where `*` matches within a path segment and
 * `**` across `/` (`release/*`, `my-org/*`).
 */

export interface WebhookFilter {
  event?: string | undefined;
  action?: string | undefined;
  repository?: string | undefined;
  branch?: string | undefined;
  label?: string | undefined;
}

export interface DeliveryFacts {
  event: string | null;
  action: string | null;
  repository: string | null;
  branches: string[];
  labels: string[];
}

type Json = Record<string, unknown>;

function obj(value: unknown): Json | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Json) : undefined;
}

function str(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

function labelNames(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map((l) => str(obj(l)?.name)).filter((n): n is string => n !== null);
}

function githubBranches(event: string, payload: Json): string[] {
  const ref = str(payload.ref);
  if (event === "push" && ref?.startsWith("refs/heads/")) return [ref.slice("refs/heads/".length)];
  if ((event === "create" || event === "delete") && payload.ref_type === "branch" && ref) return [ref];
  const base = str(obj(obj(payload.pull_request)?.base)?.ref);
  if (base) return [base];
  const head =
    str(obj(payload.workflow_run)?.head_branch) ??
    str(obj(payload.check_suite)?.head_branch) ??
    str(obj(obj(payload.check_run)?.check_suite)?.head_branch);
  return head ? [head] : [];
}

export function githubFacts(event: string, payload: unknown): DeliveryFacts {
  const body = obj(payload) ?? {};
  const label = str(obj(body.label)?.name);
  const labelled = obj(body.issue) ?? obj(body.pull_request);
  return {
    event,
    action: str(body.action),
    repository: str(obj(body.repository)?.full_name),
    branches: githubBranches(event, body),
    labels: label !== null ? [label] : labelNames(labelled?.labels),
  };
}

export function standardFacts(payload: unknown): DeliveryFacts {
  return { event: str(obj(payload)?.type), action: null, repository: null, branches: [], labels: [] };
}

function globToRegExp(glob: string, flags: string): RegExp {
  const source = glob
    .split("**")
    .map((part) =>
      part
        .split("*")
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join("[^/]*"),
    )
    .join(".*");
  return new RegExp(`^${source}$`, flags);
}

function matches(pattern: string, value: string | null, caseInsensitive = false): boolean {
  if (value === null) return false;
  if (!pattern.includes("*"))
    return caseInsensitive ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  return globToRegExp(pattern, caseInsensitive ? "i" : "").test(value);
}

/** True when every field the filter names matches the delivery (no filter matches everything). */
export function matchesFilter(filter: WebhookFilter | undefined, facts: DeliveryFacts): boolean {
  if (!filter) return true;
  if (filter.event !== undefined && !matches(filter.event, facts.event)) return false;
  if (filter.action !== undefined && !matches(filter.action, facts.action)) return false;
  if (filter.repository !== undefined && !matches(filter.repository, facts.repository, true)) return false;
  if (filter.branch !== undefined && !facts.branches.some((b) => matches(filter.branch!, b))) return false;
  if (filter.label !== undefined && !facts.labels.some((l) => matches(filter.label!, l, true))) return false;
  return true;
}
