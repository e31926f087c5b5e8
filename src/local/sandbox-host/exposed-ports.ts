/**
 * Ports of a Sandbox with its own network, exposed on the host: a listener on
 * the host's loopback (any free port) forwards each connection inside; other
 * Sandboxes cannot reach it, being in networks of their own.
 */
import { createServer, type Server } from "node:net";
import type { SandboxNetwork } from "./netns.ts";

export class ExposedPorts {
  /** Host-side listeners, by Sandbox port. */
  private readonly byPort = new Map<number, { server: Server; url: string }>();

  /** The host URL that reaches `port` inside `net` (the same one each time). */
  async expose(net: SandboxNetwork, port: number): Promise<string> {
    const known = this.byPort.get(port);
    if (known) return known.url;
    await net.ready();
    const server = createServer((outside) => void net.forwardInside(outside, port));
    const url = await new Promise<string>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: "127.0.0.1", port: 0 }, () => {
        const address = server.address();
        resolve(`http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/`);
      });
    });
    this.byPort.set(port, { server, url });
    return url;
  }

  close(): void {
    for (const { server } of this.byPort.values()) server.close();
    this.byPort.clear();
  }
}
