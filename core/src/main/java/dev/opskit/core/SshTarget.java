package dev.opskit.core;

import dev.opskit.core.internal.IpLiterals;
import dev.opskit.core.internal.OpskitStyle;
import java.util.regex.Pattern;
import org.immutables.value.Value;

/**
 * Where an {@link SshExecutor} connects: a user name, a host (name, IPv4 or IPv6 address) and a
 * port. Immutable and validated when built.
 *
 * <pre>{@code
 * SshTarget node = SshTarget.parse("ssh://ops@node-1.example.com:2222");
 * SshTarget same = SshTarget.parse("ops@node-1.example.com:2222");
 * SshTarget v6 = SshTarget.parse("ops@[fd00:198:18::5]");      // port 22
 * SshTarget built = SshTarget.of("ops", "10.0.0.5", 22);
 * }</pre>
 *
 * <p>User names follow the portable POSIX rule ({@code [A-Za-z0-9._][A-Za-z0-9._-]*}, optionally
 * ending in {@code $}); host names are dot-separated labels of letters, digits, {@code -} and
 * {@code _} that neither start nor end with {@code -}. Anything else, such as a value starting with
 * {@code -} that a command line would read as an option, is rejected.
 */
@Value.Immutable
@OpskitStyle
public abstract class SshTarget {
  /** The port SSH servers listen on unless told otherwise. */
  public static final int DEFAULT_PORT = 22;

  private static final String SCHEME = "ssh://";
  private static final Pattern USER = Pattern.compile("[A-Za-z0-9._][A-Za-z0-9._-]*\\$?");
  private static final Pattern LABEL =
      Pattern.compile("[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?");
  private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");
  private static final Pattern ZONE = Pattern.compile("[A-Za-z0-9_.-]{1,15}");

  SshTarget() {}

  /** A builder; {@code user} and {@code host} are required, the port defaults to 22. */
  public static Builder builder() {
    return new Builder();
  }

  /** The target {@code user@host:22}. */
  public static SshTarget of(String user, String host) {
    return builder().user(user).host(host).build();
  }

  /** The target {@code user@host:port}. */
  public static SshTarget of(String user, String host, int port) {
    return builder().user(user).host(host).port(port).build();
  }

  /**
   * Parses {@code ssh://user@host[:port]} or {@code user@host[:port]}. IPv6 addresses go in
   * brackets, as in {@code ops@[fd00::5]:2222}.
   *
   * @throws IllegalArgumentException naming the value and what is wrong with it
   */
  public static SshTarget parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("ssh target must not be null");
    }
    String rest = text;
    if (rest.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
      rest = rest.substring(SCHEME.length());
    }
    int at = rest.indexOf('@');
    if (at < 0) {
      throw invalid(text, "must have the form [ssh://]user@host[:port]");
    }
    String user = rest.substring(0, at);
    String hostAndPort = rest.substring(at + 1);
    String host;
    String port = null;
    if (hostAndPort.startsWith("[")) {
      int close = hostAndPort.indexOf(']');
      if (close < 0) {
        throw invalid(text, "has '[' without a closing ']' around the IPv6 address");
      }
      host = hostAndPort.substring(1, close);
      String after = hostAndPort.substring(close + 1);
      if (!after.isEmpty()) {
        if (!after.startsWith(":")) {
          throw invalid(text, "may only have ':port' after the bracketed address");
        }
        port = after.substring(1);
      }
      if (!host.contains(":")) {
        throw invalid(text, "has brackets around '" + host + "', which is not an IPv6 address");
      }
    } else {
      int colon = hostAndPort.indexOf(':');
      if (colon >= 0 && hostAndPort.indexOf(':', colon + 1) >= 0) {
        throw invalid(text, "must put an IPv6 address in brackets, as in user@[fd00::1]:22");
      }
      host = colon < 0 ? hostAndPort : hostAndPort.substring(0, colon);
      port = colon < 0 ? null : hostAndPort.substring(colon + 1);
    }
    Builder builder = builder().user(user).host(host);
    if (port != null) {
      if (!PORT.matcher(port).matches()) {
        throw invalid(text, "has port '" + port + "', which is not a number from 1 to 65535");
      }
      builder.port(Integer.parseInt(port));
    }
    try {
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("ssh target '" + text + "': " + e.getMessage(), e);
    }
  }

  /** The user to log in as. */
  public abstract String user();

  /** The host name or IP address, IPv6 without brackets. */
  public abstract String host();

  /** The TCP port, 22 by default. */
  @Value.Default
  public int port() {
    return DEFAULT_PORT;
  }

  /** True when {@link #host()} is an IPv6 address. */
  public boolean isIpv6() {
    return host().contains(":");
  }

  /** The host as written in URLs and known_hosts files: IPv6 addresses in brackets. */
  public String hostForUri() {
    return isIpv6() ? "[" + host() + "]" : host();
  }

  /** The target as {@code ssh://user@host:port}, which {@link #parse} reads back. */
  @Override
  public String toString() {
    return SCHEME + user() + "@" + hostForUri() + ":" + port();
  }

  @Value.Check
  void check() {
    if (!USER.matcher(user()).matches()) {
      throw new IllegalArgumentException(
          "user '" + user() + "' must match " + USER.pattern() + " (and not be empty)");
    }
    String host = host();
    if (host.isEmpty()) {
      throw new IllegalArgumentException("host must not be empty");
    }
    if (host.contains(":")) {
      if (!isIpv6Host(host)) {
        throw new IllegalArgumentException(
            "host '" + host + "' is not a valid IPv6 address (with an optional %zone)");
      }
    } else if (!isHostName(host)) {
      throw new IllegalArgumentException(
          "host '"
              + host
              + "' must be an IP address or a host name of dot-separated labels"
              + " (letters, digits, '-', '_'; not starting or ending with '-'; at most 253"
              + " characters)");
    }
    if (port() < 1 || port() > 65535) {
      throw new IllegalArgumentException("port " + port() + " must be from 1 to 65535");
    }
  }

  /** An IPv6 literal, optionally with a zone ({@code fe80::1%eth0}) for link-local addresses. */
  private static boolean isIpv6Host(String host) {
    int percent = host.indexOf('%');
    if (percent < 0) {
      return IpLiterals.isLiteral(host);
    }
    return IpLiterals.isLiteral(host.substring(0, percent))
        && ZONE.matcher(host.substring(percent + 1)).matches();
  }

  private static boolean isHostName(String host) {
    String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
    if (name.isEmpty() || name.length() > 253) {
      return false;
    }
    for (String label : name.split("\\.", -1)) {
      if (!LABEL.matcher(label).matches()) {
        return false;
      }
    }
    return true;
  }

  private static IllegalArgumentException invalid(String text, String rule) {
    return new IllegalArgumentException("ssh target '" + text + "' " + rule);
  }

  /** Builds an {@link SshTarget}; {@code build()} validates it. */
  public static final class Builder extends ImmutableSshTarget.Builder {
    Builder() {}
  }
}
