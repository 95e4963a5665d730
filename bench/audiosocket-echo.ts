// The floor under bench:core: the least a Node.js process can do for an AudioSocket call — read
// each frame and write one back (an echo, clocked by the caller's frames: no timer, no pipeline,
// no providers, no database). bench:core runs it on the core's CPU, under the same callers, so
// the core's CPU per call-second reads against what Node and this machine cost before any of the
// core's work. It answers the two HTTP requests the callers make: POST /calls (a fresh UUID) and
// GET /metrics (nothing to report).
import { randomUUID } from "node:crypto";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { FrameDecoder, FrameType, newAudioFrame, SLIN8_FRAME_BYTES } from "../apps/core/src/audiosocket/frame.ts";

const httpPort = Number(process.env.ECHO_HTTP_PORT);
const audioSocketPort = Number(process.env.ECHO_AUDIOSOCKET_PORT);

const http = createHttpServer((req, res) => {
  req.resume();
  if (req.method === "POST" && req.url?.startsWith("/calls")) return void res.end(randomUUID());
  if (req.url === "/metrics") return void res.end("");
  res.writeHead(404).end();
});

const audioSocket = createServer((socket) => {
  socket.setNoDelay(true);
  const decoder = new FrameDecoder();
  const sink = {
    audio(pcm: Buffer) {
      // One write per frame, in a buffer of its own, as the core sends its frames.
      const frame = newAudioFrame();
      pcm.copy(frame, 3, 0, SLIN8_FRAME_BYTES);
      socket.write(frame);
    },
    control(frame: { kind: string }) {
      if (frame.kind === "hangup") socket.end();
    },
  };
  socket.on("data", (chunk: Buffer) => {
    try {
      decoder.decode(chunk, sink);
    } catch {
      socket.destroy();
    }
  });
  socket.on("error", () => {});
});

http.listen(httpPort, "127.0.0.1", () =>
  audioSocket.listen(audioSocketPort, "127.0.0.1", () => {
    process.stdout.write(`echo: HTTP on ${httpPort}, AudioSocket on ${audioSocketPort} (frame type 0x${FrameType.audio.toString(16)})\n`);
  }),
);
