/**
 * The local Sandbox host's HTTP wire format: request bodies and list
 * envelopes, shared by the host (src/local/sandbox-host/routes.ts) and its
 * client (src/adapters/sandbox/local.ts). What the port itself returns is
 * defined in `sandbox.ts`. Worker-safe: no `node:` imports.
 */
import { z } from "zod";
import {
  ErrorBodySchema,
  ExecResultSchema,
  FileEncodingSchema,
  FileEntrySchema,
  ProcessInfoSchema,
  SnapshotInfoSchema,
} from "./sandbox.ts";

const IdempotencyKeySchema = z.string().min(1).max(200);
const Env = z.record(z.string(), z.string());
const Command = z.union([z.string().min(1), z.array(z.string()).min(1)]);

export const ExecRequestSchema = z.strictObject({
  command: Command,
  cwd: z.string().optional(),
  env: Env.optional(),
  timeoutMs: z.number().int().positive().optional(),
  maxOutputBytes: z.number().int().positive().optional(),
  idempotencyKey: IdempotencyKeySchema.optional(),
});
export type ExecRequest = z.infer<typeof ExecRequestSchema>;

/** One line of a streamed exec (NDJSON): output chunks, then exactly one `exit` or `error`. */
export const ExecStreamEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("stdout"), data: z.string() }),
  z.object({ type: z.literal("stderr"), data: z.string() }),
  z.object({ type: z.literal("exit"), result: ExecResultSchema }),
  z.object({ type: z.literal("error"), error: ErrorBodySchema.shape.error }),
]);
export type ExecStreamEvent = z.infer<typeof ExecStreamEventSchema>;

export const WriteFileRequestSchema = z.strictObject({
  path: z.string().min(1),
  content: z.string(),
  encoding: FileEncodingSchema.optional(),
  idempotencyKey: IdempotencyKeySchema.optional(),
});
export const ReadFileRequestSchema = z.strictObject({
  path: z.string().min(1),
  encoding: FileEncodingSchema.optional(),
});
export const ReadFileResultSchema = z.object({ content: z.string(), encoding: FileEncodingSchema });
export const ListFilesRequestSchema = z.strictObject({
  path: z.string().min(1),
  recursive: z.boolean().optional(),
});
export const DeleteFileRequestSchema = z.strictObject({
  path: z.string().min(1),
  recursive: z.boolean().optional(),
  idempotencyKey: IdempotencyKeySchema.optional(),
});
export const FileListSchema = z.object({ files: z.array(FileEntrySchema) });
export const StartProcessRequestSchema = z.strictObject({
  command: Command,
  processId: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .optional(),
  cwd: z.string().optional(),
  env: Env.optional(),
  idempotencyKey: IdempotencyKeySchema.optional(),
});
export type StartProcessRequest = z.infer<typeof StartProcessRequestSchema>;

export const ProcessListSchema = z.object({ processes: z.array(ProcessInfoSchema) });
export const WaitForPortRequestSchema = z.strictObject({
  port: z.number().int().min(1).max(65535),
  mode: z.enum(["http", "tcp"]).optional(),
  path: z.string().optional(),
  timeoutMs: z.number().int().positive().optional(),
});
export type WaitForPortRequest = z.infer<typeof WaitForPortRequestSchema>;

export const WaitForLogRequestSchema = z.strictObject({
  pattern: z.string().min(1),
  /** When set, `pattern` is a regular expression source with these flags ("" for none). */
  regexFlags: z.string().optional(),
  timeoutMs: z.number().int().positive().optional(),
});
export const WaitForLogResultSchema = z.object({ line: z.string() });
export const ExposePortRequestSchema = z.strictObject({
  port: z.number().int().min(1024).max(65535),
  idempotencyKey: IdempotencyKeySchema.optional(),
});
export const SnapshotRequestSchema = z.strictObject({
  name: z.string().max(200).optional(),
  pin: z.boolean().optional(),
  idempotencyKey: IdempotencyKeySchema.optional(),
});
export const SnapshotListSchema = z.object({ snapshots: z.array(SnapshotInfoSchema) });
export const RestoreRequestSchema = z.strictObject({
  snapshotId: z.string().min(1),
  idempotencyKey: IdempotencyKeySchema.optional(),
});
/**
 * The local host's one-call consistency check (`POST /sandboxes/:name/ensure-at`). `wait: false`
 * queues it behind the calls already made and answers at once: the next call waits for it.
 */
export const EnsureAtRequestSchema = z.strictObject({
  snapshotId: z.string().min(1),
  wait: z.boolean().default(true),
});
export const PinRequestSchema = z.strictObject({ pinned: z.boolean() });
