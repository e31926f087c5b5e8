/** The confinement rules, read off the bubblewrap command line (pure; no bwrap run here). */
import { describe, expect, it } from "vitest";
import {
  bindTargetProblem,
  buildBwrapArgs,
  sandboxEnv,
  toArgv,
} from "../../../src/local/sandbox-host/bwrap-args.ts";
import { enterPrefix } from "../../../src/local/sandbox-host/netns.ts";

const mounts = { workspace: "/state/sb/ws", home: "/state/sb/home", tmp: "/state/sb/tmp" };
const build = () =>
  buildBwrapArgs({
    nodeBinary: "/real/node",
    mounts,
    command: { argv: ["npm", "ci"], cwd: "/workspace/app", env: sandboxEnv({ CI: "1" }) },
  });
const pairs = (args: string[], flag: string) =>
  args.flatMap((a, i) => (a === flag ? [`${args[i + 1]} ${args[i + 2]}`] : []));

describe("bubblewrap command line", () => {
  it("unshares everything but the network namespace it is started in (the Sandbox's own)", () => {
    expect(build()).toEqual(expect.arrayContaining(["--unshare-all", "--share-net", "--die-with-parent"]));
    expect(enterPrefix("/usr/bin/nsenter", "/state/sb/netns")).toEqual([
      "/usr/bin/nsenter",
      "--net=/state/sb/netns",
      "--",
    ]);
  });

  it("binds only the Sandbox's own directories writable, the host toolchain read-only", () => {
    const args = build();
    expect(pairs(args, "--bind")).toEqual([
      "/state/sb/ws /workspace",
      "/state/sb/home /home/sandbox",
      "/state/sb/tmp /tmp",
    ]);
    expect(pairs(args, "--ro-bind")).toEqual(["/real/node /opt/node/bin/node"]);
    const ro = pairs(args, "--ro-bind-try").map((p) => p.split(" ")[0]);
    expect(ro).toEqual(expect.arrayContaining(["/usr", "/lib", "/etc/resolv.conf", "/etc/ssl"]));
    expect(ro).not.toContain("/etc");
    expect(ro.some((p) => p!.startsWith("/root") || p!.startsWith("/work") || p === "/tmp")).toBe(false);
  });

  it("clears the environment and sets only the base plus the caller's variables", () => {
    const args = build();
    expect(args).toContain("--clearenv");
    expect(pairs(args, "--setenv").map((p) => p.split(" ")[0])).toEqual([
      "PATH",
      "HOME",
      "TMPDIR",
      "LANG",
      "XDG_CONFIG_HOME",
      "CI",
    ]);
    expect(args.slice(args.indexOf("--"))).toEqual(["--", "npm", "ci"]);
    expect(pairs(args, "--chdir")[0]).toMatch(/^\/workspace\/app /);
  });

  it("binds the operator's shared directories read-only, never over the Sandbox's own", () => {
    const args = buildBwrapArgs({
      nodeBinary: "/real/node",
      mounts,
      command: { argv: ["ls"], cwd: "/workspace", env: sandboxEnv() },
      readOnlyBinds: [{ source: "/repo/workflows", target: "/sources/workflows" }],
    });
    expect(pairs(args, "--ro-bind")).toEqual([
      "/real/node /opt/node/bin/node",
      "/repo/workflows /sources/workflows",
    ]);
    expect(bindTargetProblem("/sources/workflows")).toBeNull();
    expect(bindTargetProblem("/opt/nightshift/node_modules")).toBeNull();
    for (const bad of [
      "/workspace/x",
      "/home/sandbox",
      "/tmp/x",
      "/usr/lib",
      "/opt",
      "relative",
      "/a/../workspace",
    ])
      expect(bindTargetProblem(bad)).not.toBeNull();
  });

  it("runs a string under sh -c and an argv as is", () => {
    expect(toArgv("echo $HOME")).toEqual(["/bin/sh", "-c", "echo $HOME"]);
    expect(toArgv(["echo", "$HOME"])).toEqual(["echo", "$HOME"]);
  });
});
