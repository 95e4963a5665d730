// Proves the browser chain: Debian's Chromium, driven by Playwright, loads a page served on
// 127.0.0.1 and runs its script. The sign-up-to-call test builds on the same set-up.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "@playwright/test";

const PAGE = `<!doctype html><html><head><title>DSAI smoke</title></head><body>
<button id="ring">Ring</button><p id="status">idle</p>
<script>document.getElementById("ring").addEventListener("click", async () => {
  const res = await fetch("/api/ping", { method: "POST" });
  document.getElementById("status").textContent = (await res.json()).answer;
});</script></body></html>`;

let server: Server;
let baseUrl: string;
const pings: string[] = [];

test.beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.method === "POST" && req.url === "/api/ping") {
      pings.push(req.headers["user-agent"] ?? "");
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ answer: "pong" }));
      return;
    }
    res.setHeader("content-type", "text/html");
    res.end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

test("Chromium opens a page on 127.0.0.1 and its script reaches the server", async ({ page }) => {
  await page.goto(baseUrl);
  await expect(page).toHaveTitle("DSAI smoke");
  await page.click("#ring");
  await expect(page.locator("#status")).toHaveText("pong");
  expect(pings).toHaveLength(1);
  expect(pings[0]).toMatch(/Chrome/);
});
