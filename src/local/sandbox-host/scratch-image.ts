/**
 * The scratch filesystem of a Sandbox's /home/sandbox and /tmp: a sparse ext4
 * image, loop-mounted, so a write past its size fails inside the Sandbox and
 * the host's disk does not grow; and the start-up probe that it works here.
 */
import { execFile } from "node:child_process";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { unmount, which } from "./system.ts";

const run = promisify(execFile);

export /** Why loop-mounted ext4 cannot be used here, or null when a real one was made, mounted and removed. */
async function probeScratch(scratch: string): Promise<string | null> {
  if (!(await which("mkfs.ext4"))) return "mkfs.ext4 not found (apt-get install -y e2fsprogs)";
  await mkdir(scratch, { recursive: true });
  const dir = join(scratch, `limits-probe-${process.pid}`);
  try {
    await mkdir(join(dir, "m"), { recursive: true });
    await makeImage(join(dir, "img"), 16 << 20);
    await run("mount", ["-o", "loop,nosuid,nodev", join(dir, "img"), join(dir, "m")]);
    await unmount(join(dir, "m"));
    return null;
  } catch (error) {
    return `loop mount refused (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`;
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

export /** A sparse ext4 image of `bytes`, no blocks reserved for root (the Sandbox's uid 0 is root). */
async function makeImage(path: string, bytes: number): Promise<void> {
  const tmp = `${path}.new`;
  await rm(tmp, { force: true });
  await writeFile(tmp, "");
  await run("truncate", ["-s", String(bytes), tmp]);
  await run("mkfs.ext4", [
    "-q",
    "-F",
    "-m",
    "0",
    "-E",
    "lazy_itable_init=1,lazy_journal_init=1,root_owner=0:0",
    tmp,
  ]);
  await rename(tmp, path);
}
