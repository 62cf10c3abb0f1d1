package dev.opskit.sysctl;

/** Where Kubernetes lets a sysctl be set. */
public enum KubernetesSysctlScope {
  /**
   * On the kubelet's safe list: namespaced and isolated between pods, allowed in any pod's {@code
   * securityContext.sysctls} without node configuration.
   */
  POD_SAFE,
  /**
   * Namespaced (network or IPC namespace) but not on the safe list: a pod may set it only on nodes
   * whose kubelet runs with {@code --allowed-unsafe-sysctls} (or {@code allowedUnsafeSysctls})
   * naming it; schedule such pods onto those nodes with taints and tolerations.
   */
  NAMESPACED_UNSAFE,
  /**
   * Not namespaced ({@code fs.file-max}, {@code fs.inotify.*}, {@code vm.*}, most {@code
   * kernel.*}): one value for the whole host, set on the node (for example with {@link
   * SysctlApplier}), never from a pod.
   */
  NODE_LEVEL
}
