package dev.opskit.sysctl;

import dev.opskit.core.internal.OpskitStyle;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * How Kubernetes treats one sysctl key: its {@link KubernetesSysctlScope}, the minimum kernel
 * version the kubelet needs before it counts the key as pod-safe, and a note for people. Produced
 * by {@link KubernetesSysctls#classify(SysctlKey)}.
 */
@Value.Immutable
@OpskitStyle
public abstract class KubernetesSysctl {
  KubernetesSysctl() {}

  /** A builder; {@code key}, {@code scope} and {@code note} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The key classified. */
  public abstract SysctlKey key();

  /** Where it may be set. */
  public abstract KubernetesSysctlScope scope();

  /**
   * For pod-safe keys: the kernel version from which the key is namespaced and the kubelet lists it
   * as safe (on older kernels the kubelet drops it from the safe list).
   */
  public abstract Optional<String> minimumKernel();

  /** A one-line explanation. */
  public abstract String note();

  /** Builds a {@link KubernetesSysctl}. */
  public static final class Builder extends ImmutableKubernetesSysctl.Builder {
    Builder() {}
  }
}
