package dev.opskit.sysctl;

import dev.opskit.core.internal.OpskitStyle;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.immutables.value.Value;

/**
 * What a host's kernel reported for a set of keys, read in one command by {@link
 * SysctlApplier#observe(SysctlProfile)}: the live values (as read from {@code /proc/sys}, trailing
 * newline removed), the keys this kernel does not have, the keys that exist but could not be read
 * (write-only entries such as {@code net.ipv4.route.flush}, or permission denied), and the current
 * text of the profile's drop-in file, if there is one.
 *
 * <pre>{@code
 * SysctlObservation seen = SysctlObservation.of(Map.of(SysctlKey.of("fs.file-max"), "1000"));
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class SysctlObservation {
  SysctlObservation() {}

  /** A builder for an observation; everything is empty by default. */
  public static Builder builder() {
    return new Builder();
  }

  /** An observation of these live values and nothing else (no drop-in file on disk). */
  public static SysctlObservation of(Map<SysctlKey, String> values) {
    return builder().values(values).build();
  }

  /** The live values of the keys that exist and could be read. */
  public abstract Map<SysctlKey, String> values();

  /** Keys with no entry under {@code /proc/sys} on this kernel (or in this namespace). */
  public abstract Set<SysctlKey> unknown();

  /** Keys that exist but whose value could not be read. */
  public abstract Set<SysctlKey> unreadable();

  /** The text of the profile's drop-in file when it exists. */
  public abstract Optional<String> dropIn();

  /**
   * The network namespace the commands ran in, as {@code readlink /proc/self/ns/net} prints it
   * ({@code net:[4026531840]}), when it could be read.
   */
  public abstract Optional<String> networkNamespace();

  /** The network namespace of PID 1 (the host's), when it could be read (it needs root). */
  public abstract Optional<String> hostNetworkNamespace();

  /**
   * Whether {@code net.core.netdev_max_backlog}, which the kernel registers only in the host's
   * (initial) network namespace, is visible where the commands ran; empty when unknown.
   */
  public abstract Optional<Boolean> hostOnlyKeysVisible();

  /**
   * True when the commands ran inside a network namespace other than the host's ({@code ip netns
   * exec}, a container), where only {@code net.*} keys are the namespace's own and every other key
   * changes the whole host. Decided by comparing the two namespaces when both could be read, and
   * otherwise (PID 1's namespace is unreadable without root, or in some sandboxes) by whether
   * host-only keys are {@linkplain #hostOnlyKeysVisible() visible}.
   */
  public boolean inSeparateNetworkNamespace() {
    if (networkNamespace().isPresent() && hostNetworkNamespace().isPresent()) {
      return !networkNamespace().equals(hostNetworkNamespace());
    }
    return hostOnlyKeysVisible().map(visible -> !visible).orElse(false);
  }

  /** The live value of {@code key}, if it was read. */
  public Optional<String> value(SysctlKey key) {
    return Optional.ofNullable(values().get(key));
  }

  @Value.Check
  void check() {
    for (SysctlKey key : unknown()) {
      if (values().containsKey(key) || unreadable().contains(key)) {
        throw new IllegalArgumentException(
            "key " + key + " cannot be both unknown and read (or unreadable)");
      }
    }
    for (SysctlKey key : unreadable()) {
      if (values().containsKey(key)) {
        throw new IllegalArgumentException("key " + key + " cannot be both unreadable and read");
      }
    }
  }

  /** Builds a {@link SysctlObservation}. */
  public static final class Builder extends ImmutableSysctlObservation.Builder {
    Builder() {}
  }
}
