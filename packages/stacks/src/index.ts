export { ensureHostFirewall, HOST_FIREWALL_CHAIN, TENANT_BRIDGE_PREFIX, tenantBridgeName } from "./platform/host-firewall.ts";
export { forwardFromGateway } from "./platform/host-forward.ts";
export {
  hostGatewayOf,
  platformObjectNames,
  type TPlatformStackOptions,
  ZDockerNameSchema,
  ZPlatformStackOptionsSchema,
} from "./platform/options.ts";
export { PlatformStack } from "./platform/platform-stack.ts";
export * from "./provisioner/progress.ts";
export * from "./provisioner/provisioner.ts";
export * from "./provisioner/run-lock.ts";
export { synthStack } from "./synth.ts";
export { DockerTenantStack } from "./tenant/docker/tenant-stack.ts";
export { KubernetesTenantStack, type TKubernetesTarget, ZKubernetesTargetSchema } from "./tenant/kubernetes/tenant-stack.ts";
export * from "./tenant/options.ts";
export * from "./tofu.ts";
export * from "./toolchain.ts";
