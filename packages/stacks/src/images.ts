// Names of the locally built base images. Set-up builds them (scripts/setup/images.ts); stacks
// and tests refer to them by the same names. Names are configuration: a user with a registry
// sets DSAI_IMAGE_NODE_BASE / DSAI_IMAGE_DEBIAN_BASE to public images instead.

/** Bump when the way an image is made changes, so every machine rebuilds it. */
export const NODE_BASE_RECIPE = 1;
export const DEBIAN_BASE_RECIPE = 1;

export type TBaseImages = { nodeBase: string; debianBase: string };

export function baseImageNames(env: NodeJS.ProcessEnv = process.env): TBaseImages {
  return {
    nodeBase: env.DSAI_IMAGE_NODE_BASE || `dsai/node-base:${process.versions.node}-r${NODE_BASE_RECIPE}`,
    debianBase: env.DSAI_IMAGE_DEBIAN_BASE || `dsai/debian-base:bookworm-r${DEBIAN_BASE_RECIPE}`,
  };
}
