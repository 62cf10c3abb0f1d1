package dev.opskit.sysctl;

import dev.opskit.core.internal.OpskitStyle;
import org.immutables.value.Value;

/**
 * One assignment (or exclusion) of a key in a configuration file: the file, the line and the value
 * set. The key is the one written on the line, which may be a glob pattern.
 */
@Value.Immutable
@OpskitStyle
public abstract class SysctlSource {
  SysctlSource() {}

  /** A builder; key, value, path and line are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The key assigned, as written on the line (possibly a glob pattern). */
  public abstract SysctlKey key();

  /** The value assigned; empty for an exclusion. */
  public abstract String value();

  /** True for an exclusion line {@code -key}, which assigns nothing. */
  @Value.Default
  public boolean exclusion() {
    return false;
  }

  /** True for an assignment whose failure is ignored ({@code -key = value}). */
  @Value.Default
  public boolean ignoreFailure() {
    return false;
  }

  /** The file's path. */
  public abstract String path();

  /** The 1-based line of the assignment (0 when the entry was not parsed from text). */
  public abstract int line();

  /** {@code path:line}, as compilers point at source. */
  public String location() {
    return path() + ":" + line();
  }

  /** Builds a {@link SysctlSource}. */
  public static final class Builder extends ImmutableSysctlSource.Builder {
    Builder() {}
  }
}
