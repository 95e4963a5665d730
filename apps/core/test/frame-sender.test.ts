// The frame sender's thread against real TCP peers on loopback: frames keep their 20 ms while the
// event loop is blocked, barge-in empties the ring, the agent's last words go out before its
// hang-up, a closed call's descriptor is never written again, and the thread gets its slice.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { encodeUuid, FrameDecoder, type TFrame } from "../src/audiosocket/frame.ts";
import { FrameSender } from "../src/audiosocket/frame-sender.ts";
import { OutboundAudio } from "../src/audiosocket/outbound-audio.ts";
import { Pacer } from "../src/audiosocket/pacer.ts";
import { createAudioSocketServer, type TAudioSocketServer, type TCallSession } from "../src/audiosocket/server.ts";

type TSession = TCallSession & { hangup?: () => void; ended?: string };

function session(): TSession {
  const s: TSession = {
    outbound: new OutboundAudio(),
    onAudio: () => {},
    onDtmf: () => {},
    onEnd: (cause) => {
      s.ended = cause;
    },
    bindHangup: (h) => {
      s.hangup = h;
    },
  };
  return s;
}

let server: TAudioSocketServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function start(sessions: Map<string, TCallSession>, sender = new FrameSender()) {
  server = createAudioSocketServer({ host: "127.0.0.1", port: 0, pacer: new Pacer(), sender, resolveCall: (u) => sessions.get(u) });
  return { port: await server.start(), sender };
}

async function peer(port: number, uuid: string) {
  const socket: Socket = connect(port, "127.0.0.1");
  await new Promise((r) => socket.once("connect", r));
  const decoder = new FrameDecoder();
  const frames: TFrame[] = [];
  const closed = new Promise<void>((r) => socket.once("close", () => r()));
  socket.on("data", (chunk: Buffer) => frames.push(...decoder.push(chunk)));
  socket.on("error", () => {});
  socket.write(encodeUuid(uuid));
  return { socket, frames, closed };
}

const until = async (cond: () => boolean, ms = 3_000) => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
};

const firstByte = (f: TFrame) => (f.kind === "audio" ? f.pcm[0] : -1);

/**
 * Asterisk's side in a process of its own, so the times it records are not the test's event
 * loop's: it prints each frame's arrival (ms) and whether it was voiced once it has `count` frames.
 */
function remotePeer(port: number, uuid: string, count: number) {
  const script = `
    const net = require("node:net");
    const s = net.connect(${port}, "127.0.0.1", () => s.write(Buffer.from("0100" + "10" + "${uuid.replace(/-/g, "")}", "hex")));
    const frames = []; let pending = Buffer.alloc(0);
    s.on("data", (chunk) => {
      const at = performance.now();
      pending = Buffer.concat([pending, chunk]);
      for (; pending.length >= 323; pending = pending.subarray(323)) frames.push({ at, voiced: pending[3] !== 0 });
      if (frames.length >= ${count}) { process.stdout.write(JSON.stringify(frames)); s.destroy(); }
    });`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise<{ at: number; voiced: boolean }[]>((resolve, reject) =>
    child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`peer exited ${code}`)))),
  );
}

const block = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {}
};

