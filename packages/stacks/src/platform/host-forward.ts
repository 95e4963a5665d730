// Services of this machine (the console, the License Service) listen on 127.0.0.1. Traefik, in
// its container, reaches this machine on its network's gateway address; a plain TCP forwarder
// there carries those connections to 127.0.0.1 — so the services are reachable from Traefik's
// network and from nowhere else (not from the machine's other interfaces).
import { connect, createServer, type Server } from "node:net";

export async function forwardFromGateway(gateway: string, ports: number[]): Promise<{ close(): Promise<void> }> {
  const servers: Server[] = [];
  for (const port of ports) {
    const server = createServer((client) => {
      const upstream = connect(port, "127.0.0.1");
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on("error", end);
      upstream.on("error", end);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, gateway, () => resolve());
    });
    servers.push(server);
  }
  return { close: () => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => {}) };
}
