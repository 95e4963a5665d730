// The floor under bench:core: the least a Node.js process can do for an AudioSocket call — read
// each frame and write one back (an echo, clocked by the caller's frames: no timer, no pipeline,
// no providers, no database). bench:core runs it on the core's CPU, under the same callers, so
// the core's CPU per call-second reads against what Node and this machine cost before any of the
// core's work. Its HTTP side answers what the callers ask of a core (echo-http.ts).
import { createServer } from "node:net";
import { FrameDecoder, FrameType, newAudioFrame, SLIN8_FRAME_BYTES } from "../apps/core/src/audiosocket/frame.ts";
import { listenEcho } from "./echo-http.ts";

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

listenEcho(audioSocket, `event loop, frame type 0x${FrameType.audio.toString(16)}`);
