// ari-client ships no types; DSAI uses only connect() and wraps the client (control.ts).
declare module "ari-client" {
  const ari: { connect(url: string, user: string, password: string): Promise<unknown> };
  export default ari;
}
