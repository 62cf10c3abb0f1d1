package dev.opskit.cluster;

/** Which list of a pod's spec a container comes from. */
public enum ContainerKind {
  /** {@code spec.initContainers}: run to completion before the regular containers start. */
  INIT,
  /** {@code spec.containers}: the pod's regular containers. */
  REGULAR,
  /** {@code spec.ephemeralContainers}: added later for debugging ({@code kubectl debug}). */
  EPHEMERAL
}
