/**
 * Issue 15: file operations never leave the workspace, symlinks included.
 * Root cause of the hole: the host checked a path's parents with realpath but
 * then `readdir` followed the last component, so `files/list` of a link made
 * inside the Sandbox (`ln -s / root`) listed the host's directories; and every
 * check was by path, open to a link swapped in between check and use.
 *
 * The links are made the way an attacker would: by commands inside the real
 * Sandbox (bubblewrap). Their absolute targets name host paths, which the host
 * — not the Sandbox — would resolve. Every route is tried; each attempt is
 * refused and nothing outside changes. Both snapshot modes.
 */
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalSandboxProvider } from "../../../src/adapters/sandbox/local.ts";
import { type SandboxHost, startSandboxHost } from "../../../src/local/sandbox-host/index.ts";
import { isSandboxError, type Sandbox } from "../../../src/ports/sandbox.ts";
import { removeStateDir, tempStateDir } from "./host-process.ts";

/** A directory of the host with a file in it: what the links below aim at. */
const outside = mkdtempSync(join(tmpdir(), "nightshift-outside-"));
const OUTSIDE_FILE = "host-secret.txt";
writeFileSync(join(outside, OUTSIDE_FILE), "the host's own");

afterAll(() => rmSync(outside, { recursive: true, force: true }));

async function code(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  return isSandboxError(error) ? error.code : `resolved or not a SandboxError: ${String(error)}`;
}

/** The host's view: the outside directory has exactly its one file, unchanged. */
function expectOutsideUnchanged(): void {
  expect(readdirSync(outside)).toEqual([OUTSIDE_FILE]);
  expect(readFileSync(join(outside, OUTSIDE_FILE), "utf8")).toBe("the host's own");
}

