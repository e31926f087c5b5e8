/**
 * A dependency of the run is not answering (the Sandbox host, the egress proxy): a fault of
 * the machine the run happens on, not of the run. It throws, the step's retries hold the run
 * (src/run/step-policy.ts), and the timeline says what it waits for (src/run/outages.ts).
 * Imports nothing.
 */
export class OutageError extends Error {
  override readonly name: string = "OutageError";
  constructor(
    /** What is not answering, as a person reads it: "the egress proxy". */
    readonly dependency: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
