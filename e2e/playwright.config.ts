// Playwright drives Debian's Chromium (no browser download: none is reachable offline).
// The flags keep Chromium from calling home, which a closed network answers with refusals.
import { defineConfig } from "@playwright/test";

const chromium = process.env.DSAI_CHROMIUM ?? "/usr/bin/chromium";

export default defineConfig({
  testDir: "tests",
  timeout: 60_000,
  workers: 1,
  retries: 0,
  use: {
    headless: true,
    launchOptions: {
      executablePath: chromium,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    },
  },
});
