// The floor of the core's own design under bench:core: the pacer and polled connections
// (apps/core/src/audiosocket) and nothing else — at each call's turn, read what the caller sent
// and write one frame back (the caller's last audio frame: an echo, on the pacer's clock).
// Beside bench/audiosocket-echo.ts (Node's own way: a read and a write per inbound frame, on the
// event loop) it shows what polling on a clock saves before any of the core's work. Its /metrics
// are the core's pacer metrics (send jitter, lateness, late frames): the pacer with no pipeline
// behind it, on the core's CPU — the floor of those figures on this machine.
import { createServer } from "node:net";
import { FrameDecoder, HEADER_BYTES, newAudioFrame, SLIN8_FRAME_BYTES, type TFrameSink } from "../apps/core/src/audiosocket/frame.ts";
import { Pacer } from "../apps/core/src/audiosocket/pacer.ts";
import { END_OF_STREAM, NOTHING_YET, PolledSocket } from "../apps/core/src/audiosocket/polled-socket.ts";
import { createMetrics } from "../apps/core/src/metrics.ts";
import { listenEcho } from "./echo-http.ts";

const pacer = new Pacer();
const readBuffer = Buffer.allocUnsafe(64 * 1024);
const audioSocket = createServer({ pauseOnConnect: true }, (socket) => {
  socket.setNoDelay(true);
  socket.on("error", () => {});
  const polled = new PolledSocket(socket);
  const decoder = new FrameDecoder();
  const echo = newAudioFrame();
  const sink: TFrameSink = {
    audio(pcm) {
      pcm.copy(echo, HEADER_BYTES, 0, SLIN8_FRAME_BYTES);
    },
    control() {},
  };
  const paced = pacer.add({
    turn() {
      try {
        const n = polled.read(readBuffer);
        if (n === END_OF_STREAM) throw new Error("closed");
        if (n !== NOTHING_YET) decoder.decode(readBuffer.subarray(0, n), sink);
        polled.write(echo);
      } catch {
        paced.remove();
        polled.release();
        socket.destroy();
      }
    },
  });
});

// Its frames go out from the pacer on the event loop: no sender thread, so no slice to report.
const metrics = createMetrics({ activeCalls: () => pacer.size, pacer: () => pacer.stats, senderSliceUs: () => 0, outboxBacklog: () => 0 });
listenEcho(audioSocket, "polled on the pacer's clock", metrics.render);
