// The HTTP side of bench:core's floors (audiosocket-echo*.ts): the two requests the callers make
// of a core, answered with nothing behind them — POST /calls (a fresh UUID) and GET /metrics
// (nothing to report, or the pacer's metrics of the polled floor) — and the ports both sides
// listen on, from the bench.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { Server } from "node:net";

export const echoPorts = { http: Number(process.env.ECHO_HTTP_PORT), audioSocket: Number(process.env.ECHO_AUDIOSOCKET_PORT) };

/**
 * Starts the HTTP side, then `audioSocket` on its port; prints the line the bench waits for.
 * `metrics` renders what GET /metrics answers (nothing when absent).
 */
export function listenEcho(audioSocket: Server, how: string, metrics: () => string = () => ""): void {
  const http = createServer((req, res) => {
    req.resume();
    if (req.method === "POST" && req.url?.startsWith("/calls")) return void res.end(randomUUID());
    if (req.url === "/metrics") return void res.end(metrics());
    res.writeHead(404).end();
  });
  http.listen(echoPorts.http, "127.0.0.1", () =>
    audioSocket.listen(echoPorts.audioSocket, "127.0.0.1", () => {
      process.stdout.write(`echo: HTTP on ${echoPorts.http}, AudioSocket on ${echoPorts.audioSocket} (${how})\n`);
    }),
  );
}
