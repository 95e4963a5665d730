// A faithful ARI protocol peer for tests (not Asterisk): HTTP + WebSocket on 127.0.0.1 that
// serves the API listings a real Asterisk 22.10.1 served (ari-client downloads them at
// connect), checks basic auth, and answers the endpoints DSAI uses with the status codes and
// bodies recorded from that Asterisk (fixtures/ari-exchanges.json). Its state (modules,
// endpoints, channels) is set by the test; every request is recorded for assertions.
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";

const FIXTURES = new URL("./fixtures/", import.meta.url);

type TExchange = {
  note: string;
  request: { method: string; path: string };
  response: { status: number; contentType: string | null; body: unknown };
};
const RECORDED = JSON.parse(readFileSync(new URL("ari-exchanges.json", FIXTURES), "utf8")) as {
  exchanges: TExchange[];
  events: Record<string, unknown>[];
};

/** The recorded response of an exchange, by its note. */
function recorded(note: string): TExchange["response"] {
  const found = RECORDED.exchanges.find((e) => e.note === note);
  if (!found) throw new Error(`no recorded exchange "${note}"`);
  return found.response;
}

export type TPeerEndpoint = { technology: string; resource: string; state: string; channel_ids: string[] };
export type TPeerChannel = {
  id: string;
  name: string;
  state: string;
  dialplan: { context: string; exten: string; priority: number; app_name: string; app_data: string };
} & Record<string, unknown>;

export type TAriPeer = {
  url: string;
  user: string;
  password: string;
  requests: { method: string; path: string }[];
  /** Modules that load; a reload of one in `failingModules` answers 409 as Asterisk does. */
  modules: Set<string>;
  failingModules: Set<string>;
  endpoints: TPeerEndpoint[];
  channels: TPeerChannel[];
  /** Sends an event to every WebSocket subscribed to `app`. */
  emit(app: string, event: Record<string, unknown>): void;
  /** A recorded channel object (Asterisk's exact shape) with the given id, name and context. */
  channel(id: string, name: string, context: string): TPeerChannel;
  close(): Promise<void>;
};

function send(res: ServerResponse, status: number, body: unknown): void {
  if (body === null || body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

export async function startAriPeer(options: { user?: string; password?: string } = {}): Promise<TAriPeer> {
  const user = options.user ?? "dsai";
  const password = options.password ?? "peer-secret";
  const template = (recorded("active channels (2 calls Local->AudioSocket)").body as TPeerChannel[])[0] as TPeerChannel;
  const subscribers = new Map<string, Set<import("ws").WebSocket>>();
  let baseUrl = "";

  const peer: TAriPeer = {
    url: "",
    user,
    password,
    requests: [],
    modules: new Set(["res_pjsip.so", "pbx_config.so"]),
    failingModules: new Set(),
    endpoints: [],
    channels: [],
    emit(app, event) {
      for (const ws of subscribers.get(app) ?? []) ws.send(JSON.stringify({ ...event, application: app }));
    },
    channel(id, name, context) {
      return { ...structuredClone(template), id, name, dialplan: { ...template.dialplan, context } };
    },
    close: async () => {},
  };

  function authorized(req: IncomingMessage, url: URL): boolean {
    const header = req.headers.authorization;
    if (header?.startsWith("Basic ")) return Buffer.from(header.slice(6), "base64").toString() === `${user}:${password}`;
    return url.searchParams.get("api_key") === `${user}:${password}`;
  }

  function route(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", baseUrl);
    const path = url.pathname;
    peer.requests.push({ method: req.method ?? "", path: `${path}${url.search}` });
    if (!authorized(req, url)) {
      const r = recorded("no credentials -> 401");
      return send(res, r.status, r.body);
    }
    const docs = /^\/ari\/api-docs\/([a-zA-Z]+)\.json$/.exec(path);
    if (req.method === "GET" && docs) {
      // A real Asterisk 22 asks for credentials for the listings too; basePath points at this peer.
      let text: string;
      try {
        text = readFileSync(new URL(`ari-api-docs/${docs[1]}.json`, FIXTURES), "utf8");
      } catch {
        return send(res, 404, { message: "Not found" });
      }
      const listing = JSON.parse(text) as { basePath: string };
      listing.basePath = `${baseUrl}/ari`;
      return send(res, 200, listing);
    }
    if (req.method === "GET" && path === "/ari/asterisk/info") {
      const r = recorded("system info");
      return send(res, r.status, r.body);
    }
    const moduleMatch = /^\/ari\/asterisk\/modules\/([^/]+)$/.exec(path);
    if (moduleMatch) {
      const name = decodeURIComponent(moduleMatch[1] as string);
      if (!peer.modules.has(name)) return send(res, 404, recorded("reload unknown module").body);
      if (req.method === "PUT") {
        if (peer.failingModules.has(name)) return send(res, 409, { message: "Module could not be reloaded." });
        return send(res, 204, null);
      }
      if (req.method === "GET") return send(res, 200, { ...(recorded("module status").body as object), name });
    }
    if (req.method === "GET" && path === "/ari/endpoints") return send(res, 200, peer.endpoints);
    const techMatch = /^\/ari\/endpoints\/([^/]+)$/.exec(path);
    if (req.method === "GET" && techMatch)
      return send(
        res,
        200,
        peer.endpoints.filter((e) => e.technology === techMatch[1]),
      );
    const endpointMatch = /^\/ari\/endpoints\/([^/]+)\/([^/]+)$/.exec(path);
    if (req.method === "GET" && endpointMatch) {
      const found = peer.endpoints.find(
        (e) => e.technology === endpointMatch[1] && e.resource === decodeURIComponent(endpointMatch[2] ?? ""),
      );
      return found ? send(res, 200, found) : send(res, 404, recorded("unknown endpoint").body);
    }
    if (req.method === "GET" && path === "/ari/channels") return send(res, 200, peer.channels);
    const channelMatch = /^\/ari\/channels\/([^/]+)$/.exec(path);
    if (channelMatch) {
      const id = decodeURIComponent(channelMatch[1] as string);
      const index = peer.channels.findIndex((c) => c.id === id);
      if (index === -1) return send(res, 404, recorded("hang up unknown channel").body);
      if (req.method === "GET") return send(res, 200, peer.channels[index]);
      if (req.method === "DELETE") {
        peer.channels.splice(index, 1);
        return send(res, 204, null);
      }
    }
    if (req.method === "GET" && path === "/ari/applications") return send(res, 200, recorded("registered Stasis apps").body);
    send(res, 404, { message: "Resource not found" });
  }

  const server: Server = createServer(route);
  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", baseUrl);
    peer.requests.push({ method: "WS", path: `${url.pathname}${url.search}` });
    const app = url.searchParams.get("app");
    if (url.pathname !== "/ari/events" || !app || !authorized(req, url)) {
      socket.end("HTTP/1.1 401 Unauthorized\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const set = subscribers.get(app) ?? new Set();
      set.add(ws);
      subscribers.set(app, set);
      ws.on("close", () => set.delete(ws));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  peer.url = baseUrl;
  peer.close = async () => {
    for (const set of subscribers.values()) for (const ws of set) ws.terminate();
    wss.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return peer;
}

/** The StasisStart event recorded from a real Asterisk, for tests that feed events. */
export const RECORDED_EVENTS = RECORDED.events;
