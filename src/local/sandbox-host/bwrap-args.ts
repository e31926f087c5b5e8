/**
 * Pure: the bubblewrap command line for one command in one Sandbox. Kept apart
 * from spawning so the confinement rules can be read and unit-tested in one
 * place. What the command sees: the host's /usr, /lib, /lib64, /bin and a few
 * /etc files read-only; Node 22 at /opt/node/bin/node; its own /workspace,
 * /home/sandbox and /tmp (host directories of this Sandbox only); new PID, IPC,
 * UTS, user and cgroup namespaces; no capabilities; only the variables given.
 */

export type NetworkPolicy = "loopback" | "none" | "full";

export interface SandboxMounts {
  /** Host directory shown as /workspace (the overlay mount, or the plain copy). */
  workspace: string;
  home: string;
  tmp: string;
}

export interface CommandSpec {
  argv: readonly string[];
  /** Path inside the Sandbox. */
  cwd: string;
  env: Readonly<Record<string, string>>;
}

export const SANDBOX_HOME = "/home/sandbox";
export const SANDBOX_PATH = "/opt/node/bin:/usr/local/bin:/usr/bin:/bin";

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
  network: NetworkPolicy;
  command: CommandSpec;
}): string[] {
  const { mounts, command } = opts;
  const args = ["--unshare-all"];
  // "none" keeps bwrap's fresh network namespace (its own loopback, nothing else).
  // "loopback" and "full" share the host's: see docs/sandbox.md for what that allows.
  if (opts.network !== "none") args.push("--share-net");
  args.push("--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "sandbox");
  for (const dir of ["/usr", "/lib", "/lib64", "/bin", "/sbin"]) args.push("--ro-bind-try", dir, dir);
  for (const file of ETC_FILES) args.push("--ro-bind-try", file, file);
  args.push("--ro-bind", opts.nodeBinary, "/opt/node/bin/node");
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
