import type { NextConfig } from "next";

const config: NextConfig = {
  // The workspace packages are TypeScript sources (exports point at src/*.ts).
  transpilePackages: ["@dsai/contracts", "@dsai/db", "@dsai/postgres"],
  // Native addons and Node-only clients stay outside the bundle.
  serverExternalPackages: ["@node-rs/argon2", "pg", "pg-boss", "@prisma/client", "@prisma/adapter-pg"],
  poweredByHeader: false,
  typescript: { ignoreBuildErrors: false },
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Frame-Options", value: "DENY" },
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "same-origin" },
        ],
      },
    ];
  },
};
export default config;
