// The AudioSocket server: Asterisk connects once per call, sends the call's UUID, then audio,
// DTMF and (sometimes) a hang-up frame. A call the core did not open over HTTP is refused.
// Every failure (garbage, oversized frame, a peer that stops reading) ends only that call.
//
// Each connection lives on the pacer's clock (polled-socket.ts says why): every 20 ms a call
// takes in what Asterisk sent at its read, which the pacer keeps just after the caller's frames
// arrive, and tops up its ring in the frame sender at its turn; the sender's thread sends the
// call's frames on the same 20 ms grid (frame-sender.ts says why a thread). The event loop never
// reads an AudioSocket connection while its call runs; a call that ends politely (agent hang-up,
// refusal, the server stopping) is handed back to it to say goodbye, once the sender has let go
// of its descriptor.
import { createServer, type Server, type Socket } from "node:net";
import { encodeHangup, FrameDecoder, FrameError, HEADER_BYTES, type TFrame, type TFrameSink } from "./frame.ts";
import type { FrameSender, TSenderLine } from "./frame-sender.ts";
import type { OutboundAudio } from "./outbound-audio.ts";
import type { Pacer } from "./pacer.ts";
import { END_OF_STREAM, NOTHING_YET, PolledSocket } from "./polled-socket.ts";

/**
 * Every call's reads go through this buffer, one call at a time: the frames read are handled
 * before the next call's read. 64 KiB holds 3 s of audio a stalled process may find waiting.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
/** A call's read takes at most this many buffers in a row before the next call's read. */
const MAX_BUFFERS_PER_READ = 4;
/** A call that ends politely waits this long for Asterisk to close after our hang-up frame. */
const GOODBYE_MS = 2_000;

export type THangupCause = "caller_hangup" | "agent_hangup" | "protocol_error" | "peer_error" | "refused" | "server_stopping";

/** What the server needs from an opened call. */
export type TCallSession = {
  outbound: OutboundAudio;
  /** `pcm` is valid only during the call (a view of a reused buffer): copy what you keep. */
  onAudio(pcm: Buffer, sampleRate: number): void;
  onDtmf(digit: string): void;
  /** The connection ended; `cause` says why. Called exactly once. */
  onEnd(cause: THangupCause, detail?: string): void;
  /** The session calls this to end the call from the agent's side (hang-up tool, transfer). */
  bindHangup(hangup: () => void): void;
};

export type TAudioSocketEvents = {
  /** A protocol error or a refused call, with the call UUID when it is known. */
  onError?: (uuid: string | undefined, message: string) => void;
};

export type TAudioSocketOptions = {
  host: string;
  port: number;
  pacer: Pacer;
  /** Sends every call's frames from its own thread; the server starts and stops it. */
  sender: FrameSender;
  /** The session of an opened call, or undefined to refuse the UUID. */
  resolveCall: (uuid: string) => TCallSession | undefined;
  /** Asterisk sends the UUID at once; a silent connection is dropped after this. */
  uuidTimeoutMs?: number;
  /** A peer that stops reading is dropped when this much outbound data waits in memory. */
  maxBufferedBytes?: number;
} & TAudioSocketEvents;

export type TAudioSocketServer = { start(): Promise<number>; stop(): Promise<void>; readonly port: number; readonly connections: number };

