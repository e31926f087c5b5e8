/** A crash-harness job (./jobs.ts); served by ./worker.ts only. */
import { crashJob } from "./jobs.ts";

export default crashJob("crash-o-a");
