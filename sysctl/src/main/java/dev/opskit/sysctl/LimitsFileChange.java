package dev.opskit.sysctl;

import dev.opskit.core.internal.OpskitStyle;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * What a {@link LimitsPlan} decided for one file of a {@link LimitsProfile}: create it, replace its
 * content, or leave it as it is.
 */
@Value.Immutable
@OpskitStyle
public abstract class LimitsFileChange {

  /** The decision for one file. */
  public enum Action {
    /** The file does not exist yet. */
    CREATE,
    /** The file exists with other content; it is replaced atomically. */
    UPDATE,
    /** The file already holds exactly the desired content. */
    UNCHANGED
  }

  LimitsFileChange() {}

  /** A builder; {@code path}, {@code content} and {@code action} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The absolute path of the file on the target. */
  public abstract String path();

  /** The systemd unit the file is a drop-in for; empty for the limits.d file. */
  public abstract Optional<String> unit();

  /** The content on the target before, when the file exists. */
  public abstract Optional<String> before();

  /** The content the file must hold. */
  public abstract String content();

  /** What happens to the file. */
  public abstract Action action();

  /** True unless the file is already {@linkplain Action#UNCHANGED as desired}. */
  public boolean changes() {
    return action() != Action.UNCHANGED;
  }

  /** One line for people, such as {@code create /etc/security/limits.d/99-opskit-node.conf}. */
  public String render() {
    String line = action().name().toLowerCase(java.util.Locale.ROOT) + " " + path();
    if (changes() && unit().isPresent()) {
      line += " (then daemon-reload and restart " + unit().get() + ")";
    }
    return line;
  }

  /** Builds a {@link LimitsFileChange}. */
  public static final class Builder extends ImmutableLimitsFileChange.Builder {
    Builder() {}
  }
}
