export * from "./client.ts";
export * from "./contracts.ts";
