// The AudioSocket server against a real TCP peer on loopback that speaks as Asterisk does.
import { randomUUID } from "node:crypto";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { encodeAudio, encodeDtmf, encodeUuid, FrameDecoder, type TFrame } from "../src/audiosocket/frame.ts";
import { FrameSender } from "../src/audiosocket/frame-sender.ts";
import { OutboundAudio } from "../src/audiosocket/outbound-audio.ts";
import { Pacer } from "../src/audiosocket/pacer.ts";
import { createAudioSocketServer, type TAudioSocketServer, type TCallSession, type THangupCause } from "../src/audiosocket/server.ts";
import { wakeEverySlot } from "./pacer-load.ts";

type TRecordedSession = TCallSession & {
  audio: Buffer[];
  digits: string[];
  ended?: { cause: THangupCause; detail?: string };
  hangup?: () => void;
};

function recordingSession(): TRecordedSession {
  const s: TRecordedSession = {
    outbound: new OutboundAudio(),
    audio: [],
    digits: [],
    onAudio: (pcm) => s.audio.push(Buffer.from(pcm)), // a view of a reused buffer: copied
    onDtmf: (d) => s.digits.push(d),
    onEnd: (cause, detail) => {
      s.ended = { cause, detail };
    },
    bindHangup: (h) => {
      s.hangup = h;
    },
  };
  return s;
}

/** The Asterisk side of one call: sends bytes, collects decoded frames with arrival times. */
async function asterisk(port: number) {
  const socket: Socket = connect(port, "127.0.0.1");
  // As Asterisk's res_audiosocket does (its 22.10.1 build here sets TCP_NODELAY). With Nagle on,
  // a caller frame sent while the previous one is unacknowledged waits for the ACK that rides on
  // the server's next outbound frame: after one stall every frame of the call arrived ~12 ms after
  // it was sent, behind the server's send slot, and the read-slot timings measured the peer.
  socket.setNoDelay(true);
  await new Promise((r) => socket.once("connect", r));
  const decoder = new FrameDecoder();
  const received: { frame: TFrame; at: number }[] = [];
  const closed = new Promise<void>((r) => socket.once("close", () => r()));
  socket.on("data", (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) received.push({ frame, at: performance.now() });
  });
  socket.on("error", () => {});
  return { socket, received, closed };
}

const until = async (cond: () => boolean, ms = 3000) => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
};

let server: TAudioSocketServer | undefined;
afterEach(async () => {
  await server?.stop();
});

async function startServer(sessions: Map<string, TCallSession>, errors: string[] = []) {
  const pacer = new Pacer();
  const sender = new FrameSender();
  server = createAudioSocketServer({
    host: "127.0.0.1",
    port: 0,
    pacer,
    sender,
    resolveCall: (uuid) => sessions.get(uuid),
    onError: (uuid, message) => errors.push(`${uuid ?? "-"}: ${message}`),
    uuidTimeoutMs: 500,
  });
  return { port: await server.start(), pacer, sender };
}

