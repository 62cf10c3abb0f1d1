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
    checkPort(first);
    checkPort(last);
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

  private static void checkPort(int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " must be between 1 and 65535");
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
