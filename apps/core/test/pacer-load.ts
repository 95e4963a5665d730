// Many calls, as far as the pacer can tell: streams that do nothing but keep every phase slot
// awake, so a test sees the pacer's behaviour under load (early starts, read slots) with one call.
// Given the frame sender that clocks the pacer, each also holds a muted line there (no descriptor,
// nothing sent), as every connection of the server does before its UUID: the sender wakes for
// the slots the pacer counts as awake.
import type { FrameSender } from "../src/audiosocket/frame-sender.ts";
import { type Pacer, SLOT_FILL, SLOTS } from "../src/audiosocket/pacer.ts";

export const wakeEverySlot = (pacer: Pacer, sender?: FrameSender) =>
  Array.from({ length: SLOTS * SLOT_FILL }, () => {
    const paced = pacer.add({ turn: () => {} });
    const line = sender?.open(-1, paced.slot);
    return {
      remove() {
        paced.remove();
        void line?.close(false);
      },
    };
  });