describe("AudioSocket server", () => {
  it("delivers caller audio and DTMF to the opened call, and paces agent audio in 20 ms frames with silence when idle", async () => {
    const uuid = randomUUID();
    const session = recordingSession();
    const { port } = await startServer(new Map([[uuid, session]]));
    const peer = await asterisk(port);
    peer.socket.write(Buffer.concat([encodeUuid(uuid), encodeAudio(Buffer.alloc(320, 3)), encodeDtmf("5")]));
    session.outbound.enqueue(Buffer.alloc(320 * 5, 0x11));
    await until(() => peer.received.length >= 15);
    expect(session.audio).toHaveLength(1);
    expect(session.digits).toEqual(["5"]);
    const frames = peer.received.map((r) => r.frame);
    expect(frames.every((f) => f.kind === "audio" && f.pcm.length === 320)).toBe(true);
    const voiced = frames.filter((f) => f.kind === "audio" && f.pcm[0] === 0x11);
    expect(voiced).toHaveLength(5);
    // The rest is true silence: every sample zero.
    const idle = frames.filter((f) => f.kind === "audio" && f.pcm[0] !== 0x11);
    expect(idle.every((f) => f.kind === "audio" && f.pcm.every((b) => b === 0))).toBe(true);
    // Paced, not bursted: 15 frames take about 280 ms (14 intervals of 20 ms).
    const span = (peer.received[14]?.at ?? 0) - (peer.received[0]?.at ?? 0);
    expect(span).toBeGreaterThan(14 * 20 - 40);
    expect(span).toBeLessThan(14 * 20 + 80);
    peer.socket.end();
    await until(() => session.ended !== undefined);
    expect(session.ended?.cause).toBe("caller_hangup");
  });

  it("among many calls, starts an utterance at once instead of on the next tick, then pays the frame back", async () => {
    const uuid = randomUUID();
    const session = recordingSession();
    const { port, pacer, sender } = await startServer(new Map([[uuid, session]]));
    const others = wakeEverySlot(pacer, sender);
    const peer = await asterisk(port);
    peer.socket.write(encodeUuid(uuid));
    await until(() => peer.received.length >= 10); // connected, silence flowing
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 5 + i * 2)); // anywhere between two ticks
      const before = peer.received.length;
      const at = performance.now();
      session.outbound.enqueue(Buffer.alloc(320 * 3, 0x22));
      await until(() => peer.received.slice(before).some((r) => r.frame.kind === "audio" && r.frame.pcm[0] === 0x22));
      const first = peer.received.slice(before).find((r) => r.frame.kind === "audio" && r.frame.pcm[0] === 0x22);
      delays.push((first?.at ?? at) - at);
      await until(() => session.outbound.idle);
      await new Promise((r) => setTimeout(r, 60));
    }
    // Not 0-20 ms (10 on average) waiting for the grid: out at once (loopback plus the event
    // loop's turn). The mean tolerates one slow turn on a busy machine.
    expect(delays.reduce((a, b) => a + b, 0) / delays.length).toBeLessThan(6);
    // Over a second, still 50 frames a second: the early frames were paid back, not added.
    const start = peer.received.length;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 1_000));
    const perSecond = ((peer.received.length - start) * 1000) / (performance.now() - t0);
    expect(perSecond).toBeGreaterThan(47);
    expect(perSecond).toBeLessThan(53);
    peer.socket.end();
    for (const h of others) h.remove();
  });

  it("among many calls, takes in each caller's audio within a slot or two of its arrival, whatever the caller's phase", async () => {
    const sessions = new Map<string, TCallSession>();
    const arrivals: Map<number, number>[] = [];
    const uuids = [0, 1, 2, 3, 4].map(() => {
      const uuid = randomUUID();
      const taken = new Map<number, number>();
      arrivals.push(taken);
      const s = recordingSession();
      // Each frame carries its number: when the call took it in, by number.
      s.onAudio = (pcm) => void taken.set(pcm.readUInt32LE(0), performance.now());
      sessions.set(uuid, s);
      return uuid;
    });
    const { port, pacer, sender } = await startServer(sessions);
    const others = wakeEverySlot(pacer, sender);
    const peers = await Promise.all(uuids.map(() => asterisk(port)));
    const sentAt = peers.map(() => new Map<number, number>());
    // Five callers on their own 20 ms clocks, 4 ms apart.
    const clocks = peers.map((peer, i) => {
      peer.socket.write(encodeUuid(uuids[i] as string));
      let n = 0;
      let timer: NodeJS.Timeout;
      const start = performance.now() + i * 4;
      const send = () => {
        const frame = Buffer.alloc(320);
        frame.writeUInt32LE(n, 0);
        sentAt[i]?.set(n, performance.now());
        peer.socket.write(encodeAudio(frame));
        n++;
        timer = setTimeout(send, Math.max(0, start + n * 20 - performance.now()));
      };
      timer = setTimeout(send, i * 4);
      return { stop: () => clearTimeout(timer) };
    });
    await new Promise((r) => setTimeout(r, 2_500));
    for (const clock of clocks) clock.stop();
    for (const h of others) h.remove();
    // Read at a fixed slot, a frame would wait 10 ms on average over the phases, up to 20.
    const waits = arrivals.flatMap((taken, i) => [...taken].filter(([n]) => n >= 25).map(([n, at]) => at - (sentAt[i]?.get(n) ?? at)));
    expect(waits.length).toBeGreaterThan(5 * 80);
    expect(waits.reduce((a, b) => a + b, 0) / waits.length).toBeLessThan(3);
    expect(waits.filter((w) => w > 6).length).toBeLessThan(waits.length / 20);
    for (const p of peers) p.socket.end();
  });

  it("refuses a UUID it never opened, with a hang-up frame", async () => {
    const errors: string[] = [];
    const { port } = await startServer(new Map(), errors);
    const peer = await asterisk(port);
    const uuid = randomUUID();
    peer.socket.write(encodeUuid(uuid));
    await peer.closed;
    expect(peer.received.map((r) => r.frame.kind)).toEqual(["hangup"]);
    expect(errors).toEqual([`${uuid}: unknown call ${uuid}`]);
  });

  it("ends only the call that sends garbage, a 64 KiB length header or an unknown type", async () => {
    const good = randomUUID();
    const goodSession = recordingSession();
    const bad = [randomUUID(), randomUUID(), randomUUID()];
    const sessions = new Map<string, TCallSession>([[good, goodSession]]);
    const badSessions = bad.map((u) => {
      const s = recordingSession();
      sessions.set(u, s);
      return s;
    });
    const errors: string[] = [];
    const { port } = await startServer(sessions, errors);
    const goodPeer = await asterisk(port);
    goodPeer.socket.write(encodeUuid(good));
    const payloads = [Buffer.from([0x10, 0xff, 0xff, 1, 2, 3]), Buffer.from([0x7e, 0, 1, 0]), Buffer.from([0x03, 0, 1, 0x00])];
    const badPeers = await Promise.all(bad.map(() => asterisk(port)));
    for (const [i, p] of badPeers.entries()) p.socket.write(Buffer.concat([encodeUuid(bad[i] as string), payloads[i] as Buffer]));
    await Promise.all(badPeers.map((p) => p.closed));
    expect(badSessions.map((s) => s.ended?.cause)).toEqual(["protocol_error", "protocol_error", "protocol_error"]);
    expect(errors.join("\n")).toMatch(/exceeds the 8192-byte cap/);
    expect(errors.join("\n")).toMatch(/unknown frame type 0x7e/);
    // The good call is untouched and still receives paced audio.
    const before = goodPeer.received.length;
    await until(() => goodPeer.received.length >= before + 5);
    expect(goodSession.ended).toBeUndefined();
    goodPeer.socket.write(encodeAudio(Buffer.alloc(320)));
    await until(() => goodSession.audio.length === 1);
  });

  it("drops a connection that never sends its UUID, and one that sends audio first", async () => {
    const errors: string[] = [];
    const { port } = await startServer(new Map(), errors);
    const silent = await asterisk(port);
    const early = await asterisk(port);
    early.socket.write(encodeAudio(Buffer.alloc(320)));
    await Promise.all([silent.closed, early.closed]);
    expect(errors.sort()).toEqual(["-: first frame was audio, not the call UUID", "-: no UUID frame"]);
  });

  it("ends the call from the agent's side with a hang-up frame", async () => {
    const uuid = randomUUID();
    const session = recordingSession();
    const { port, pacer } = await startServer(new Map([[uuid, session]]));
    const peer = await asterisk(port);
    peer.socket.write(encodeUuid(uuid));
    await until(() => peer.received.length >= 2);
    session.hangup?.();
    await peer.closed;
    expect(peer.received.at(-1)?.frame.kind).toBe("hangup");
    expect(session.ended?.cause).toBe("agent_hangup");
    expect(pacer.size).toBe(0);
  });
});
