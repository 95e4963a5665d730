// The reading end for `npm run bench:pacer`, in its own process as Asterisk would be: accepts
// connections and discards what they send.
import { createServer } from "node:net";

const server = createServer((socket) => {
  socket.on("data", () => {});
  socket.on("error", () => {});
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`peer on ${typeof address === "object" && address ? address.port : 0}\n`);
});
