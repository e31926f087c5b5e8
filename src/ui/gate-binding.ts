/**
 * What a gate's approval binds to, on the gate page (issue 15): the Worker version that
 * was verified (or, on a DNS gate, promoted), why this gate reopened when an earlier
 * approval was voided, and a claim that happened before the claim gate was approved.
 */
import { isoTime } from "./format.ts";
import type { GateView } from "../gates/view.ts";
import { type Html, html } from "./html.ts";

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

export function bindingSection(view: GateView): Html {
  const { gate, shown } = view;
  const version = text(gate.kind === "dns" ? shown.targetVersionId : shown.verifiedVersionId);
  const reopened = (shown.reopened ?? null) as { voidedGate?: unknown; reason?: unknown } | null;
  const early = gate.claimed_before_approval_at;
  return html`${
    reopened
      ? html`<p class="warning" id="gate-reopened"><strong>Reopened:</strong> the approval of gate ${text(reopened.voidedGate) ?? "before"} is void: ${text(reopened.reason) ?? "what it approved changed"}. ${gate.kind === "dns" ? "The Worker live now passed its probes again; this plan points at it." : "The verified snapshot was deployed and verified again."}</p>`
      : ""
  }${
    early !== null
      ? html`<p class="warning" id="gate-claimed-early"><strong>Claimed before approval:</strong> the temporary account was claimed at ${isoTime(early)}, before this gate was approved.</p>`
      : ""
  }${
    version
      ? html`<p id="gate-version">Approving binds to Worker version <code>${version}</code>; a different live version voids the approval.</p>`
      : ""
  }`;
}
