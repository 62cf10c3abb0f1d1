package dev.opskit.iptables;

import java.util.Objects;

/**
 * A port or an inclusive range of ports, each 1-65535, written {@code 30001} or {@code 30000:30100}
 * as iptables does.
 *
 * <pre>{@code
 * PortRange nodePort = PortRange.of(30001);
 * PortRange range = PortRange.parse("30000:30100");
 * }</pre>
 */
public final class PortRange {
  private final int first;
  private final int last;

  private PortRange(int first, int last) {
    this(first, last, 1);
  }

  private PortRange(int first, int last, int lowest) {
    checkPort(first, lowest);
    checkPort(last, lowest);
    if (first > last) {
      throw new IllegalArgumentException(
          "port range " + first + ":" + last + " must not end before it starts");
    }
    this.first = first;
    this.last = last;
  }

  /**
   * A single port.
   *
   * @throws IllegalArgumentException when the port is outside 1-65535
   */
  public static PortRange of(int port) {
    return new PortRange(port, port);
  }

  /**
   * The ports {@code first} to {@code last}, both included.
   *
   * @throws IllegalArgumentException when a port is outside 1-65535 or {@code first > last}
   */
  public static PortRange of(int first, int last) {
    return new PortRange(first, last);
  }

  /**
   * Parses {@code PORT} or {@code FIRST:LAST}.
   *
   * @throws IllegalArgumentException when the text is not a valid port or range
   */
  public static PortRange parse(String text) {
    Objects.requireNonNull(text, "text");
    int colon = text.indexOf(':');
    try {
      if (colon < 0) {
        return of(Integer.parseInt(text));
      }
      return of(
          Integer.parseInt(text.substring(0, colon)), Integer.parseInt(text.substring(colon + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "port range '" + text + "' must be PORT or FIRST:LAST with ports 1-65535", e);
    }
  }

  /**
   * A range as a match may state it, where port 0 counts too: {@code fromZero(4)} is {@code 0:4},
   * {@code fromZero(65535)} every port (as {@code ! --dport 0:65535}).
   */
  public static PortRange fromZero(int last) {
    return new PortRange(0, last, 0);
  }

  /**
   * Parses a port or range as iptables accepts it in a match: {@code PORT}, {@code FIRST:LAST},
   * {@code :LAST} (from 0), {@code FIRST:} (to 65535) or {@code :} (every port), port 0 allowed.
   *
   * @throws IllegalArgumentException when the text is not a valid port or range
   */
  public static PortRange parseMatch(String text) {
    Objects.requireNonNull(text, "text");
    int colon = text.indexOf(':');
    try {
      if (colon < 0) {
        int port = Integer.parseInt(text);
        return new PortRange(port, port, 0);
      }
      String first = text.substring(0, colon);
      String last = text.substring(colon + 1);
      return new PortRange(
          first.isEmpty() ? 0 : Integer.parseInt(first),
          last.isEmpty() ? 65535 : Integer.parseInt(last),
          0);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "port range '" + text + "' must be PORT or FIRST:LAST with ports 0-65535", e);
    }
  }

  /** True when the range covers every port, 0 to 65535. */
  public boolean isEveryPort() {
    return first == 0 && last == 65535;
  }

  private static void checkPort(int port, int lowest) {
    if (port < lowest || port > 65535) {
      throw new IllegalArgumentException(
          "port " + port + " must be between " + lowest + " and 65535");
    }
  }

  /** The first port of the range. */
  public int first() {
    return first;
  }

  /** The last port of the range (equal to {@link #first()} for a single port). */
  public int last() {
    return last;
  }

  /** True when {@code port} lies in this range. */
  public boolean contains(int port) {
    return port >= first && port <= last;
  }

  /** True when the range is a single port. */
  public boolean isSinglePort() {
    return first == last;
  }

  /** The iptables form: {@code 30001} or {@code 30000:30100}. */
  @Override
  public String toString() {
    return isSinglePort() ? Integer.toString(first) : first + ":" + last;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof PortRange
        && ((PortRange) other).first == first
        && ((PortRange) other).last == last;
  }

  @Override
  public int hashCode() {
    return first * 65537 + last;
  }
}
