/**
 * Every `nightshift` verb: what help, shell completion and the argument parser need, and how
 * to load the command that runs it. This table imports nothing: a verb's module (and what it
 * pulls in — wrangler, Miniflare, the local stack) loads only when that verb runs, so `help`
 * and `<verb> --help` answer at once. Options declared here are parsed and checked
 * (unknown ones, missing values, choices) before the module loads; `kind` adds the shared
 * `--json` (and `--url`, `--token` for API verbs, see ../program.ts).
 *
 * Adding a verb, or porting one written in the older style
 * (`export const x: Command = { summary, run(args: string[]) }` with `parseArgs` inside):
 *   1. Add an entry below: a summary, its `args` and `options` (each with a description; the
 *      `parseArgs` options become `flags` such as `--reason <text>`), `kind`, an example or
 *      two, and `load: () => import("./x.ts").then((m) => m.x)`.
 *   2. In x.ts drop `summary` and the `parseArgs` call: `run({ values, positionals })` gets
 *      what `parseArgs` gave, keyed by long flag name (`values["shown-hash"]`). An API verb's
 *      `apiCommand(args, options, body)` becomes `apiCommand(input, body)`; `body` is unchanged.
 * test/cli/cli.test.ts walks this table: every verb's --help, options and docs are checked.
 */
import type { VerbSpec } from "../command.ts";

const reason = (what: string) => ({ flags: "--reason <text>", description: what });

