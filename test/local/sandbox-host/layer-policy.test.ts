/** Snapshot bookkeeping: mount options, GC policy, unreferenced layers, squash threshold (pure). */
import { describe, expect, it } from "vitest";
import {
  needsSquash,
  overlayMountData,
  type SnapshotRecord,
  snapshotsToCollect,
  unreferencedLayers,
} from "../../../src/local/sandbox-host/layer-policy.ts";

const snap = (
  id: string,
  sandbox: string,
  seq: number,
  layers: string[],
  pinned = false,
): SnapshotRecord => ({
  id,
  sandbox,
  name: null,
  createdAt: "2026-01-01T00:00:00.000Z",
  seq,
  pinned,
  layers,
  sizeBytes: null,
});

describe("layer policy", () => {
  it("builds overlay mount data top layer first, and refuses a stack beyond one page", () => {
    expect(overlayMountData({ lowers: ["/l/b", "/l/a"], upper: "/u", work: "/w" })).toBe(
      "lowerdir=/l/b:/l/a,upperdir=/u,workdir=/w",
    );
    expect(() => overlayMountData({ lowers: [], upper: "/u", work: "/w" })).toThrow(/at least one/);
    expect(() => overlayMountData({ lowers: ["/l/a:b"], upper: "/u", work: "/w" })).toThrow(
      /may not contain/,
    );
    const deep = Array.from({ length: 200 }, (_, i) => `/state/dir/l/layer-${i}`);
    expect(() => overlayMountData({ lowers: deep, upper: "/u", work: "/w" })).toThrow(/too deep/);
  });

  it("keeps the newest N per Sandbox plus pinned ones", () => {
    const all = [
      snap("a1", "a", 1, []),
      snap("a2", "a", 2, [], true),
      snap("a3", "a", 3, []),
      snap("a4", "a", 4, []),
      snap("b1", "b", 5, []),
    ];
    expect(snapshotsToCollect(all, 2).sort()).toEqual(["a1"]);
    expect(snapshotsToCollect(all, 1).sort()).toEqual(["a1", "a3"]);
  });

  it("finds layers used by no snapshot, no Sandbox stack and nothing held", () => {
    expect(
      unreferencedLayers({
        layers: ["l1", "l2", "l3", "l4", "l5"],
        snapshots: [snap("s", "a", 1, ["l2", "l1"])],
        sandboxStacks: [["l3", "l1"]],
        keep: ["l5"],
      }),
    ).toEqual(["l4"]);
  });

  it("squashes once a stack reaches the threshold", () => {
    expect(needsSquash(["a", "b"], 3)).toBe(false);
    expect(needsSquash(["a", "b", "c"], 3)).toBe(true);
  });
});
