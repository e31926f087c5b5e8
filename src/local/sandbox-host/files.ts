/**
 * File operations on a Sandbox's workspace, done by the host on the host path
 * of `/workspace`. The Sandbox's own code can change that tree at any moment
 * (plant `ln -s / root`, swap a directory for a link between a check and a
 * use), so no host path string is ever trusted: every operation walks from a
 * descriptor of the workspace root one component at a time, each opened with
 * O_NOFOLLOW relative to the descriptor of its parent (`/proc/self/fd/<fd>/<name>`,
 * the openat(2) that Node lacks). A symlink met on the way is read and
 * resolved by this code, confined to the workspace: relative links may point
 * anywhere inside it, absolute ones must name `/workspace/…`, and one that
 * leads out (`/`, `/proc/self/root`, `../..`) is refused as `invalid`.
 * The last component is never followed by read, write or delete (delete
 * removes the link itself); list follows a directory link only when it stays
 * inside. Recursive list and delete descend the same way, so a link placed
 * during the walk is listed or unlinked, never entered. Linux only (the host
 * runs bubblewrap).
 */
import { constants } from "node:fs";
import { type FileHandle, lstat, mkdir, open, readdir, readlink, rmdir, unlink } from "node:fs/promises";
import { posix } from "node:path";
import {
  type FileEncoding,
  type FileEntry,
  SandboxError,
  WORKSPACE_DIR,
  workspaceRelative,
} from "../../ports/sandbox.ts";

const { O_RDONLY, O_WRONLY, O_CREAT, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK } = constants;
const DIR_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
/** As the kernel's limit on links followed in one lookup (MAXSYMLINKS). */
const MAX_LINKS = 40;

function isErrno(error: unknown, ...codes: string[]): boolean {
  return error instanceof Error && codes.includes((error as NodeJS.ErrnoException).code ?? "");
}

function translate(error: unknown, path: string): never {
  if (error instanceof SandboxError) throw error;
  if (isErrno(error, "ENOENT")) throw new SandboxError("not_found", `no such file: ${path}`);
  if (isErrno(error, "ELOOP")) throw new SandboxError("invalid", `refusing to follow a symlink: ${path}`);
  if (isErrno(error, "EISDIR")) throw new SandboxError("invalid", `is a directory: ${path}`);
  if (isErrno(error, "ENOTDIR")) throw new SandboxError("invalid", `not a directory: ${path}`);
  if (isErrno(error, "ENOTEMPTY")) throw new SandboxError("invalid", `directory not empty: ${path}`);
  if (isErrno(error, "ENOSPC", "EDQUOT")) throw new SandboxError("quota_exceeded", "disk full");
  throw new SandboxError("internal", `${path}: ${error instanceof Error ? error.message : String(error)}`);
}

const escapes = (path: string) =>
  new SandboxError("invalid", `path escapes ${WORKSPACE_DIR} through a symlink: ${path}`);

/** `name` inside the directory open as `dir`, for a call that does not follow it. */
const at = (dir: FileHandle, name: string) => `/proc/self/fd/${dir.fd}/${name}`;

/** The components of a workspace-relative path (already normalised: no `.`, `..` or empty parts). */
const split = (rel: string) => (rel ? rel.split("/") : []);

/**
 * The parts of a symlink's target seen from the directory `base` (workspace-relative parts),
 * or null when it leads outside the workspace.
 */
function linkTarget(base: readonly string[], target: string): string[] | null {
  if (target.startsWith("/")) {
    try {
      return split(workspaceRelative(target));
    } catch {
      return null; // an absolute link anywhere but /workspace
    }
  }
  const parts = [...base];
  for (const part of target.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return null; // above the workspace root
      parts.pop();
    } else parts.push(part);
  }
  return parts;
}

export class WorkspaceFiles {
  constructor(private readonly root: string) {}

  /**
   * Opens the directory at `parts` (workspace-relative), resolving links inside the workspace.
   * Returns the handle and the directory's real parts. `create` makes missing directories.
   */
  private async openDir(
    path: string,
    wanted: readonly string[],
    opts: { create?: boolean } = {},
  ): Promise<{ dir: FileHandle; parts: string[] }> {
    let links = 0;
    let pending = [...wanted];
    let dir = await open(this.root, DIR_FLAGS);
    let parts: string[] = [];
    try {
      while (pending.length) {
        const name = pending[0]!;
        let next: FileHandle;
        try {
          next = await open(at(dir, name), DIR_FLAGS);
        } catch (error) {
          if (isErrno(error, "ENOENT") && opts.create) {
            await mkdir(at(dir, name), { mode: 0o755 }).catch((e: unknown) => {
              if (!isErrno(e, "EEXIST")) throw e;
            });
            continue; // open it (or find what replaced it) on the next turn
          }
          if (!isErrno(error, "ENOTDIR", "ELOOP")) throw error;
          const target = await readlink(at(dir, name)).catch(() => null);
          if (target === null) throw error; // a file where a directory was wanted
          if (++links > MAX_LINKS) throw new SandboxError("invalid", `too many symlinks: ${path}`);
          const resolved = linkTarget(parts, target);
          if (!resolved) throw escapes(path);
          // Walk again from the root along the link's target, then what was left of the path.
          pending = [...resolved, ...pending.slice(1)];
          await dir.close();
          dir = await open(this.root, DIR_FLAGS);
          parts = [];
          continue;
        }
        await dir.close();
        dir = next;
        parts.push(name);
        pending = pending.slice(1);
      }
      return { dir, parts };
    } catch (error) {
      await dir.close();
      throw error;
    }
  }

