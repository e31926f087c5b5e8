/** Node-only networking helpers for the local stack, its tests and benchmarks. */
import { readdir, readFile, readlink } from "node:fs/promises";
import { createServer } from "node:net";

/** A loopback port that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether something already listens on this loopback port (a bind attempt, the OS's word). */
export function portTaken(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(true));
    server.listen(port, host, () => server.close(() => resolve(false)));
  });
}

/**
 * Best effort, for an error message: the process listening on a TCP port, from /proc
 * (`pid 1234: node …/dev-worker.ts`), or null when it cannot be told (another user's process).
 */
export async function listenerOf(port: number): Promise<string | null> {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await readFile(table, "utf8").catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is field 1 (`ADDR:PORT`), st field 3 (0A = LISTEN), inode field 9.
      if (fields[1]?.endsWith(`:${hex}`) && fields[3] === "0A" && fields[9]) inodes.add(fields[9]);
    }
  }
  if (inodes.size === 0) return null;
  for (const pid of await readdir("/proc").catch(() => [])) {
    if (!/^\d+$/.test(pid)) continue;
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) {
        const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
        const command = cmdline.split("\0").filter(Boolean).join(" ");
        return `pid ${pid}: ${command.length > 120 ? `${command.slice(0, 119)}…` : command}`;
      }
    }
  }
  return null;
}

/** A port the stack needs is held by another process (often a stack an earlier start left behind). */
export class PortInUse extends Error {
  override readonly name = "PortInUse";
}

/**
 * Refuses to start when a port is taken: otherwise a left-over orchestrator answers the new
 * one's health check and the start looks fine while its own dev server failed.
 */
export async function refuseTakenPorts(ports: Array<{ port: number; what: string }>): Promise<void> {
  for (const { port, what } of ports) {
    if (port === 0 || !(await portTaken(port))) continue;
    const holder = await listenerOf(port);
    throw new PortInUse(
      `port ${port} (${what}) is already in use${holder ? ` by ${holder}` : ""}; stop that process (an earlier \`npm start\` left behind?) or start on other ports with --port`,
    );
  }
}
