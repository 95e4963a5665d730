export * from "./avr.ts";
export * from "./json-stream.ts";
export * from "./sts.ts";
export * from "./wav.ts";