describe("frame sender", () => {
  it("keeps a call's frames 20 ms apart while the event loop is blocked for 50 ms at a time", async () => {
    const uuid = randomUUID();
    const s = session();
    const { port } = await start(new Map([[uuid, s]]));
    const arrivals = remotePeer(port, uuid, 60);
    await until(() => server?.connections === 1);
    await new Promise((r) => setTimeout(r, 200));
    s.outbound.enqueue(Buffer.alloc(320 * 100, 0x21)); // 2 s of speech
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 30));
      block(50); // a long collection or callback: the ring holds 80 ms
    }
    const frames = await arrivals;
    const gaps = frames.slice(1).map((f, i) => f.at - (frames[i]?.at as number));
    // From the event loop, each block would leave a gap of 50 ms or more (then a burst).
    expect(Math.max(...gaps)).toBeLessThan(35);
    // And the speech has no hole: the ring held more than a block's worth of frames.
    const voiced = frames.map((f) => (f.voiced ? "v" : "-")).join("");
    expect(voiced).toMatch(/^-+v{20,}$/);
  });

  it("drops the frames waiting in the ring on barge-in: silence within a frame", async () => {
    const uuid = randomUUID();
    const s = session();
    await start(new Map([[uuid, s]]));
    const p = await peer(server?.port ?? 0, uuid);
    await until(() => p.frames.length >= 3);
    s.outbound.enqueue(Buffer.alloc(320 * 50, 0x31));
    await until(() => p.frames.filter((f) => firstByte(f) === 0x31).length >= 5);
    s.outbound.clear();
    const at = p.frames.length;
    await until(() => p.frames.length >= at + 10);
    // A frame may have been on its way when clear() ran; the ring's other three are not sent.
    expect(p.frames.slice(at).filter((f) => firstByte(f) === 0x31).length).toBeLessThanOrEqual(1);
  });

  it("sends the agent's last words still in the ring before its hang-up frame", async () => {
    const uuid = randomUUID();
    const s = session();
    await start(new Map([[uuid, s]]));
    const p = await peer(server?.port ?? 0, uuid);
    await until(() => p.frames.length >= 3);
    s.outbound.enqueue(Buffer.alloc(320 * 5, 0x41));
    // The session hangs up once its queue is empty: then up to four frames are still in the ring.
    await until(() => s.outbound.idle);
    s.hangup?.();
    await p.closed;
    expect(p.frames.filter((f) => firstByte(f) === 0x41)).toHaveLength(5);
    expect(p.frames.at(-1)?.kind).toBe("hangup");
    expect(s.ended).toBe("agent_hangup");
  });

  it("never writes a closed call's audio to the connection that reuses its descriptor", async () => {
    const sessions = new Map<string, TCallSession>();
    await start(sessions);
    for (let round = 0; round < 20; round++) {
      const first = randomUUID();
      const second = randomUUID();
      const a = session();
      sessions.set(first, a);
      sessions.set(second, session());
      const p = await peer(server?.port ?? 0, first);
      await until(() => p.frames.length >= 1);
      a.outbound.enqueue(Buffer.alloc(320 * 50, 0x51));
      p.socket.destroy(); // the caller hangs up with its ring full
      await until(() => a.ended !== undefined);
      const q = await peer(server?.port ?? 0, second);
      await until(() => q.frames.length >= 6);
      expect(q.frames.some((f) => firstByte(f) === 0x51)).toBe(false);
      q.socket.destroy();
    }
  });

  it("ends its calls, recorded, when its thread dies, and refuses new ones", async () => {
    const sessions = new Map<string, TCallSession>();
    const errors: string[] = [];
    const sender = new FrameSender();
    server = createAudioSocketServer({
      host: "127.0.0.1",
      port: 0,
      pacer: new Pacer(),
      sender,
      resolveCall: (u) => sessions.get(u),
      onError: (_, message) => errors.push(message),
    });
    const port = await server.start();
    const uuid = randomUUID();
    const s = session();
    sessions.set(uuid, s);
    const p = await peer(port, uuid);
    await until(() => p.frames.length >= 2);
    // A bug in the thread, as the main thread sees it: the worker is gone.
    await (sender as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await until(() => s.ended !== undefined);
    expect(s.ended).toBe("protocol_error");
    expect(errors[0]).toMatch(/^frame sender failed: the frame sender's thread exited/);
    await p.closed;
    const late = await peer(port, randomUUID());
    await late.closed;
    expect(errors.at(-1)).toBe("the frame sender is not running");
  });

  it("runs its thread with the custom slice it asks for (Linux 6.12+), and says so", async () => {
    const sender = new FrameSender(100);
    const status = await sender.start();
    try {
      expect(status).toEqual({ sliceUs: 100, why: "a custom slice of 100 us" });
      // The kernel's own view of this process's threads: one of them now has a 100 µs slice.
      const slices = readdirSync("/proc/self/task").map(
        (tid) => /se\.slice\s+:\s+(\d+)/.exec(readFileSync(`/proc/self/task/${tid}/sched`, "utf8"))?.[1],
      );
      expect(slices).toContain("100000");
    } finally {
      await sender.stop();
    }
    const ordinary = new FrameSender(0);
    expect(await ordinary.start()).toEqual({ sliceUs: 0, why: "off (CORE_SENDER_SLICE_US=0)" });
    await ordinary.stop();
  });
});
