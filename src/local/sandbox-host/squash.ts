/**
 * Squashing a deep layer stack into one layer, in the background. Each
 * snapshot adds a layer; overlay's mount options cap the depth (one page), and
 * deep stacks slow lookups. The squashed layer holds the merged view as hard
 * links to the files of the old layers (no data copied): the merged view
 * comes from a read-only overlay mount of the stack (which applies whiteouts
 * and opaque directories for us); for each file the topmost layer holding it
 * is its source. Layers are immutable, so sharing inodes is safe.
 */
import { link, lstat, mkdir, readdir, readlink, symlink } from "node:fs/promises";
import { join } from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { unmount } from "./system.ts";

const run = promisify(execFile);

/** Builds `out` (must not exist) as the merged view of `layerDirs` (top first). */
export async function squashLayers(
  layerDirs: readonly string[],
  out: string,
  scratch: string,
): Promise<void> {
  await mkdir(scratch, { recursive: true });
  await mkdir(out);
  if (layerDirs.length === 1) {
    await run("cp", ["-al", `${layerDirs[0]}/.`, out]);
    return;
  }
  // With no upper dir an overlay mount is read-only and needs at least two lower layers.
  await run("mount", ["-t", "overlay", "overlay", "-o", `lowerdir=${layerDirs.join(":")}`, scratch]);
  try {
    const walk = async (rel: string): Promise<void> => {
      for (const entry of await readdir(join(scratch, rel), { withFileTypes: true })) {
        const r = rel ? `${rel}/${entry.name}` : entry.name;
        const merged = join(scratch, r);
        if (entry.isDirectory()) {
          const stat = await lstat(merged);
          await mkdir(join(out, r), { mode: stat.mode & 0o7777 });
          await walk(r);
        } else if (entry.isSymbolicLink()) {
          await symlink(await readlink(merged), join(out, r));
        } else {
          const source = await topmostSource(layerDirs, r);
          if (source) await link(source, join(out, r));
          else await run("cp", ["-a", merged, join(out, r)]);
        }
      }
    };
    await walk("");
  } finally {
    await unmount(scratch);
  }
}

async function topmostSource(layerDirs: readonly string[], rel: string): Promise<string | null> {
  for (const dir of layerDirs) {
    try {
      const stat = await lstat(join(dir, rel));
      // a whiteout (0/0 character device) hides lower layers: then the file would not be merged
      if (stat.isCharacterDevice() && stat.rdev === 0) return null;
      return stat.isFile() ? join(dir, rel) : null;
    } catch {
      // not in this layer: look lower
    }
  }
  return null;
}
