/**
 * The example job end to end, offline, as `npm start` runs it: the replay
 * agent writes round 1 (a counter that answers `{visits}`), the unmodified
 * wrangler deploys it from inside the run's Sandbox into a temporary account
 * of the local emulator, the probe "counter counts" fails, the fix round
 * repairs it from the verification report, the redeploy passes, and the run
 * waits at the claim gate. Then a human claims the account and approves.
 * Local mode: the emulator's own terms are signed off automatically.
 */
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EXAMPLE_LOOP_STEPS,
  api,
  eventsOf,
  provisioned,
  runOf,
  settled,
  startRun,
  startTestStack,
  type TestStack,
  until,
} from "./stack-support.ts";

let stack: TestStack;

/**
 * The processes the Sandbox host runs for Sandboxes, by name: everything below this process
 * (which hosts the stack) but wrangler dev's tree (the orchestrator), the emulator's workerd
 * previews, esbuild services, and the network agents (the host's helper in a Sandbox's network
 * namespace, which ends itself 15 s after its last connection).
 */
function sandboxProcesses(): string[] {
  const procs = readdirSync("/proc")
    .filter((e) => /^\d+$/.test(e))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        const close = stat.lastIndexOf(")");
        const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
        const name = stat.slice(stat.indexOf("(") + 1, close);
        const ppid = Number(stat.slice(close + 2).split(" ")[1]);
        return [{ pid: Number(pid), ppid, name, cmd }];
      } catch {
        return []; // ended while we looked
      }
    });
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const isHostPart = (p: { ppid: number; name: string; cmd: string }) =>
    p.cmd.includes("dev-worker") ||
    p.cmd.includes("net-agent") ||
    p.name === "esbuild" ||
    (p.name === "workerd" && p.ppid === process.pid);
  const ofSandbox = (pid: number) => {
    for (let p = byPid.get(pid); p; p = byPid.get(p.ppid)) {
      if (isHostPart(p)) return false;
      if (p.ppid === process.pid) return true;
    }
    return false;
  };
  return procs.filter((p) => ofSandbox(p.pid)).map((p) => p.name);
}

beforeAll(async () => {
  stack = await startTestStack("example-loop");
});

afterAll(async () => {
  await stack?.dispose();
});

