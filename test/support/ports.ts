import { freePort, portTaken } from "../../src/local/net.ts";

/** A port with the next three free as well: `nightshift start` takes port … port + 3. */
export async function fourFreePorts(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port > 65_000) continue;
    const taken = await Promise.all([1, 2, 3].map((n) => portTaken(port + n)));
    if (!taken.includes(true)) return port;
  }
}