export function createAudioSocketServer(options: TAudioSocketOptions): TAudioSocketServer {
  const sockets = new Set<Socket>();
  const enders = new Set<(cause: THangupCause, detail?: string) => void>();
  /** Calls ended whose socket waits for the sender to let go of its descriptor. */
  const releasing = new Set<Promise<void>>();
  const sender = options.sender;
  // The sender's thread is the clock: each slot's reads and ring top-ups follow its sends.
  options.pacer.clockedExternally();
  sender.onSlot = (slot) => options.pacer.serveSlot(slot);
  // A sender that dies (a bug) leaves its calls mute: they end now, recorded, rather than wait for
  // Asterisk to drop them; new connections are refused (the sender is not running).
  sender.onFailure = (err) => {
    options.onError?.(undefined, `frame sender failed: ${err.message}`);
    for (const end of [...enders]) end("protocol_error", "the frame sender failed");
  };
  let server: Server | undefined;
  let port = 0;
  const maxBuffered = options.maxBufferedBytes ?? 256 * 1024;

  function handle(socket: Socket): void {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    // Errors surface from reads and writes on the pacer's clock; this only keeps a late one (on
    // the goodbye path) from becoming an uncaught exception.
    socket.on("error", () => {});
    // Nagle off both ways: ours here, Asterisk's in res_audiosocket (it sets TCP_NODELAY). A peer
    // with Nagle on holds each frame until the previous one is acknowledged, and the ACK rides on
    // our next outbound frame: its audio then arrives behind the call's send slot, ~12 ms late.
    socket.setNoDelay(true);
    let polled: PolledSocket;
    try {
      polled = new PolledSocket(socket);
    } catch (err) {
      options.onError?.(undefined, (err as Error).message);
      socket.destroy();
      return;
    }
    const decoder = new FrameDecoder();
    let uuid: string | undefined;
    let session: TCallSession | undefined;
    /** The call's side of the frame sender (muted until its UUID is known). */
    let line: TSenderLine | undefined;
    let ended = false;
    const uuidTimer = setTimeout(() => end("protocol_error", "no UUID frame"), options.uuidTimeoutMs ?? 5_000);

    function end(cause: THangupCause, detail?: string): void {
      if (ended) return;
      ended = true;
      clearTimeout(uuidTimer);
      paced.remove();
      polled.release();
      enders.delete(end);
      if (cause === "protocol_error" || cause === "refused" || cause === "peer_error") options.onError?.(uuid, detail ?? cause);
      // The agent's last words are still in the sender's ring (up to 80 ms): they go out first.
      const released = line?.close(cause === "agent_hangup") ?? Promise.resolve();
      releasing.add(released);
      void released.then(() => {
        releasing.delete(released);
        if (cause === "agent_hangup" || cause === "refused" || cause === "server_stopping") goodbye(socket);
        else socket.destroy();
      });
      session?.onEnd(cause, detail);
    }
    enders.add(end);

    function onControl(frame: Exclude<TFrame, { kind: "audio" }>) {
      if (!session) {
        if (frame.kind !== "uuid") return end("protocol_error", `first frame was ${frame.kind}, not the call UUID`);
        clearTimeout(uuidTimer);
        uuid = frame.uuid;
        session = options.resolveCall(frame.uuid);
        if (!session) return end("refused", `unknown call ${frame.uuid}`);
        line?.unmute();
        session.bindHangup(() => end("agent_hangup"));
        const outbound = session.outbound;
        // A reply that starts while the call is sending silence goes out now, not up to 20 ms
        // later at the call's turn; its frames are in the ring before the sender is woken.
        outbound.onWake = () => {
          if (ended || !line) return;
          const wasSilent = line.silent;
          fill(outbound);
          if (wasSilent) line.startNow();
        };
        outbound.onClear = () => line?.clear();
        return;
      }
      switch (frame.kind) {
        case "dtmf":
          return session.onDtmf(frame.digit);
        case "hangup":
          return end("caller_hangup");
        case "error":
          return end("peer_error", `Asterisk sent an error frame (code ${frame.code ?? "none"})`);
        case "uuid":
          return end("protocol_error", "second UUID frame");
      }
    }

    const sink: TFrameSink = {
      audio(pcm, sampleRate) {
        if (ended) return;
        if (!session) return end("protocol_error", "first frame was audio, not the call UUID");
        session.onAudio(pcm, sampleRate);
      },
      control(frame) {
        if (!ended) onControl(frame);
      },
    };

    /**
     * Reads and handles what Asterisk sent since the last read (the call may end in it); false
     * when nothing had arrived.
     */
    function readWaiting(): boolean {
      for (let reads = 0; reads < MAX_BUFFERS_PER_READ; reads++) {
        const n = polled.read(READ_BUFFER);
        if (n === NOTHING_YET) return reads > 0;
        if (n === END_OF_STREAM) {
          // Asterisk ends a call by closing the socket (no 0x00 frame, observed on Asterisk 22).
          end("caller_hangup", decoder.buffered > 0 ? `stream ended inside a frame (${decoder.buffered} bytes)` : undefined);
          return true;
        }
        decoder.decode(READ_BUFFER.subarray(0, n), sink);
        if (ended || n < READ_BUFFER.length) return true;
      }
      return true;
    }

    /** Tops up the call's ring in the sender with its next frames of audio (silence is the sender's). */
    function fill(outbound: OutboundAudio): void {
      if (!line) return;
      if (line.backlogBytes > maxBuffered) {
        end("peer_error", "peer stopped reading audio");
        return;
      }
      while (line.room > 0 && outbound.readFrameInto(line.next(), HEADER_BYTES)) line.commit();
    }

    /**
     * A write of the sender's that failed (the peer is gone), raised after the read that follows
     * it, which tells a caller who hung up (end of stream) from a broken connection.
     */
    function writeFailure(): Error | undefined {
      const errno = line?.failure ?? 0;
      return errno === 0 ? undefined : Object.assign(new Error(`write failed (errno ${errno})`), { syscall: "write", errno });
    }

    /** A failure ends this call only: garbage, a reset, or a bug in its pipeline — never the server. */
    function fail(err: unknown): void {
      if (err instanceof FrameError) end("protocol_error", err.message);
      else if ((err as NodeJS.ErrnoException).syscall) end("peer_error", (err as Error).message);
      else end("protocol_error", `session failed: ${(err as Error).message}`);
    }

    const paced = options.pacer.add({
      turn() {
        if (ended || !session) return;
        try {
          fill(session.outbound);
        } catch (err) {
          fail(err);
        }
      },
      takeIn() {
        if (ended) return true;
        try {
          const found = readWaiting();
          const failure = ended ? undefined : writeFailure();
          if (failure) fail(failure);
          return found;
        } catch (err) {
          fail(err);
          return true;
        }
      },
    });
    try {
      line = sender.open(polled.descriptor, paced.slot);
    } catch (err) {
      end("refused", (err as Error).message); // the sender is full (or gone)
    }
  }

  /** Back to the event loop: our hang-up frame, then whatever Asterisk still sends is read and dropped until it closes. */
  function goodbye(socket: Socket): void {
    const timer = setTimeout(() => socket.destroy(), GOODBYE_MS);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
    socket.on("data", () => {});
    socket.resume();
    socket.end(encodeHangup());
  }

  return {
    get port() {
      return port;
    },
    get connections() {
      return sockets.size;
    },
    async start() {
      await sender.start();
      return new Promise<number>((resolve, reject) => {
        server = createServer({ pauseOnConnect: true }, handle);
        server.on("error", reject);
        server.listen(options.port, options.host, () => {
          const address = server?.address();
          port = typeof address === "object" && address ? address.port : options.port;
          resolve(port);
        });
      });
    },
    async stop() {
      for (const end of [...enders]) end("server_stopping");
      await Promise.all(releasing);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await sender.stop();
    },
  };
}