describe("the example job, offline", () => {
  let id: string;

  it("fixes round 1's bug from the report and waits at the claim gate", async () => {
    id = await startRun(stack, "hello-kv");
    const { run, gates } = await settled(stack, id);
    expect(run).toMatchObject({ status: "waiting", state: "awaitingClaim" });
    expect(gates).toEqual([expect.objectContaining({ kind: "claim", seq: 1, status: "pending" })]);

    const events = await eventsOf(stack, id);
    const steps = events.filter((e) => e.step).map((e) => `${e.step} ${e.type}`);
    expect(steps.slice(0, 8)).toEqual(EXAMPLE_LOOP_STEPS);

    // The report the fix round read says which probe failed and why.
    const failed = events.find((e) => e.type === "verify.failed")!;
    const report = await api<{ body: string }>(
      stack,
      `/api/runs/${id}/artifacts/${encodeURIComponent(String(failed.data.reportRef))}`,
    );
    const checks = (
      JSON.parse(report.body.body) as { checks: Array<{ name: string; passed: boolean; actual: string }> }
    ).checks;
    expect(checks.find((c) => c.name === "counter counts")).toMatchObject({ passed: false, actual: /count/ });

    // Both deploys went to the same temporary account; the live Worker now counts.
    expect(provisioned(stack)).toHaveLength(1);
    const deploys = events.filter((e) => e.type === "deploy.done");
    expect(new Set(deploys.map((e) => (e.data.account as { id: string }).id)).size).toBe(1);
    const counted = await fetch(stack.emulator.localUrl(`${run.deploymentUrl}/count`));
    expect(await counted.json()).toEqual({ count: expect.any(Number) });

    // The replay agent's change is recorded like any agent's: the run's whole change, and each round's.
    const diff = (
      await api<{ net: { diff: string } | null; rounds: { ref: string; diff: string }[] }>(
        stack,
        `/api/runs/${id}/diff`,
      )
    ).body;
    expect(diff.net?.diff).toContain("+++ b/src/index.ts");
    expect(diff.net?.diff).toContain("+      return Response.json({ count: visits });");
    expect(diff.net?.diff).not.toContain("Response.json({ visits })");
    expect(diff.rounds.map((r) => r.ref)).toEqual([`${id}:write#1:round-diff`, `${id}:fix#1:round-diff`]);
    expect(diff.rounds[1]?.diff).toContain("-      return Response.json({ visits });");

    // The replayed agent is labelled as a replay in the timeline.
    const writes = events.filter((e) => e.type === "write.done");
    expect(writes).toHaveLength(2);
    for (const w of writes)
      expect(w.data).toMatchObject({ replay: true, summary: expect.stringMatching(/^\[replay of /) });
  });

  it("holds no Sandbox process while it waits at the gate", async () => {
    // Every step's commands end with the step, and no step starts a background process or
    // exposes a port: the run's Sandbox runs nothing while the gate waits for a human.
    const headers = { authorization: `Bearer ${stack.sandboxSecret}` };
    const status = (await (await fetch(`${stack.sandboxes.url}/sandboxes/${id}`, { headers })).json()) as {
      state: string;
      processes: number;
    };
    expect(status.processes).toBe(0);
    const listed = (await (
      await fetch(`${stack.sandboxes.url}/sandboxes/${id}/processes`, { headers })
    ).json()) as {
      processes: Array<{ status: string }>;
    };
    expect(listed.processes.filter((p) => p.status === "running")).toEqual([]);
    expect(sandboxProcesses()).toEqual([]);

    // The same two checks see a Sandbox that does keep something running.
    const other = `${stack.sandboxes.url}/sandboxes/keeps-running`;
    const started = await fetch(`${other}/processes`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ command: "sleep 300" }),
    });
    expect(started.status).toBe(200);
    expect(((await (await fetch(other, { headers })).json()) as { processes: number }).processes).toBe(1);
    await until("the sleep to show", async () => (sandboxProcesses().includes("sleep") ? true : undefined));
    await fetch(other, { method: "DELETE", headers });
  });

  it("records the automatic sign-off as such, for the emulator's API base only", async () => {
    const { body } = await api<{
      signoffs: Array<{ api_base: string; automatic: boolean; signed_by: string }>;
    }>(stack, "/api/signoffs");
    expect(body.signoffs).toEqual([
      expect.objectContaining({ api_base: stack.emulator.apiBaseUrl, automatic: true }),
    ]);
    const event = (await eventsOf(stack, id)).find((e) => e.type === "tos.signed_off_automatically");
    expect(event?.data).toMatchObject({
      automatic: true,
      termsUrl: `${stack.emulator.url}/__emulator/terms`,
    });
    expect((await fetch(`${stack.emulator.url}/__emulator/terms`)).status).toBe(200);
  });

  it("succeeds once the human claimed the account and approved the claim gate", async () => {
    const { run } = await runOf(stack, id);
    const claimed = await fetch(run.account!.claimUrl, { method: "POST" });
    expect(claimed.status).toBe(200);
    const approved = await api(stack, `/api/runs/${id}/gates/claim/approve`, {
      json: { reason: "claimed it" },
    });
    expect(approved.status).toBe(200);
    const done = await settled(stack, id);
    expect(done.run).toMatchObject({ status: "final", state: "succeeded" });
    const check = await api<{ body: string }>(
      stack,
      `/api/runs/${id}/artifacts/${encodeURIComponent(`${id}:promote#1:claim`)}`,
    );
    expect(JSON.parse(check.body.body)).toMatchObject({ claimPage: { status: "claimed" }, decision: "done" });
  });
});
