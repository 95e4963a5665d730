// A caller on a real SIP path: SIPp (Debian's sip-tester) sends the INVITE, ACK and answers the
// far end's BYE; this module is the caller's phone for media: an RTP endpoint (G.711 µ-law,
// 20 ms packets on a monotonic clock, silence when not speaking) whose port the INVITE's SDP
// names, sending to the answer's SDP address and then wherever the far end's packets come from.
// It listens for the far end's voice and, once it has spoken and gone quiet, says the
// next line of its script — like a person on the phone. Loopback only.
import { spawn } from "node:child_process";
import { createSocket, type RemoteInfo } from "node:dgram";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PACKET_MS = 20;
const SAMPLES = 160;
/** Mean absolute amplitude (PCM16) above which a packet counts as voice, not silence. */
const VOICE_LEVEL = 300;

// G.711 µ-law (ITU-T G.711), enough for a test phone.
const BIAS = 0x84;
export function ulawEncode(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  let magnitude = Math.min(Math.abs(sample), 32635) + BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (magnitude & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  magnitude = 0;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}
export function ulawDecode(byte: number): number {
  const u = ~byte & 0xff;
  const magnitude = ((((u & 0x0f) << 3) + BIAS) << ((u & 0x70) >> 4)) - BIAS;
  return u & 0x80 ? -magnitude : magnitude;
}

export type TSpokenStretch = { startMs: number; endMs: number };
export type TSipCallResult = {
  /** SIPp's exit code: 0 when the whole scenario (up to the far end's BYE) ran. */
  sippExit: number | null;
  sippOutput: string;
  /** Stretches of voice received from the far end, in ms since media started (answer or first packet). */
  heard: TSpokenStretch[];
  /** When each line of the script started and ended, in the same time base. */
  said: TSpokenStretch[];
  packetsReceived: number;
  /** The far end's media address and port from its SDP answer. */
  farMedia: { address: string; port: number } | undefined;
};

function scenario(o: { number: string; caller: string; rtpPort: number; byeTimeoutMs: number }): string {
  const headers = (method: string, cseq: number) =>
    [
      `${method} sip:[service]@[remote_ip]:[remote_port] SIP/2.0`,
      "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
      `From: <sip:${o.caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]`,
      `To: <sip:[service]@[remote_ip]:[remote_port]>${method === "INVITE" ? "" : "[peer_tag_param]"}`,
      "Call-ID: [call_id]",
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:${o.caller}@[local_ip]:[local_port]>`,
      "Max-Forwards: 70",
    ].join("\n");
  const sdp = [
    "v=0",
    "o=- 1 1 IN IP4 127.0.0.1",
    "s=-",
    "c=IN IP4 127.0.0.1",
    "t=0 0",
    `m=audio ${o.rtpPort} RTP/AVP 0`,
    "a=rtpmap:0 PCMU/8000",
    "a=ptime:20",
    "a=sendrecv",
  ].join("\n");
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="dsai caller">
  <send retrans="500"><![CDATA[
${headers("INVITE", 1)}
Content-Type: application/sdp
Content-Length: [len]

${sdp}
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true">
    <action>
      <ereg regexp="c=IN IP4 ([0-9.]+)" search_in="body" check_it="true" assign_to="c_line,media_ip"/>
      <ereg regexp="m=audio ([0-9]+)" search_in="body" check_it="true" assign_to="m_line,media_port"/>
      <!-- SIPp refuses a variable assigned and never read: the log line names the whole matches too. -->
      <log message="far-media [$media_ip] [$media_port] (from [$c_line] and [$m_line])"/>
    </action>
  </recv>
  <send><![CDATA[
${headers("ACK", 1)}
Content-Length: 0
]]></send>
  <recv request="BYE" timeout="${o.byeTimeoutMs}"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
]]></send>
</scenario>
`;
}

function rtpPacket(payload: Buffer, seq: number, timestamp: number, ssrc: number): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80; // version 2
  header[1] = 0; // PCMU
  header.writeUInt16BE(seq & 0xffff, 2);
  header.writeUInt32BE(timestamp >>> 0, 4);
  header.writeUInt32BE(ssrc, 8);
  return Buffer.concat([header, payload]);
}

/**
 * Calls `number` through Asterisk at 127.0.0.1:`asteriskPort` from SIP source port `sourcePort`,
 * says each of `lines` (PCM16 8 kHz mono) after the far end has spoken and gone quiet for
 * `quietMs`, and returns when the far end hangs up (or `timeoutMs` passes).
 */
export async function sipCall(o: {
  asteriskPort: number;
  sourcePort: number;
  number: string;
  caller: string;
  lines: Buffer[];
  quietMs?: number;
  timeoutMs?: number;
}): Promise<TSipCallResult> {
  // Both go into SIPp's scenario and command line: nothing but SIP user characters.
  if (!/^\+?[0-9]{2,15}$/.test(o.number) || !/^[A-Za-z0-9_+-]{1,64}$/.test(o.caller)) throw new Error("bad number or caller");
  const quietMs = o.quietMs ?? 1_200;
  const timeoutMs = o.timeoutMs ?? 60_000;
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const rtpPort = socket.address().port;
  const dir = mkdtempSync(join(tmpdir(), "dsai-sipp-"));
  writeFileSync(join(dir, "caller.xml"), scenario({ number: o.number, caller: o.caller, rtpPort, byeTimeoutMs: timeoutMs }));

  const heard: TSpokenStretch[] = [];
  const said: TSpokenStretch[] = [];
  let packetsReceived = 0;
  /** Where the far end's media is: its SDP's address (on this machine) first, then where its packets come from (symmetric RTP). */
  let far: Pick<RemoteInfo, "address" | "port"> | undefined;
  let heardFrom = false;
  let farMedia: { address: string; port: number } | undefined;
  const logFile = join(dir, "actions.log");
  let origin = 0;
  const now = () => performance.now() - origin;
  let lastVoiceAt = -1;
  socket.on("message", (msg, from) => {
    if (msg.length <= 12 || (msg[0] ?? 0) >> 6 !== 2) return;
    if (!heardFrom) {
      if (!far) origin = performance.now();
      far = from;
      heardFrom = true;
    }
    packetsReceived++;
    let sum = 0;
    for (let i = 12; i < msg.length; i++) sum += Math.abs(ulawDecode(msg[i] ?? 0xff));
    if (sum / (msg.length - 12) < VOICE_LEVEL) return;
    const t = now();
    const last = heard.at(-1);
    if (last && t - last.endMs < 200) last.endMs = t;
    else heard.push({ startMs: t, endMs: t });
    lastVoiceAt = t;
  });

  // A phone sends its media where the far end's SDP says as soon as the call is answered, which
  // a far end behind a NAT (Docker's port publishing) needs before it can answer symmetrically.
  // Only an address of this machine is ever sent to.
  const farFromSdp = () => {
    const m = /far-media ([0-9.]+) ([0-9]+) /.exec(existsSync(logFile) ? readFileSync(logFile, "utf8") : "");
    if (!m) return;
    farMedia = { address: m[1] as string, port: Number(m[2]) };
    if (!far && farMedia.address === "127.0.0.1") {
      far = farMedia;
      origin = performance.now();
    }
  };

  // The phone's send loop: one packet per 20 ms on a monotonic grid, speech or silence.
  const ssrc = Math.floor(Math.random() * 0xffffffff);
  const silence = Buffer.alloc(SAMPLES, 0xff);
  let seq = 0;
  let next = 0;
  let speaking: { pcm: Buffer; offset: number } | undefined;
  let heardSinceLastLine = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    if (!farMedia) farFromSdp();
    if (far) {
      if (lastVoiceAt >= 0 && (said.length === 0 || lastVoiceAt > (said.at(-1)?.endMs ?? 0))) heardSinceLastLine = true;
      const line = o.lines[said.length];
      if (!speaking && line && heardSinceLastLine && now() - lastVoiceAt >= quietMs) {
        speaking = { pcm: line, offset: 0 };
        said.push({ startMs: now(), endMs: now() });
        heardSinceLastLine = false;
      }
      let payload = silence;
      if (speaking) {
        payload = Buffer.alloc(SAMPLES, 0xff);
        for (let i = 0; i < SAMPLES && speaking.offset + 1 < speaking.pcm.length; i++, speaking.offset += 2) {
          payload[i] = ulawEncode(speaking.pcm.readInt16LE(speaking.offset));
        }
        const current = said.at(-1);
        if (current) current.endMs = now();
        if (speaking.offset + 1 >= speaking.pcm.length) speaking = undefined;
      }
      socket.send(rtpPacket(payload, seq, seq * SAMPLES, ssrc), far.port, far.address);
      seq++;
    }
    next += PACKET_MS;
    timer = setTimeout(tick, Math.max(0, next - (performance.now() - started)));
  };
  const started = performance.now();
  tick();

  const sipp = spawn(
    "sipp",
    [
      `127.0.0.1:${o.asteriskPort}`,
      ...["-sf", join(dir, "caller.xml"), "-m", "1", "-i", "127.0.0.1", "-p", String(o.sourcePort), "-s", o.number],
      ...["-trace_logs", "-log_file", logFile],
      ...["-timeout", `${Math.ceil(timeoutMs / 1000) + 5}s`, "-timeout_error", "-nostdin"],
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let sippOutput = "";
  sipp.stdout.on("data", (d: Buffer) => {
    sippOutput += d.toString();
  });
  sipp.stderr.on("data", (d: Buffer) => {
    sippOutput += d.toString();
  });
  const sippExit = await new Promise<number | null>((resolve) => {
    sipp.on("error", (err) => {
      sippOutput += `cannot run sipp: ${err.message}`;
      resolve(null);
    });
    sipp.on("close", (code) => resolve(code));
  });
  clearTimeout(timer);
  socket.close();
  rmSync(dir, { recursive: true, force: true });
  return { sippExit, sippOutput: sippOutput.slice(-4_000), heard, said, packetsReceived, farMedia };
}

/**
 * A SIP registrar and trunk peer on 127.0.0.1:`port` (SIPp as server): answers every REGISTER
 * and OPTIONS (qualify) with 200 OK, so a registering trunk pointed at it registers for real.
 */
export async function startSipRegistrar(port: number): Promise<{ output(): string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "dsai-sipp-registrar-"));
  writeFileSync(
    join(dir, "registrar.xml"),
    `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="dsai registrar">
  <recv request="(REGISTER|OPTIONS)" regexp_match="true"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
[last_Contact:]
Expires: 3600
Content-Length: 0
]]></send>
</scenario>
`,
  );
  const sipp = spawn("sipp", ["-sf", join(dir, "registrar.xml"), "-i", "127.0.0.1", "-p", String(port), "-nostdin"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  sipp.stdout.on("data", (d: Buffer) => {
    output += d.toString();
  });
  sipp.stderr.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const closed = new Promise<void>((resolve) => sipp.on("close", () => resolve()));
  return {
    output: () => output.slice(-4_000),
    async stop() {
      sipp.kill("SIGTERM");
      await closed;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
