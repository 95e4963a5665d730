// The AudioSocket server: Asterisk connects once per call, sends the call's UUID, then audio,
// DTMF and (sometimes) a hang-up frame. A call the core did not open over HTTP is refused.
// Every failure (garbage, oversized frame, a peer that stops reading) ends only that call.
//
// Each connection lives on the pacer's clock (polled-socket.ts says why): every 20 ms a call
// sends its next frame at its turn, and takes in what Asterisk sent at its read, which the pacer
// keeps just after the caller's frames arrive. The event loop never reads an AudioSocket
// connection while its call runs; a call that ends politely (agent hang-up, refusal, the server
// stopping) is handed back to it to say goodbye.
import { createServer, type Server, type Socket } from "node:net";
import {
  encodeAudio,
  encodeHangup,
  FrameDecoder,
  FrameError,
  HEADER_BYTES,
  newAudioFrame,
  SLIN8_FRAME_BYTES,
  type TFrame,
  type TFrameSink,
} from "./frame.ts";
import type { OutboundAudio } from "./outbound-audio.ts";
import type { Pacer } from "./pacer.ts";
import { END_OF_STREAM, NOTHING_YET, PolledSocket } from "./polled-socket.ts";

/** Encoded once: most frames of a call are silence. */
const SILENT_FRAME = encodeAudio(Buffer.alloc(SLIN8_FRAME_BYTES));
/**
 * Every call's reads and writes go through these two buffers, one call at a time: the kernel
 * copies a written frame at once, and the frames read are handled before the next call's turn.
 * 64 KiB holds 3 s of audio a stalled process may find waiting.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
const SPEECH_FRAME = newAudioFrame();
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
  const enders = new Set<(cause: THangupCause) => void>();
  let server: Server | undefined;
  let port = 0;
  const maxBuffered = options.maxBufferedBytes ?? 256 * 1024;

  function handle(socket: Socket): void {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    // Errors surface from reads and writes on the pacer's clock; this only keeps a late one (on
    // the goodbye path) from becoming an uncaught exception.
    socket.on("error", () => {});
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
    let ended = false;
    let lastWasSilent = true;
    const uuidTimer = setTimeout(() => end("protocol_error", "no UUID frame"), options.uuidTimeoutMs ?? 5_000);

    function end(cause: THangupCause, detail?: string): void {
      if (ended) return;
      ended = true;
      clearTimeout(uuidTimer);
      paced.remove();
      polled.release();
      enders.delete(end);
      if (cause === "protocol_error" || cause === "refused" || cause === "peer_error") options.onError?.(uuid, detail ?? cause);
      if (cause === "agent_hangup" || cause === "refused" || cause === "server_stopping") goodbye(socket);
      else socket.destroy();
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
        session.bindHangup(() => end("agent_hangup"));
        // A reply that starts while the call is sending silence goes out now, from the I/O
        // callback that brought its audio (the process is awake for it anyway), not up to 20 ms
        // later at the call's turn.
        session.outbound.onWake = () => {
          if (lastWasSilent) paced.startNow();
        };
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

    /**
     * A write that failed (the peer is gone): the read right after tells a caller who hung up
     * (end of stream) from a broken connection.
     */
    let writeFailure: Error | undefined;

    function sendFrame(s: TCallSession): void {
      if (polled.backlogBytes > maxBuffered) {
        end("peer_error", "peer stopped reading audio");
        return;
      }
      lastWasSilent = s.outbound.idle;
      if (!lastWasSilent) s.outbound.readFrameInto(SPEECH_FRAME, HEADER_BYTES);
      try {
        polled.write(lastWasSilent ? SILENT_FRAME : SPEECH_FRAME);
      } catch (err) {
        writeFailure = err as Error;
      }
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
          sendFrame(session);
        } catch (err) {
          fail(err);
        }
      },
      takeIn() {
        if (ended) return true;
        try {
          const found = readWaiting();
          if (writeFailure && !ended) fail(writeFailure);
          return found;
        } catch (err) {
          fail(err);
          return true;
        }
      },
    });
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
    start() {
      return new Promise((resolve, reject) => {
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
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    },
  };
}
