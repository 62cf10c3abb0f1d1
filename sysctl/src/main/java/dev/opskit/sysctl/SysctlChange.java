package dev.opskit.sysctl;

import dev.opskit.core.internal.OpskitStyle;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * What a {@link SysctlPlan} decided for one key that is not already as desired: write it, keep a
 * larger live value (raise-only), skip it (optional and unknown on this kernel), or block the apply
 * (required but unknown on this kernel, a value the kernel cannot take, or a key that would change
 * the whole host from inside a network namespace).
 */
@Value.Immutable
@OpskitStyle
public abstract class SysctlChange {

  /** The decision for one key. */
  public enum Action {
    /** Write {@link #after()} to the kernel. */
    SET,
    /** Raise-only: the live value is larger and is kept (and persisted) as it is. */
    KEEP_HIGHER,
    /** Optional key unknown on this kernel: left out. */
    SKIP_UNKNOWN,
    /** Required key unknown on this kernel: applying is refused until it exists. */
    BLOCKED_UNKNOWN,
    /** The value does not have the shape of the live value (a word where a number is). */
    BLOCKED_INVALID,
    /**
     * The commands run inside a network namespace other than the host's, and this key is not scoped
     * to network namespaces: setting it would change the whole host. Refused unless the applier
     * allows host-wide keys.
     */
    BLOCKED_HOST_WIDE;

    /** True for the actions that refuse the whole apply. */
    public boolean blocks() {
      return this == BLOCKED_UNKNOWN || this == BLOCKED_INVALID || this == BLOCKED_HOST_WIDE;
    }
  }

  SysctlChange() {}

  /** A builder; {@code key}, {@code to} and {@code action} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The key decided on. */
  public abstract SysctlKey key();

  /** The live value before, when known. */
  public abstract Optional<String> before();

  /**
   * The value the kernel will hold after applying (for {@link Action#KEEP_HIGHER}, the kept live
   * value).
   */
  public abstract String after();

  /** What happens to the key. */
  public abstract Action action();

  /** Why a key is blocked, for people. */
  public abstract Optional<String> reason();

  /** One line for people, such as {@code set fs.file-max: 1000 -> 2097152}. */
  public String render() {
    String before = before().orElse("?");
    switch (action()) {
      case SET:
        return "set " + key() + ": " + before + " -> " + after();
      case KEEP_HIGHER:
        return "keep " + key() + " = " + after() + " (raise-only: higher than the profile's value)";
      case SKIP_UNKNOWN:
        return "skip " + key() + " (optional, unknown on this kernel)";
      case BLOCKED_INVALID:
      case BLOCKED_HOST_WIDE:
        return "blocked " + key() + ": " + reason().orElse("refused") + " (wanted " + after() + ")";
      default:
        return "blocked " + key() + " (unknown on this kernel; wanted " + after() + ")";
    }
  }

  /** Builds a {@link SysctlChange}. */
  public static final class Builder extends ImmutableSysctlChange.Builder {
    Builder() {}
  }
}
