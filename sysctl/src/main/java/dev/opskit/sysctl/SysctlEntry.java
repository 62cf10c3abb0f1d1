package dev.opskit.sysctl;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.sysctl.internal.Values;
import java.util.OptionalInt;
import org.immutables.value.Value;

/**
 * One line of a sysctl configuration file that means something: an assignment {@code key = value},
 * optionally with the {@code -} prefix of sysctl.d(5) that tells the loader to ignore a failure to
 * set it (the key is unknown on this kernel, or the write is refused), or an {@linkplain
 * #exclusion() exclusion} {@code -key} (no {@code =}), which keeps {@code key} out of the keys a
 * glob assignment such as {@code net.ipv4.conf.*.rp_filter = 2} sets. Values are a single line;
 * their inner whitespace is kept as written.
 *
 * <pre>{@code
 * SysctlEntry entry = SysctlEntry.of("fs.file-max", "2097152");
 * entry.render();   // "fs.file-max = 2097152"
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class SysctlEntry {
  SysctlEntry() {}

  /** A builder; {@code key} and {@code value} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** An assignment whose failure is not ignored. */
  public static SysctlEntry of(String key, String value) {
    return builder().key(SysctlKey.of(key)).value(value).build();
  }

  /**
   * An exclusion line {@code -key}: {@code key} (a single key or a pattern) is left out of glob
   * matches; it assigns nothing.
   */
  public static SysctlEntry exclusion(String key) {
    return builder().key(SysctlKey.of(key)).value("").exclusion(true).build();
  }

  /** The tunable assigned (or excluded), possibly a glob pattern. */
  public abstract SysctlKey key();

  /** The value written, as in the file (outer whitespace stripped); empty for an exclusion. */
  public abstract String value();

  /** True for a {@code -key} line without {@code =}: it excludes the key from glob matches. */
  @Value.Default
  public boolean exclusion() {
    return false;
  }

  /** True for a {@code -key = value} line: a failure to set it is logged and ignored. */
  @Value.Default
  public boolean ignoreFailure() {
    return false;
  }

  /** The 1-based line in the file it came from, when it was parsed. */
  @Value.Auxiliary
  public abstract OptionalInt line();

  /** The line as sysctl.d(5) reads it: {@code [-]key = value}, or {@code -key} for an exclusion. */
  public String render() {
    if (exclusion()) {
      return "-" + key().name();
    }
    return (ignoreFailure() ? "-" : "") + key().name() + " = " + value();
  }

  @Value.Check
  void check() {
    Values.check("value of " + key().name(), value());
    if (exclusion() && (!value().isEmpty() || ignoreFailure())) {
      throw new IllegalArgumentException(
          "exclusion of " + key().name() + " has no value and no ignore-failure flag");
    }
    line()
        .ifPresent(
            n -> {
              if (n < 1) {
                throw new IllegalArgumentException("line number must be positive, was " + n);
              }
            });
  }

  /** Builds a {@link SysctlEntry}. */
  public static final class Builder extends ImmutableSysctlEntry.Builder {
    Builder() {}
  }
}