export const verbs: Record<string, VerbSpec> = {
  start: {
    summary: "start the local stack: orchestrator (wrangler dev), Sandbox host, egress proxy, emulator",
    description:
      "Starts the whole local stack with its state in .nightshift/ and, the first time on that state " +
      "(or with --example), one run of the example job, followed until it waits at a gate. One Ctrl-C " +
      "stops everything. nightshift reset deletes the state.",
    options: [
      {
        flags: "--port <port>",
        description: "the orchestrator's port; the others take the next three (default: $PORT, else 8787)",
      },
      {
        flags: "--state-dir <dir>",
        description: "where the stack keeps its state (default: .nightshift in the project)",
      },
      {
        flags: "--example",
        description: "start a run of the example job even though one was started on this state before",
      },
      { flags: "--no-example", description: "do not start a run of the example job" },
      {
        flags: "--verbose",
        description: "print every line wrangler dev prints, not only errors, warnings and nightshift's own",
      },
      {
        flags: "--unsafe-no-bwrap",
        description: "run Sandboxes without bubblewrap (no isolation; for machines without it)",
      },
    ],
    examples: ["nightshift start", "nightshift start --no-example --port 9000"],
    load: () => import("./start.ts").then((m) => m.start),
  },
  reset: {
    summary: "delete the local stack's state (runs, gates, accounts, Sandboxes); keeps the API token",
    description:
      "Deletes what nightshift start keeps in its state directory, so the next start begins afresh " +
      "(and starts the example run again). Asks first unless --yes; refuses (exit 5) while a stack " +
      "runs on that state directory.",
    options: [
      {
        flags: "--state-dir <dir>",
        description: "the state directory to reset (default: .nightshift in the project)",
      },
      { flags: "-y, --yes", description: "do not ask for confirmation" },
    ],
    kind: "json",
    examples: ["nightshift reset", "nightshift reset --yes --state-dir /var/tmp/ns"],
    load: () => import("./reset.ts").then((m) => m.reset),
  },
  jobs: {
    summary: "list jobs with their triggers and paused state, and job files that do not load",
    kind: "api",
    examples: ["nightshift jobs", "nightshift jobs --json"],
    load: () => import("./jobs.ts").then((m) => m.jobs),
  },
  run: {
    summary: "start a run of a job and print its id",
    args: [{ name: "<job>", description: "the job's name (nightshift jobs lists them)" }],
    options: [
      { flags: "--input <file>", description: "the run's input: a JSON file, or - for stdin" },
      { flags: "--id <id>", description: "the run's id (default: made from the job's name and the time)" },
    ],
    kind: "api",
    examples: [
      "nightshift run hello-kv",
      'echo \'{"branch":"main"}\' | nightshift run hello-kv --input - --id hello-1',
    ],
    load: () => import("./run.ts").then((m) => m.run),
  },
  runs: {
    summary: "list runs, newest first",
    options: [
      { flags: "--job <job>", description: "only runs of this job" },
      {
        flags: "--state <state>",
        description: "only runs in this state (e.g. awaitingClaim, succeeded, failed)",
      },
      {
        flags: "--status <status>",
        description: "only runs with this status: starting, running, waiting or final",
      },
      { flags: "--limit <n>", description: "at most this many runs (1-500, default 50)" },
    ],
    kind: "api",
    examples: ["nightshift runs", "nightshift runs --job hello-kv --status waiting --json"],
    load: () => import("./runs.ts").then((m) => m.runs),
  },
  logs: {
    summary: "show a run's timeline (its audit events)",
    description:
      "Prints the run's events (a failed verification with its failing checks, each line with its " +
      "step). With --follow it polls until the run is final and exits 0 when it succeeded, 1 when it " +
      "ended any other way. --step prints what that step kept instead: wrangler's output, the setup " +
      "log, the agent's transcript and diff, the verify report. --json prints one event per line (NDJSON).",
    args: [{ name: "<run>", description: "the run's id" }],
    options: [
      { flags: "-f, --follow", description: "keep polling until the run is final" },
      { flags: "--step <step>", description: "print one step's output (e.g. deploy#1, verify#2, prepare#1)" },
    ],
    kind: "api",
    examples: [
      "nightshift logs hello-1",
      "nightshift logs hello-1 --follow",
      "nightshift logs hello-1 --step deploy#1",
    ],
    load: () => import("./logs.ts").then((m) => m.logs),
  },
  diff: {
    summary: "print what the agent changed in a run: its whole change, or one round's",
    description:
      "Prints the run's net unified diff (against the workspace its first round found), or with " +
      "--round <n> what round n changed. --stat lists the files with lines added and removed. " +
      "Coloured on a terminal only. Exit 4 when the run or the diff asked for is not there.",
    args: [{ name: "<run>", description: "the run's id" }],
    options: [
      { flags: "--round <n>", description: "one round's change (1 is the first round), not the whole" },
      { flags: "--stat", description: "only the files changed, with lines added and removed" },
    ],
    kind: "api",
    examples: [
      "nightshift diff hello-1",
      "nightshift diff hello-1 --round 2 --stat",
      "nightshift diff hello-1 --json",
    ],
    load: () => import("./diff.ts").then((m) => m.diff),
  },
  gates: {
    summary: "list gates waiting for a decision, oldest first",
    options: [{ flags: "--all", description: "every gate, decided ones too" }],
    kind: "api",
    examples: ["nightshift gates", "nightshift gates --all --json"],
    load: () => import("./gates.ts").then((m) => m.gates),
  },
  approve: {
    summary: "approve a gate",
    description: "Exit 3 when you may not decide it, 5 when it is not pending or changed since --shown-hash.",
    args: [
      { name: "<run>", description: "the run's id" },
      { name: "<gate>", description: "the gate: its kind (claim) or kind and round (claim-2)" },
    ],
    options: [
      reason("why (kept in the audit log)"),
      {
        flags: "--shown-hash <hash>",
        description: "refuse if the gate changed since the view with this hash",
      },
    ],
    kind: "api",
    examples: ["nightshift approve hello-1 claim --reason 'looks right'"],
    load: () => import("./approve.ts").then((m) => m.approve),
  },
  reject: {
    summary: "reject a gate (a reason is required)",
    description: "Exit 3 when you may not decide it, 5 when it is not pending or changed since --shown-hash.",
    args: [
      { name: "<run>", description: "the run's id" },
      { name: "<gate>", description: "the gate: its kind (claim) or kind and round (claim-2)" },
    ],
    options: [
      reason("why (required; kept in the audit log)"),
      {
        flags: "--shown-hash <hash>",
        description: "refuse if the gate changed since the view with this hash",
      },
    ],
    kind: "api",
    examples: ["nightshift reject hello-1 claim --reason 'wrong worker'"],
    load: () => import("./reject.ts").then((m) => m.reject),
  },
  cancel: {
    summary: "ask a run to stop (exit 5 when it already ended)",
    args: [{ name: "<run>", description: "the run's id" }],
    options: [reason("why (kept in the audit log)")],
    kind: "api",
    examples: ["nightshift cancel hello-1 --reason 'not tonight'"],
    load: () => import("./cancel.ts").then((m) => m.cancel),
  },
  resume: {
    summary: "resume a run that failed on infrastructure from its last good step",
    description:
      "Exit 5, saying why, for a run that did not fail on infrastructure (or is not failed any more).",
    args: [{ name: "<run>", description: "the failed run's id" }],
    kind: "api",
    examples: ["nightshift resume hello-1"],
    load: () => import("./resume.ts").then((m) => m.resume),
  },
  rerun: {
    summary: "run a finished run again from the start: same job, same input",
    description:
      "For any run that has ended (failed, rejected, cancelled, succeeded); exit 5, saying why, for one still going. To go on from the last good step of a run that failed on infrastructure, use resume.",
    args: [{ name: "<run>", description: "the finished run's id" }],
    options: [{ flags: "--id <id>", description: "the new run's id (a second rerun with it is refused)" }],
    kind: "api",
    examples: ["nightshift rerun hello-1"],
    load: () => import("./rerun.ts").then((m) => m.rerun),
  },
  rollback: {
    summary: "undo a run's DNS change, behind its own rollback gate",
    description: "Starts the run that undoes <run>'s DNS change; approve its rollback gate like any gate.",
    args: [{ name: "<run>", description: "the run whose change to undo" }],
    options: [{ flags: "--id <id>", description: "the rollback run's id" }],
    kind: "api",
    examples: ["nightshift rollback hello-1"],
    load: () => import("./rollback.ts").then((m) => m.rollback),
  },
  pause: {
    summary: "pause a job's schedules and webhooks (runs started by hand still start)",
    args: [{ name: "<job>", description: "the job's name" }],
    options: [reason("why (shown with the job)")],
    kind: "api",
    examples: ["nightshift pause nightly --reason 'flaky upstream'"],
    load: () => import("./pause.ts").then((m) => m.pause),
  },
  unpause: {
    summary: "let a paused job's schedules and webhooks start runs again",
    args: [{ name: "<job>", description: "the job's name" }],
    options: [reason("why (kept in the job's audit log)")],
    kind: "api",
    examples: ["nightshift unpause nightly"],
    load: () => import("./pause.ts").then((m) => m.unpause),
  },
  fire: {
    summary: "fire a job's schedule now, as the scheduler would",
    description:
      "Starts, queues or skips a run as the job's concurrency and paused state say. Exit 1 when " +
      "it was skipped (paused, or a run is active), 5 when the job has no schedule.",
    args: [{ name: "<job>", description: "the job's name" }],
    kind: "api",
    examples: ["nightshift fire nightly", "nightshift fire nightly --json"],
    load: () => import("./fire.ts").then((m) => m.fire),
  },
  token: {
    summary: "personal API tokens: create one (its secret is printed once), list or revoke them",
    args: [
      { name: "<action>", description: "what to do", choices: ["create", "list", "revoke"] },
      { name: "[id]", description: "the token to revoke" },
    ],
    options: [
      {
        flags: "--roles <roles>",
        description: "create: comma-separated roles: viewer, approver, admin, legal",
      },
      { flags: "--identity <who>", description: "create: whom the token acts as (default: you)" },
      { flags: "--label <label>", description: "create: a note to tell tokens apart" },
      { flags: "--expires-days <n>", description: "create: days until it expires (default: never)" },
    ],
    kind: "api",
    examples: [
      "nightshift token create --identity ann@example.com --roles approver,viewer",
      "nightshift token list",
      "nightshift token revoke tok_123",
    ],
    load: () => import("./token.ts").then((m) => m.token),
  },
  record: {
    summary: "save a run's real-agent rounds as a replay session",
    description:
      "Collects the rounds a real agent recorded in <run> into a replay session (printed, or written " +
      'to --out). Set agent: { adapter: "replay", options: { session } } to replay it offline.',
    args: [{ name: "<run>", description: "a run made with a real agent" }],
    options: [{ flags: "--out <file>", description: "write the session to this file (default: print it)" }],
    kind: "api",
    examples: ["nightshift record hello-1 --out workflows/hello-kv/session.json"],
    load: () => import("./record.ts").then((m) => m.record),
  },
  validate: {
    summary: "check every job file (the file and field of each problem); exit 1 on any",
    options: [
      { flags: "--root <dir>", description: "the project (default: this one)" },
      { flags: "--dir <dir>", description: "the job files' folder, in the project", default: "workflows" },
      {
        flags: "--wrangler <file>",
        description: "the wrangler config whose crons to check, or none",
        default: "wrangler.jsonc",
      },
    ],
    kind: "json",
    examples: ["nightshift validate", "nightshift validate --json"],
    load: () => import("./validate.ts").then((m) => m.validate),
  },
  generate: {
    summary: "regenerate workflows/index.ts from the job files",
    kind: "json",
    examples: ["nightshift generate"],
    load: () => import("./generate.ts").then((m) => m.generate),
  },
  emulator: {
    summary: "run the local Cloudflare API emulator (wrangler deploy --temporary works against it)",
    options: [
      { flags: "--port <port>", description: "port to listen on", default: "8788" },
      { flags: "--host <host>", description: "address to listen on", default: "127.0.0.1" },
      {
        flags: "--state-dir <dir>",
        description: "where accounts and uploads are kept",
        default: ".nightshift/emulator",
      },
      {
        flags: "--account-lifetime <duration>",
        description: "how long a temporary account lives (90s, 60m, 2h)",
        default: "60m",
      },
      { flags: "--zone <name>", description: "a DNS zone to create", repeatable: true },
      {
        flags: "--admin-secret-file <file>",
        description: "the admin API's bearer secret, made when missing (default: <state-dir>/admin-secret)",
      },
    ],
    examples: ["nightshift emulator --zone example.com"],
    load: () => import("./emulator.ts").then((m) => m.emulator),
  },
  "sandbox-host": {
    summary: "run the local Sandbox host (bubblewrap + overlay snapshots)",
    options: [
      { flags: "--port <port>", description: "port to listen on", default: "8789" },
      { flags: "--host <host>", description: "address to listen on", default: "127.0.0.1" },
      {
        flags: "--state-dir <dir>",
        description: "where workspaces and snapshots are kept",
        default: ".nightshift/sandboxes",
      },
      {
        flags: "--network <mode>",
        description: "each Sandbox's network",
        choices: ["isolated", "none", "host"],
        default: "isolated",
      },
      { flags: "--gateway <port>", description: "a host port Sandboxes may reach", repeatable: true },
      {
        flags: "--snapshot-mode <mode>",
        description: "how snapshots are made",
        choices: ["auto", "overlay", "copy"],
        default: "auto",
      },
      { flags: "--keep-snapshots <n>", description: "snapshots kept per Sandbox" },
      {
        flags: "--secret-file <file>",
        description: "the clients' bearer secret, made when missing (default: <state-dir>/host-secret)",
      },
      { flags: "--unsafe-no-bwrap", description: "run commands without bubblewrap (no isolation)" },
    ],
    examples: ["nightshift sandbox-host --network isolated"],
    load: () => import("./sandbox-host.ts").then((m) => m.sandboxHost),
  },
  completion: {
    summary: "print a shell completion script for nightshift's verbs and options",
    description:
      'bash: eval "$(nightshift completion bash)" in ~/.bashrc; zsh: eval "$(nightshift completion zsh)" ' +
      "in ~/.zshrc (after compinit). --json prints every verb with its arguments and options.",
    args: [{ name: "[shell]", description: "the shell to complete in", choices: ["bash", "zsh"] }],
    kind: "json",
    examples: ["nightshift completion bash >> ~/.bashrc", "nightshift completion --json"],
    load: () => import("./completion.ts").then((m) => m.completion),
  },
};
