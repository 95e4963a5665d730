// The AudioSocket server: Asterisk connects once per call, sends the call's UUID, then audio,
// DTMF and (sometimes) a hang-up frame. A call the core did not open over HTTP is refused.
// Every failure (garbage, oversized frame, a peer that stops reading) ends only that call.
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

/** Encoded once: most frames of a call are silence, and a written buffer is never modified. */
const SILENT_FRAME = encodeAudio(Buffer.alloc(SLIN8_FRAME_BYTES));

export type THangupCause = "caller_hangup" | "agent_hangup" | "protocol_error" | "peer_error" | "refused" | "server_stopping";

/** What the server needs from an opened call. */
export type TCallSession = {
  outbound: OutboundAudio;
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

  function handle(socket: Socket): void {
    sockets.add(socket);
    socket.setNoDelay(true);
    const decoder = new FrameDecoder();
    let uuid: string | undefined;
    let session: TCallSession | undefined;
    let removeFromPacer: (() => void) | undefined;
    let ended = false;
    const uuidTimer = setTimeout(() => end("protocol_error", "no UUID frame"), options.uuidTimeoutMs ?? 5_000);

    function end(cause: THangupCause, detail?: string): void {
      if (ended) return;
      ended = true;
      clearTimeout(uuidTimer);
      removeFromPacer?.();
      enders.delete(end);
      if (cause === "protocol_error" || cause === "refused" || cause === "peer_error") options.onError?.(uuid, detail ?? cause);
      if (cause === "agent_hangup" || cause === "refused" || cause === "server_stopping") {
        // A hang-up frame tells Asterisk the far end is gone; then close our side.
        socket.end(encodeHangup());
      } else {
        socket.destroy();
      }
      session?.onEnd(cause, detail);
    }
    enders.add(end);

    function onFrame(frame: Exclude<TFrame, { kind: "audio" }>) {
      if (!session) {
        if (frame.kind !== "uuid") return end("protocol_error", `first frame was ${frame.kind}, not the call UUID`);
        clearTimeout(uuidTimer);
        uuid = frame.uuid;
        session = options.resolveCall(frame.uuid);
        if (!session) return end("refused", `unknown call ${frame.uuid}`);
        const s = session;
        s.bindHangup(() => end("agent_hangup"));
        const maxBuffered = options.maxBufferedBytes ?? 256 * 1024;
        let lastWasSilent = true;
        const paced = options.pacer.add({
          sendFrame: () => {
            if (socket.writableLength > maxBuffered) return end("peer_error", "peer stopped reading audio");
            lastWasSilent = s.outbound.idle;
            if (lastWasSilent) return void socket.write(SILENT_FRAME);
            const frame = newAudioFrame();
            s.outbound.readFrameInto(frame, HEADER_BYTES);
            socket.write(frame);
          },
        });
        removeFromPacer = paced.remove;
        // A reply that starts while the call is sending silence moves the call to the next phase
        // slot: its first frame goes out within 2 ms instead of up to 20 ms later. Asterisk sees
        // one shortened interval between silence and speech, never two speech frames bunched.
        s.outbound.onWake = () => {
          if (lastWasSilent) paced.rephase();
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
        if (!ended) onFrame(frame);
      },
    };
    socket.on("data", (chunk: Buffer) => {
      if (ended) return;
      try {
        decoder.decode(chunk, sink);
      } catch (err) {
        // Garbage ends the call; so does a bug in its pipeline — never the server.
        end("protocol_error", err instanceof FrameError ? err.message : `session failed: ${(err as Error).message}`);
      }
    });
    // Asterisk ends a call by closing the socket (no 0x00 frame, observed on Asterisk 22).
    socket.on("end", () =>
      end("caller_hangup", decoder.buffered > 0 ? `stream ended inside a frame (${decoder.buffered} bytes)` : undefined),
    );
    socket.on("error", (err) => end("peer_error", err.message));
    socket.on("close", () => {
      sockets.delete(socket);
      end("caller_hangup");
    });
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
        server = createServer(handle);
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
