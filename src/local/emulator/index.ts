/**
 * The local Cloudflare API emulator (Node only): what other modules and the
 * CLI import. See docs/emulator.md.
 */
export { type Emulator, type EmulatorOptions, startEmulator, API_PREFIX } from "./server.ts";
export type { LoggedRequest, LogQuery } from "./request-log.ts";
export { RequestLog } from "./request-log.ts";
export type { Fault, FaultAction, FaultSpec } from "./faults.ts";
export { parseWorkersDevHost, toLocalUrl, workersDevHostname, WORKERS_PATH_PREFIX } from "./workers-dev.ts";
export { solve as solveProofOfWork, verify as verifyProofOfWork } from "./pow.ts";
