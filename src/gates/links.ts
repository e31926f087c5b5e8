/**
 * Links for a gate notification: while the gate is pending, a fresh
 * single-use signed link that lets its holder decide that gate once (not for
 * `tos`); always the gate's page in the inbox (a decided or expired gate shows
 * what happened). Needs the inbox's public URL (NIGHTSHIFT_PUBLIC_URL);
 * without it, no links.
 */
import { DEFAULT_LINK_TTL_MS, issueLink } from "./signed-links.ts";
import type { Env } from "../env.ts";
import type { Notification } from "../ports/notifier.ts";
import { getGate } from "../store/gates.ts";

export function gateLinks(env: Env, now: () => number = () => Date.now()) {
  return async (n: Notification): Promise<Array<{ label: string; url: string }>> => {
    const base = env.NIGHTSHIFT_PUBLIC_URL?.replace(/\/+$/, "");
    if (!base || !n.gate) return [];
    const gate = await getGate(env.DB, n.gate.id);
    if (!gate) return [];
    const page = {
      label: "Open in the inbox",
      url: `${base}/inbox/runs/${gate.run_id}/gates/${gate.kind}-${gate.seq}`,
    };
    if (gate.status !== "pending" || gate.kind === "tos") return [page];
    const issued = await issueLink(env, {
      gate,
      issuedTo: "notification recipient",
      issuedBy: "notifier",
      ttlMs: DEFAULT_LINK_TTL_MS,
      now: now(),
    });
    return issued.ok
      ? [{ label: "Review and decide (single-use link)", url: `${base}${issued.path}` }, page]
      : [page];
  };
}
