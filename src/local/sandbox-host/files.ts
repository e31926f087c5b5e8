/**
 * File operations on a Sandbox's workspace, done by the host on the host path
 * of `/workspace`. Confinement: the Sandbox path is normalised, must lie under
 * /workspace, and every existing ancestor is resolved with realpath and must
 * stay inside the workspace root, so a symlink planted by the agent
 * (`ln -s /etc x`) cannot make the host read or write outside it; the final
 * component is opened with O_NOFOLLOW.
 */
import { constants } from "node:fs";
import { lstat, mkdir, open, readdir, realpath, rm } from "node:fs/promises";
import { dirname, join, posix, relative, sep } from "node:path";
import {
  type FileEncoding,
  type FileEntry,
  SandboxError,
  WORKSPACE_DIR,
  workspaceRelative,
} from "../../ports/sandbox.ts";

function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

function translate(error: unknown, path: string): never {
  if (error instanceof SandboxError) throw error;
  if (isErrno(error, "ENOENT")) throw new SandboxError("not_found", `no such file: ${path}`);
  if (isErrno(error, "ELOOP")) throw new SandboxError("invalid", `refusing to follow a symlink: ${path}`);
  if (isErrno(error, "EISDIR")) throw new SandboxError("invalid", `is a directory: ${path}`);
  if (isErrno(error, "ENOTDIR")) throw new SandboxError("invalid", `not a directory: ${path}`);
  if (isErrno(error, "ENOSPC") || isErrno(error, "EDQUOT"))
    throw new SandboxError("quota_exceeded", "disk full");
  throw new SandboxError("internal", `${path}: ${error instanceof Error ? error.message : String(error)}`);
}

export class WorkspaceFiles {
  constructor(private readonly root: string) {}

  /** Host path for a Sandbox path, after checking that its existing ancestors stay inside. */
  private async resolve(path: string): Promise<string> {
    const rel = workspaceRelative(path);
    const target = rel ? join(this.root, rel) : this.root;
    const rootReal = await realpath(this.root);
    let probe = dirname(target);
    while (probe.length >= this.root.length) {
      try {
        const real = await realpath(probe);
        if (real !== rootReal && !real.startsWith(rootReal + sep)) {
          throw new SandboxError("invalid", `path escapes ${WORKSPACE_DIR} through a symlink: ${path}`);
        }
        break;
      } catch (error) {
        if (!isErrno(error, "ENOENT")) throw error;
        probe = dirname(probe);
      }
    }
    return target;
  }

  async write(path: string, content: string, encoding: FileEncoding = "utf8"): Promise<void> {
    try {
      const target = await this.resolve(path);
      await mkdir(dirname(target), { recursive: true });
      await this.resolve(path); // the directories just created are inside; re-check against races
      const handle = await open(
        target,
        constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
        0o644,
      );
      try {
        await handle.writeFile(Buffer.from(content, encoding === "base64" ? "base64" : "utf8"));
      } finally {
        await handle.close();
      }
    } catch (error) {
      translate(error, path);
    }
  }

  async read(path: string, encoding: FileEncoding = "utf8"): Promise<string> {
    try {
      const handle = await open(await this.resolve(path), constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        return (await handle.readFile()).toString(encoding === "base64" ? "base64" : "utf8");
      } finally {
        await handle.close();
      }
    } catch (error) {
      translate(error, path);
    }
  }

  async list(path: string, recursive = false): Promise<FileEntry[]> {
    try {
      const start = await this.resolve(path);
      const entries: FileEntry[] = [];
      const walk = async (dir: string) => {
        for (const dirent of await readdir(dir, { withFileTypes: true })) {
          const full = join(dir, dirent.name);
          const stat = await lstat(full);
          const type = dirent.isFile()
            ? "file"
            : dirent.isDirectory()
              ? "directory"
              : dirent.isSymbolicLink()
                ? "symlink"
                : "other";
          entries.push({
            path: posix.join(WORKSPACE_DIR, relative(this.root, full).split(sep).join("/")),
            type,
            size: stat.size,
            modifiedAt: stat.mtime.toISOString(),
          });
          if (recursive && type === "directory") await walk(full);
        }
      };
      await walk(start);
      return entries.sort((a, b) => a.path.localeCompare(b.path));
    } catch (error) {
      translate(error, path);
    }
  }

  async delete(path: string, recursive = false): Promise<void> {
    try {
      if (workspaceRelative(path) === "")
        throw new SandboxError("invalid", "refusing to delete /workspace itself");
      const target = await this.resolve(path);
      const stat = await lstat(target);
      if (stat.isDirectory() && !recursive) throw new SandboxError("invalid", `is a directory: ${path}`);
      await rm(target, { recursive, force: false });
    } catch (error) {
      translate(error, path);
    }
  }
}
