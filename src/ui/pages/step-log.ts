/**
 * What one step of a run kept, one click from its line in the timeline:
 * wrangler's output, the setup log, the agent's transcript and diff, the
 * verify report (src/web/step-log.ts makes them text, paths relative to the
 * job's project).
 */
import type { StepLogPart } from "../../web/step-log.ts";
import type { Principal } from "../../web/roles.ts";
import { type Html, html } from "../html.ts";
import { page } from "../layout.ts";

export function stepLogPage(options: {
  principal: Principal;
  runId: string;
  step: string;
  parts: readonly StepLogPart[];
}): Html {
  const { runId, step, parts } = options;
  const body = html`<p><a href="/inbox/runs/${encodeURIComponent(runId)}">← run ${runId}</a></p>
${
  parts.length
    ? parts.map(
        (part, i) => html`<section class="step-log" aria-labelledby="part-${i}">
<h2 id="part-${i}">${part.title}</h2>
<p class="meta"><code>${part.ref}</code></p>
<pre data-kind="${part.kind}">${part.text}</pre>
</section>`,
      )
    : html`<p>This step kept no output (its events are on the run's timeline).</p>`
}`;
  return page({ title: `Run ${runId} · step ${step}`, principal: options.principal, body });
}
