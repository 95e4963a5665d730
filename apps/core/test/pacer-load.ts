// Many calls, as far as the pacer can tell: streams that do nothing but keep every phase slot
// awake, so a test sees the pacer's behaviour under load (early starts, read slots) with one call.
import { type Pacer, SLOT_FILL, SLOTS } from "../src/audiosocket/pacer.ts";

export const wakeEverySlot = (pacer: Pacer) => Array.from({ length: SLOTS * SLOT_FILL }, () => pacer.add({ turn: () => {} }));