for (const mode of ["overlay", "copy"] as const) {
  describe(`file routes stay in the workspace (${mode} snapshots)`, () => {
    let host: SandboxHost;
    let stateDir: string;
    let box: Sandbox;
    let counter = 0;
    const fresh = () =>
      createLocalSandboxProvider({ url: host.url, secret: host.secret }).get(`conf-${mode}-${++counter}`);

    /** Links that lead out, made from inside the Sandbox, by the name each is planted under. */
    const ESCAPES = {
      root: "/",
      "proc-root": "/proc/self/root",
      up: "..",
      deep: "../../../../..",
      hostdir: outside, // absent inside the Sandbox; on the host, the real directory
      "nested/escape": "../root", // a link to a link that leads out
      "abs-parent": "/workspace/..",
    };

    beforeAll(async () => {
      stateDir = tempStateDir(`confine-${mode}`);
      host = await startSandboxHost({ port: 0, stateDir, snapshotMode: mode, log: () => {} });
      box = fresh();
      const made = await box.exec(
        [
          "mkdir -p nested real && echo inside > real/f.txt",
          ...Object.entries(ESCAPES).map(([name, target]) => `ln -s '${target}' ${name}`),
          "ln -s real in-rel && ln -s /workspace/real in-abs && ln -s ../real nested/in-up",
          "mkfifo fifo",
        ].join(" && "),
      );
      expect(made.stderr).toBe("");
      expect(made.exitCode).toBe(0);
    }, 60_000);

    afterAll(async () => {
      await host?.close();
      if (stateDir) removeStateDir(stateDir);
    });

    it("refuses list, read, write and delete through every link that leads out", async () => {
      for (const link of Object.keys(ESCAPES)) {
        expect(await code(box.listFiles(link)), `list ${link}`).toBe("invalid");
        expect(await code(box.listFiles(`${link}/etc`)), `list ${link}/etc`).toBe("invalid");
        expect(await code(box.listFiles(`${link}${outside}`)), `list ${link}${outside}`).toBe("invalid");
        expect(await code(box.readFile(`${link}/etc/hostname`)), `read ${link}`).toBe("invalid");
        expect(await code(box.readFile(`${link}${outside}/${OUTSIDE_FILE}`)), `read ${link}`).toBe("invalid");
        expect(await code(box.writeFile(`${link}${outside}/planted.txt`, "x")), `write ${link}`).toBe(
          "invalid",
        );
        expect(await code(box.writeFile(`${link}/planted.txt`, "x")), `write ${link}`).toBe("invalid");
        expect(
          await code(box.deleteFile(`${link}${outside}/${OUTSIDE_FILE}`)),
          `delete ${link}${outside}/…`,
        ).toBe("invalid");
        expect(await code(box.deleteFile(`${link}${outside}`, { recursive: true })), `delete ${link}`).toBe(
          "invalid",
        );
      }
      expect(await code(box.readFile("hostdir/host-secret.txt"))).toBe("invalid");
      expectOutsideUnchanged();
    });

    it("lists the links as links and never what they point at, recursively too", async () => {
      const all = await box.listFiles("/workspace", { recursive: true });
      const byPath = new Map(all.map((e) => [e.path, e.type]));
      for (const link of Object.keys(ESCAPES)) expect(byPath.get(`/workspace/${link}`), link).toBe("symlink");
      expect(all.filter((e) => !e.path.startsWith("/workspace/")).length).toBe(0);
      // Nothing under a link is listed: only the real directories have children.
      const children = all.filter((e) => /^\/workspace\/[^/]+\//.test(e.path)).map((e) => e.path);
      expect(children.sort()).toEqual([
        "/workspace/nested/escape",
        "/workspace/nested/in-up",
        "/workspace/real/f.txt",
      ]);
    });

    it("still follows links that stay inside, for list, read and write", async () => {
      expect(await box.readFile("in-rel/f.txt")).toBe("inside\n");
      expect(await box.readFile("in-abs/f.txt")).toBe("inside\n");
      expect(await box.readFile("nested/in-up/f.txt")).toBe("inside\n");
      expect((await box.listFiles("in-abs")).map((e) => e.path)).toEqual(["/workspace/real/f.txt"]);
      await box.writeFile("in-rel/g.txt", "through a link");
      expect((await box.exec("cat real/g.txt")).stdout).toBe("through a link");
      // The last component itself is not followed by read or write (as before).
      await box.exec("ln -s real/f.txt file-link");
      expect(await code(box.readFile("file-link"))).toBe("invalid");
      expect(await code(box.writeFile("file-link", "x"))).toBe("invalid");
      expect((await box.exec("cat real/f.txt")).stdout).toBe("inside\n");
    });

    it("deletes a link itself, never its target, also inside a directory deleted recursively", async () => {
      const other = fresh();
      await other.exec(
        `mkdir -p doomed/sub && ln -s '${outside}' doomed/sub/out && ln -s / doomed/root && ln -s '${outside}' alone`,
      );
      await other.deleteFile("doomed", { recursive: true });
      await other.deleteFile("alone");
      expect((await other.exec("ls -A")).stdout).toBe("");
      expectOutsideUnchanged();
    });

    it("neither hangs on nor writes into a FIFO planted in the workspace", async () => {
      expect(await code(box.readFile("fifo"))).toBe("invalid");
      expect(await code(box.writeFile("fifo", "x"))).toBe("invalid");
    });

    it("keeps links as links through snapshot and restore, copying nothing from outside", async () => {
      const snap = fresh();
      await snap.exec(`ln -s / root && ln -s '${outside}' hostdir && echo kept > kept.txt`);
      const taken = await snap.snapshot();
      await snap.exec("rm root hostdir kept.txt");
      await snap.restore(taken.id);
      expect((await snap.exec("readlink root; readlink hostdir; cat kept.txt")).stdout).toBe(
        `/\n${outside}\nkept\n`,
      );
      // The stored layer holds the links themselves, not the trees they name.
      const layers = readdirSync(join(stateDir, "l")).filter((l) => l !== "empty");
      for (const layer of layers) {
        const dir = join(stateDir, "l", layer);
        for (const name of ["root", "hostdir"]) {
          if (lstatExists(join(dir, name)))
            expect(lstatSync(join(dir, name)).isSymbolicLink(), `${layer}/${name}`).toBe(true);
        }
        expect(existsSync(join(dir, OUTSIDE_FILE))).toBe(false);
      }
      expectOutsideUnchanged();
    });

    it("never reaches outside while the Sandbox swaps a directory for a link under it", async () => {
      const racer = fresh();
      await racer.exec("mkdir d && echo mine > d/f.txt");
      // d flips between a real directory and a link to the host's directory, as fast as it can.
      await racer.startProcess(`while true; do mv d d.dir; ln -s '${outside}' d; rm d; mv d.dir d; done`, {
        processId: "swapper",
      });
      const seen = new Set<string>();
      for (let i = 0; i < 150; i++) {
        const read = await racer
          .readFile(`d/${OUTSIDE_FILE}`)
          .catch((e: unknown) => (isSandboxError(e) ? e.code : "?"));
        seen.add(read);
        const own = await racer.readFile("d/f.txt").catch((e: unknown) => (isSandboxError(e) ? e.code : "?"));
        seen.add(own);
        await racer.writeFile(`d/planted-${i}.txt`, "x").catch(() => undefined);
        await racer.listFiles("d").then(
          (files) => {
            for (const f of files) seen.add(f.path.split("/").pop() ?? "");
          },
          () => undefined,
        );
      }
      await racer.killProcess("swapper");
      expect([...seen]).not.toContain("the host's own");
      expect([...seen]).not.toContain(OUTSIDE_FILE);
      expectOutsideUnchanged();
    });
  });
}

function lstatExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
