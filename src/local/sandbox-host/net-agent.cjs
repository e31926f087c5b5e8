// The Sandbox's network agent: a short-lived helper the Sandbox host starts *inside* one
// Sandbox's network namespace (through nsenter), because Node cannot enter a namespace itself.
// Sockets keep the namespace they were made in, so the agent only makes them and hands them
// to the host over the IPC channel; the host does all the forwarding. It never reads a byte.
//
// Messages from the host: { listen: port, id }  → a server bound to 127.0.0.1:port in the
//                                                 Sandbox (a gateway), sent back as a handle;
//                         { connect: port, id } → a socket connected to 127.0.0.1:port in the
//                                                 Sandbox (exposePort, waitForPort), sent back.
// Answers: { id, ok: true } with the handle, or { id, ok: false, error }.
// The agent exits when the host goes away or after `idleMs` (argv[2]) without a request.
"use strict";
const net = require("node:net");

const idleMs = Number(process.argv[2] || 10000);
let idle;
const rest = () => {
  clearTimeout(idle);
  idle = setTimeout(() => process.exit(0), idleMs);
};
rest();

const answer = (id, handle) => process.send({ id, ok: true }, handle, { keepOpen: false });
const fail = (id, error) => process.send({ id, ok: false, error: String(error?.message) });

process.on("message", (message) => {
  rest();
  const id = message?.id;
  if (Number.isInteger(message?.listen)) {
    const server = net.createServer();
    server.once("error", (error) => fail(id, error));
    server.listen({ host: "127.0.0.1", port: message.listen, exclusive: true }, () => {
      answer(id, server);
      // The host has its own copy of the listening socket now; this one only keeps the port.
      server.close();
    });
    return;
  }
  if (Number.isInteger(message?.connect)) {
    const socket = net.connect({ host: "127.0.0.1", port: message.connect });
    socket.once("error", (error) => fail(id, error));
    socket.once("connect", () => answer(id, socket));
    return;
  }
  fail(id, new Error("unknown request"));
});
process.on("disconnect", () => process.exit(0));
