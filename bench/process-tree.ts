/**
 * What the whole local stack holds, read from /proc: the resident memory and
 * CPU time of this process and everything below it, split by part. The
 * stack runs the emulator, the Sandbox host and the egress proxy inside this
 * Node process; wrangler dev (the orchestrator: Node plus its workerd), the
 * emulator's previews (one workerd each while running) and the Sandboxes'
 * processes are its children.
 */
import { readdirSync, readFileSync } from "node:fs";

export const PARTS = ["host", "orchestrator", "previews", "sandboxes"] as const;
export type Part = (typeof PARTS)[number];

export const PART_NAMES: Record<Part, string> = {
  host: "the stack's Node process (emulator, Sandbox host, egress proxy, bench driver; tsx's esbuild)",
  orchestrator: "the orchestrator (wrangler dev: Node and its workerd)",
  previews: "the emulator's previews (workerd)",
  sandboxes: "Sandbox processes (commands, network agents)",
};

const PAGE = 4096;
const TICK_MS = 10; // USER_HZ is 100 on Linux

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  rssBytes: number;
  cpuMs: number;
  /** CPU of its children that ended and were waited for */
  childrenCpuMs: number;
}

function readProcs(): Map<number, Proc> {
  const procs = new Map<number, Proc>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const f = stat.slice(close + 2).split(" ");
      // fields after the comm: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14) … rss(21)
      procs.set(Number(entry), {
        pid: Number(entry),
        ppid: Number(f[1]),
        comm: stat.slice(stat.indexOf("(") + 1, close),
        rssBytes: Number(f[21]) * PAGE,
        cpuMs: (Number(f[11]) + Number(f[12])) * TICK_MS,
        childrenCpuMs: (Number(f[13]) + Number(f[14])) * TICK_MS,
      });
    } catch {
      // ended while we looked
    }
  }
  return procs;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

export interface PartUse {
  rssBytes: number;
  processes: number;
  /** CPU time of the live processes (and of their waited-for children) */
  cpuMs: number;
}

export interface TreeSample {
  at: number;
  rssBytes: number;
  parts: Record<Part, PartUse>;
  /** CPU of children of the root that have ended (wrangler deploys and other Sandbox commands) */
  endedChildrenCpuMs: number;
  load1: number;
}

/** One sample of the tree under `root` (default: this process). */
export function sampleTree(root = process.pid): TreeSample {
  const procs = readProcs();
  const partOf = new Map<number, Part>();
  const classify = (pid: number): Part | null => {
    const known = partOf.get(pid);
    if (known) return known;
    const proc = procs.get(pid);
    if (!proc || proc.ppid === 0) return null;
    let part: Part | null;
    if (pid === root) part = "host";
    else if (proc.ppid === root) {
      const cmd = cmdline(pid);
      // tsx's esbuild service belongs to this process; the Sandbox host's commands are the rest.
      if (proc.comm === "workerd") part = "previews";
      else if (cmd.includes("dev-worker")) part = "orchestrator";
      else part = proc.comm === "esbuild" ? "host" : "sandboxes";
    } else part = classify(proc.ppid);
    if (part) partOf.set(pid, part);
    return part;
  };
  const parts = Object.fromEntries(PARTS.map((p) => [p, { rssBytes: 0, processes: 0, cpuMs: 0 }])) as Record<
    Part,
    PartUse
  >;
  for (const proc of procs.values()) {
    const part = classify(proc.pid);
    if (!part) continue;
    parts[part].rssBytes += proc.rssBytes;
    parts[part].processes++;
    parts[part].cpuMs += proc.cpuMs + (proc.pid === root ? 0 : proc.childrenCpuMs);
  }
  const load1 = Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
  return {
    at: Date.now(),
    rssBytes: PARTS.reduce((sum, p) => sum + parts[p].rssBytes, 0),
    parts,
    endedChildrenCpuMs: procs.get(root)?.childrenCpuMs ?? 0,
    load1,
  };
}

/** Samples every `everyMs` until stopped; keeps every sample. */
export function sampler(everyMs = 3000) {
  const samples: TreeSample[] = [sampleTree()];
  const timer = setInterval(() => samples.push(sampleTree()), everyMs);
  return {
    samples,
    stop(): TreeSample[] {
      clearInterval(timer);
      samples.push(sampleTree());
      return samples;
    },
  };
}

export const mb = (bytes: number): number => Math.round(bytes / 2 ** 20);
