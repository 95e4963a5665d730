import type { Metadata } from "next";
import localFont from "next/font/local";
import { Providers } from "../trpc/client.tsx";
import "./globals.css";

// Inter from the npm package: no font is fetched from the network at build or run time.
const inter = localFont({
  src: "../../../../node_modules/@fontsource-variable/inter/files/inter-latin-wght-normal.woff2",
  variable: "--font-inter",
  display: "swap",
});

export const metadata: Metadata = { title: "DSAI console", description: "AI voice agents on Asterisk" };

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en" className={inter.variable}>
      <body className="min-h-screen font-sans">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
