/**
 * What must hold after every kill, for a run that was killed and the reference run that was
 * not: the same end, the same transitions and gate decisions; nothing the emulator creates
 * made twice; every notification once; the audit log numbered without gaps or repeats.
 */
import { expect } from "vitest";
import type { CrashJob } from "./jobs.ts";
import {
  auditLog,
  creations,
  dnsWrites,
  type Harness,
  outcomeOf,
  provisionedAccounts,
  zoneNow,
} from "./harness.ts";

/** A transition or gate list with the run's own names (job, run id) taken out. */
const neutral = (value: unknown, names: string[]) => {
  let text = JSON.stringify(value);
  for (const name of names) text = text.replaceAll(name, "<run>");
  return JSON.parse(text) as unknown;
};

export async function expectSameAsReference(
  h: Harness,
  reference: { id: string; job: CrashJob },
  killed: { id: string; job: CrashJob },
): Promise<void> {
  const ref = await outcomeOf(h, reference.id);
  const got = await outcomeOf(h, killed.id);
  expect(ref).toMatchObject({ status: "final", state: "succeeded" });
  // The same end, the same steps in the same order, the same gates decided the same way.
  expect(neutral(got, [killed.id, killed.job])).toEqual(neutral(ref, [reference.id, reference.job]));
  // Every decision a human made is on record once, and was acted on.
  expect(got.decisions).toEqual(["approver-1", "approver-1"]);
  expect(got.gates.map((g) => `${g.kind}#${g.seq} ${g.status}`)).toEqual([
    "claim#1 approved",
    "dns#1 approved",
  ]);

  // Created once per logical operation: two deploys (an upload, then a version and its deployment).
  for (const job of [reference.job, killed.job])
    expect(creations(h, job)).toMatchObject({ scriptUploads: 1, versionUploads: 1, deployments: 1 });
  // The zone holds each run's record once and each hostname's domain once.
  const zone = await zoneNow(h);
  for (const job of [reference.job, killed.job]) {
    const { hostname, record } = creations(h, job);
    expect(zone.records.filter((r) => r.name === record)).toEqual([
      expect.objectContaining({ type: "TXT", content: "v=1" }),
    ]);
    expect(zone.domains.filter((d) => d.hostname === hostname)).toHaveLength(1);
  }

  // Notifications: the same ones as the reference run's, each under one key, none answered twice.
  const kindsOf = (id: string) =>
    [...new Set(h.notices.deliveries.filter((d) => d.runId === id).map((d) => `${d.kind} ${d.gate}`))].sort();
  expect(kindsOf(killed.id)).toEqual(kindsOf(reference.id));
  expect(kindsOf(reference.id)).toEqual(["gate.opened claim#1", "gate.opened dns#1", "run.finished null"]);
  for (const id of [reference.id, killed.id]) {
    const mine = h.notices.deliveries.filter((d) => d.runId === id);
    expect(new Set(mine.map((d) => d.key)).size).toBe(3);
    const answered = mine.filter((d) => d.answered).map((d) => d.key);
    expect(answered.length).toBe(new Set(answered).size);
    expect(new Set(answered).size).toBe(3);
  }
}

/** What holds across every run of the stack once all are done. */
export async function expectNothingTwice(h: Harness, ids: string[]): Promise<void> {
  // One temporary account per run, however often a deploy was cut off.
  expect(provisionedAccounts(h)).toBe(ids.length);
  // One record create and one custom-domain attach per run.
  expect(dnsWrites(h)).toEqual({ recordCreates: ids.length, domainAttaches: ids.length });
  // The audit log: 1, 2, 3, … across all runs, none missing, none twice.
  const seqs = await auditLog(h, ids);
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
}