  /** The parent directory of a path that names something (not /workspace itself), and its last part. */
  private async openParent(path: string, opts: { create?: boolean } = {}) {
    const wanted = split(workspaceRelative(path));
    const name = wanted.pop();
    if (name === undefined) throw new SandboxError("invalid", `is a directory: ${path}`);
    return { ...(await this.openDir(path, wanted, opts)), name };
  }

  async write(path: string, content: string, encoding: FileEncoding = "utf8"): Promise<void> {
    try {
      const { dir, name } = await this.openParent(path, { create: true });
      try {
        // O_NONBLOCK: a FIFO planted under the name must not hang the host.
        const handle = await open(at(dir, name), O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0o644);
        try {
          if (!(await handle.stat()).isFile())
            throw new SandboxError("invalid", `not a regular file: ${path}`);
          await handle.truncate(0);
          await handle.writeFile(Buffer.from(content, encoding === "base64" ? "base64" : "utf8"));
        } finally {
          await handle.close();
        }
      } finally {
        await dir.close();
      }
    } catch (error) {
      if (isErrno(error, "ENXIO"))
        translate(new SandboxError("invalid", `not a regular file: ${path}`), path);
      translate(error, path);
    }
  }

  async read(path: string, encoding: FileEncoding = "utf8"): Promise<string> {
    try {
      const { dir, name } = await this.openParent(path);
      try {
        const handle = await open(at(dir, name), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
        try {
          const stat = await handle.stat();
          if (stat.isDirectory()) throw new SandboxError("invalid", `is a directory: ${path}`);
          if (!stat.isFile()) throw new SandboxError("invalid", `not a regular file: ${path}`);
          return (await handle.readFile()).toString(encoding === "base64" ? "base64" : "utf8");
        } finally {
          await handle.close();
        }
      } finally {
        await dir.close();
      }
    } catch (error) {
      translate(error, path);
    }
  }

  async list(path: string, recursive = false): Promise<FileEntry[]> {
    try {
      const { dir, parts } = await this.openDir(path, split(workspaceRelative(path)));
      const entries: FileEntry[] = [];
      const walk = async (handle: FileHandle, rel: readonly string[]) => {
        for (const entry of await readdir(`/proc/self/fd/${handle.fd}`)) {
          let stat: Awaited<ReturnType<typeof lstat>>;
          try {
            stat = await lstat(at(handle, entry));
          } catch {
            continue; // gone meanwhile
          }
          const type = typeOf(stat);
          const childRel = [...rel, entry];
          entries.push({
            path: posix.join(WORKSPACE_DIR, ...childRel),
            type,
            size: stat.size,
            modifiedAt: stat.mtime.toISOString(),
          });
          if (!recursive || type !== "directory") continue;
          let child: FileHandle;
          try {
            child = await open(at(handle, entry), DIR_FLAGS);
          } catch {
            continue; // replaced (by a link, say) since it was seen: listed, not entered
          }
          try {
            await walk(child, childRel);
          } finally {
            await child.close();
          }
        }
      };
      try {
        await walk(dir, parts);
      } finally {
        await dir.close();
      }
      return entries.sort((a, b) => a.path.localeCompare(b.path));
    } catch (error) {
      translate(error, path);
    }
  }

  async delete(path: string, recursive = false): Promise<void> {
    try {
      if (workspaceRelative(path) === "")
        throw new SandboxError("invalid", "refusing to delete /workspace itself");
      const { dir, name } = await this.openParent(path);
      try {
        const stat = await lstat(at(dir, name));
        if (!stat.isDirectory()) return await unlink(at(dir, name)); // a link goes, its target stays
        if (!recursive) throw new SandboxError("invalid", `is a directory: ${path}`);
        await removeTree(dir, name);
      } finally {
        await dir.close();
      }
    } catch (error) {
      translate(error, path);
    }
  }
}

function typeOf(stat: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }) {
  return stat.isFile()
    ? "file"
    : stat.isDirectory()
      ? "directory"
      : stat.isSymbolicLink()
        ? "symlink"
        : "other";
}

/** Removes the directory `name` in `parent` and everything below it, entering no link. */
async function removeTree(parent: FileHandle, name: string): Promise<void> {
  const dir = await open(at(parent, name), DIR_FLAGS);
  try {
    for (const entry of await readdir(`/proc/self/fd/${dir.fd}`)) {
      const stat = await lstat(at(dir, entry)).catch(() => null);
      if (!stat) continue;
      if (stat.isDirectory()) await removeTree(dir, entry);
      else await unlink(at(dir, entry));
    }
  } finally {
    await dir.close();
  }
  await rmdir(at(parent, name));
}
