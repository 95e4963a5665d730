// Polled reads and writes on a real kernel buffer: a pipe to a child process that reads nothing
// for a while (a pipe holds 64 KiB, a loopback TCP socket megabytes: the pipe fills in a test's
// time), then reads everything. Nothing written may be lost, reordered or block the process.
import { spawn } from "node:child_process";
import { connect, createServer, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { END_OF_STREAM, NOTHING_YET, PolledSocket } from "../src/audiosocket/polled-socket.ts";

describe("polled socket", () => {
  it("keeps what a full kernel buffer refuses and sends it first, in order, once the reader reads", async () => {
    // The child waits, then counts what it reads and checks that byte i is i % 251.
    const child = spawn(
      process.execPath,
      [
        "-e",
        `setTimeout(() => { let n = 0, bad = 0; process.stdin.on("data", (d) => { for (const b of d) { if (b !== n % 251) bad++; n++; } }); process.stdin.on("end", () => process.stdout.write(n + " " + bad)); }, 700);`,
      ],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const polled = new PolledSocket(child.stdin as unknown as Socket);
    const frame = Buffer.alloc(323);
    let written = 0;
    let maxBacklog = 0;
    const started = performance.now();
    // 30 ms of writes per 10 ms tick, for 1.2 s: far more than the pipe holds while nobody reads.
    while (performance.now() - started < 1_200) {
      for (let k = 0; k < 30; k++) {
        for (let i = 0; i < frame.length; i++) frame[i] = (written + i) % 251;
        const t0 = performance.now();
        polled.write(frame); // the same buffer, rewritten at once: a write must copy what it keeps
        expect(performance.now() - t0).toBeLessThan(50); // never blocks
        written += frame.length;
      }
      maxBacklog = Math.max(maxBacklog, polled.backlogBytes);
      await new Promise((r) => setTimeout(r, 10));
    }
    // What waits goes out as the reader makes room.
    while (polled.backlogBytes > 0) {
      polled.flush();
      await new Promise((r) => setTimeout(r, 5));
    }
    polled.release();
    child.stdin.end();
    await new Promise((r) => child.once("exit", r));
    expect(maxBacklog).toBeGreaterThan(64 * 1024);
    expect(out).toBe(`${written} 0`);
  });

  it("reads what waits, says when nothing does, and sees the peer's end", async () => {
    const accepted = new Promise<Socket>((resolve) => {
      const server = createServer({ pauseOnConnect: true }, (s) => {
        server.close();
        resolve(s);
      }).listen(0, "127.0.0.1", () => {
        const address = server.address();
        peer = connect(typeof address === "object" && address ? address.port : 0, "127.0.0.1");
      });
    });
    let peer: Socket | undefined;
    const socket = await accepted;
    const polled = new PolledSocket(socket);
    const into = Buffer.alloc(1024);
    expect(polled.read(into)).toBe(NOTHING_YET);
    peer?.write("hello");
    await new Promise((r) => setTimeout(r, 50));
    expect(polled.read(into)).toBe(5);
    expect(into.subarray(0, 5).toString()).toBe("hello");
    peer?.end();
    await new Promise((r) => setTimeout(r, 50));
    expect(polled.read(into)).toBe(END_OF_STREAM);
    polled.release();
    // Released: no read or write reaches the descriptor again (its number may be reused).
    socket.destroy();
    expect(polled.read(into)).toBe(END_OF_STREAM);
    expect(() => polled.write(Buffer.from("x"))).not.toThrow();
  });
});
