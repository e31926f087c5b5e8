/**
 * Pure: the bubblewrap command line for one command in one Sandbox. Kept apart
 * from spawning so the confinement rules can be read and unit-tested in one
 * place. What the command sees: the host's /usr, /lib, /lib64, /bin and a few
 * /etc files read-only; Node 22 at /opt/node/bin/node; its own /workspace,
 * /home/sandbox and /tmp (host directories of this Sandbox only); the host
 * directories the operator chose to share read-only (the project's job sources,
 * the tools a deploy needs); new PID, IPC, UTS, user and cgroup namespaces; no
 * capabilities; only the variables given.
 */

/**
 * `isolated`: the Sandbox's own network namespace (netns.ts), holding only its loopback and the
 * gateways the host opens (the egress proxy). `none`: the same namespace without gateways.
 * `host`: the host's network namespace, shared (every host port reachable: trusted code only).
 */
export type NetworkPolicy = "isolated" | "none" | "host";

export interface SandboxMounts {
  /** Host directory shown as /workspace (the overlay mount, or the plain copy). */
  workspace: string;
  home: string;
  tmp: string;
}

/** A host directory shown read-only inside every Sandbox (e.g. the project's `workflows/`). */
export interface ReadOnlyBind {
  source: string;
  /** Absolute path inside the Sandbox. */
  target: string;
}

export interface CommandSpec {
  argv: readonly string[];
  /** Path inside the Sandbox. */
  cwd: string;
  env: Readonly<Record<string, string>>;
}

export const SANDBOX_HOME = "/home/sandbox";
export const SANDBOX_PATH = "/opt/node/bin:/usr/local/bin:/usr/bin:/bin";

/** Where nothing may be bound over: the Sandbox's own directories and the system tree. */
const RESERVED_TARGETS = [
  "/workspace",
  SANDBOX_HOME,
  "/tmp",
  "/proc",
  "/dev",
  "/usr",
  "/lib",
  "/lib64",
  "/bin",
  "/sbin",
  "/etc",
  "/opt/node",
];

/** Why a read-only bind may not go to `target`, or null when it may (pure). */
export function bindTargetProblem(target: string): string | null {
  if (!target.startsWith("/")) return `bind target "${target}" must be an absolute path`;
  const t = target.replace(/\/+$/, "");
  if (t === "" || t.split("/").includes("..")) return `bind target "${target}" is not a plain absolute path`;
  for (const reserved of RESERVED_TARGETS) {
    if (t === reserved || t.startsWith(`${reserved}/`) || reserved.startsWith(`${t}/`))
      return `bind target "${target}" overlaps ${reserved}, which the Sandbox itself provides`;
  }
  return null;
}

/** Host /etc files a toolchain needs (DNS, TLS roots, users); the rest of /etc stays invisible. */
const ETC_FILES = [
  "/etc/passwd",
  "/etc/group",
  "/etc/hosts",
  "/etc/resolv.conf",
  "/etc/nsswitch.conf",
  "/etc/ssl",
  "/etc/ca-certificates",
  "/etc/alternatives",
  "/etc/localtime",
];

/** The environment a command starts with: a fixed base plus the caller's, never the host's. */
export function sandboxEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    PATH: SANDBOX_PATH,
    HOME: SANDBOX_HOME,
    TMPDIR: "/tmp",
    LANG: "C.UTF-8",
    XDG_CONFIG_HOME: `${SANDBOX_HOME}/.config`,
    ...extra,
  };
}

/** The argv for `bwrap` (without the program name itself). */
export function buildBwrapArgs(opts: {
  nodeBinary: string;
  mounts: SandboxMounts;
  command: CommandSpec;
  readOnlyBinds?: readonly ReadOnlyBind[];
}): string[] {
  const { mounts, command } = opts;
  // The network namespace the command is started in is kept: the Sandbox's own (entered with
  // nsenter before bwrap, see netns.ts) unless the policy is "host".
  const args = ["--unshare-all", "--share-net"];
  args.push("--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "sandbox");
  for (const dir of ["/usr", "/lib", "/lib64", "/bin", "/sbin"]) args.push("--ro-bind-try", dir, dir);
  for (const file of ETC_FILES) args.push("--ro-bind-try", file, file);
  args.push("--ro-bind", opts.nodeBinary, "/opt/node/bin/node");
  for (const bind of opts.readOnlyBinds ?? []) args.push("--ro-bind", bind.source, bind.target);
  args.push("--bind", mounts.workspace, "/workspace");
  args.push("--bind", mounts.home, SANDBOX_HOME);
  args.push("--bind", mounts.tmp, "/tmp");
  args.push("--proc", "/proc", "--dev", "/dev");
  args.push("--chdir", command.cwd);
  args.push("--clearenv");
  for (const [key, value] of Object.entries(command.env)) args.push("--setenv", key, value);
  args.push("--", ...command.argv);
  return args;
}

/** A string command runs under `sh -c`; an argv runs as is. */
export function toArgv(command: string | readonly string[]): string[] {
  return typeof command === "string" ? ["/bin/sh", "-c", command] : [...command];
}

/** How a command is displayed in process listings. */
export function displayCommand(command: string | readonly string[]): string {
  return typeof command === "string" ? command : command.join(" ");
}
