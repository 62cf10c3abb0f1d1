package dev.opskit.iptables;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.iptables.internal.Options;
import dev.opskit.iptables.internal.Tokens;
import java.util.List;
import org.immutables.value.Value;

/**
 * {@code -j LOG}: log the packet to the kernel log and continue, with a prefix, a syslog level and
 * what to include.
 *
 * <pre>{@code
 * LogTarget drops = LogTarget.builder().prefix("opskit drop: ").level(6).logUid(true).build();
 * }</pre>
 */
@Value.Immutable
@OpskitStyle
public abstract class LogTarget implements TargetExtension {
  private static final List<String> LEVELS =
      List.of("emerg", "alert", "crit", "error", "warning", "notice", "info", "debug");

  LogTarget() {}

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** {@code --log-prefix}: at most 29 characters; empty for none. */
  @Value.Default
  public String prefix() {
    return "";
  }

  /** {@code --log-level}: syslog level 0-7, 4 (warning) by default. */
  @Value.Default
  public int level() {
    return 4;
  }

  /** {@code --log-tcp-sequence}. */
  @Value.Default
  public boolean logTcpSequence() {
    return false;
  }

  /** {@code --log-tcp-options}. */
  @Value.Default
  public boolean logTcpOptions() {
    return false;
  }

  /** {@code --log-ip-options}. */
  @Value.Default
  public boolean logIpOptions() {
    return false;
  }

  /** {@code --log-uid}. */
  @Value.Default
  public boolean logUid() {
    return false;
  }

  /** {@code --log-macdecode}. */
  @Value.Default
  public boolean logMacDecode() {
    return false;
  }

  /** Parses the options of {@code -j LOG} (a level may be a number or a name). */
  public static LogTarget parse(List<String> options) {
    Builder b = builder();
    for (Options.Option o : Options.read(options)) {
      o.plain();
      switch (o.name()) {
        case "--log-prefix" -> b.prefix(Tokens.unquote(o.value()));
        case "--log-level" -> {
          String level =
              o.value().equals("err") ? "error" : o.value().equals("warn") ? "warning" : o.value();
          b.level(LEVELS.contains(level) ? LEVELS.indexOf(level) : Integer.parseInt(level));
        }
        case "--log-tcp-sequence" -> b.logTcpSequence(o.flag() != null);
        case "--log-tcp-options" -> b.logTcpOptions(o.flag() != null);
        case "--log-ip-options" -> b.logIpOptions(o.flag() != null);
        case "--log-uid" -> b.logUid(o.flag() != null);
        case "--log-macdecode" -> b.logMacDecode(o.flag() != null);
        default -> throw new IllegalArgumentException("unknown option " + o.name());
      }
    }
    return b.build();
  }

  @Override
  public String name() {
    return "LOG";
  }

  @Override
  public List<String> options() {
    Options out = Options.writer();
    if (!prefix().isEmpty()) {
      out.add("--log-prefix", Tokens.quote(prefix()));
    }
    if (level() != 4) {
      out.add("--log-level", Integer.toString(level()));
    }
    return out.flag(logTcpSequence(), "--log-tcp-sequence")
        .flag(logTcpOptions(), "--log-tcp-options")
        .flag(logIpOptions(), "--log-ip-options")
        .flag(logUid(), "--log-uid")
        .flag(logMacDecode(), "--log-macdecode")
        .tokens();
  }

  @Override
  public String describe() {
    return "log at " + LEVELS.get(level()) + (prefix().isEmpty() ? "" : " as '" + prefix() + "'");
  }

  @Value.Check
  void check() {
    if (prefix().length() > 29 || prefix().indexOf('\n') >= 0 || prefix().indexOf('\0') >= 0) {
      throw new IllegalArgumentException(
          "log prefix '" + prefix().replace("\n", "\\n") + "' must be at most 29 chars, one line");
    }
    if (level() < 0 || level() > 7) {
      throw new IllegalArgumentException("log level " + level() + " must be between 0 and 7");
    }
  }

  /** Builds a {@link LogTarget}. */
  public static final class Builder extends ImmutableLogTarget.Builder {
    Builder() {}
  }
}
