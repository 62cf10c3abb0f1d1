package dev.opskit.sysctl;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.sysctl.internal.Values;
import java.util.OptionalInt;
import org.immutables.value.Value;

/**
 * One assignment in a sysctl configuration file: {@code key = value}, optionally with the {@code -}
 * prefix of sysctl.d(5) that tells the loader to ignore a failure to set it (the key is unknown on
 * this kernel, or the write is refused). Values are a single line; their inner whitespace is kept
 * as written.
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

  /** The tunable assigned. */
  public abstract SysctlKey key();

  /** The value written, as in the file (outer whitespace stripped). */
  public abstract String value();

  /** True for a {@code -key = value} line: a failure to set it is logged and ignored. */
  @Value.Default
  public boolean ignoreFailure() {
    return false;
  }

  /** The 1-based line in the file it came from, when it was parsed. */
  @Value.Auxiliary
  public abstract OptionalInt line();

  /** The line as sysctl.d(5) reads it: {@code [-]key = value}. */
  public String render() {
    return (ignoreFailure() ? "-" : "") + key().name() + " = " + value();
  }

  @Value.Check
  void check() {
    Values.check("value of " + key().name(), value());
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
