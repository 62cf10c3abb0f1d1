package dev.opskit.sysctl;

import dev.opskit.core.internal.OpskitStyle;
import org.immutables.value.Value;

/** One assignment of a key in a configuration file: the file, the line and the value set. */
@Value.Immutable
@OpskitStyle
public abstract class SysctlSource {
  SysctlSource() {}

  /** A builder; all attributes are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The key assigned. */
  public abstract SysctlKey key();

  /** The value assigned. */
  public abstract String value();

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
