package dev.opskit.core.internal;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * Strict IP address literals, never a name lookup: IPv4 as a dotted quad of decimal octets (no
 * leading zeros, which some tools read as octal), IPv6 as eight hex groups with at most one {@code
 * ::} and an optional dotted quad as the last 32 bits. No zone ids ({@code %eth0}), no brackets, no
 * whitespace, ASCII digits only. An IPv4-mapped IPv6 literal ({@code ::ffff:1.2.3.4}) yields the
 * IPv4 address, as {@link InetAddress#getByAddress(byte[])} does.
 */
public final class IpLiterals {
  private static final int MAX_LENGTH = 45;

  private IpLiterals() {}

  /** True when {@code text} is an IPv4 or IPv6 literal as described above. */
  public static boolean isLiteral(String text) {
    return bytes(text) != null;
  }

  /** The address {@code text} spells, or empty when it is no literal. */
  public static Optional<InetAddress> parse(String text) {
    byte[] bytes = bytes(text);
    return bytes == null ? Optional.empty() : Optional.of(address(bytes));
  }

  /**
   * The address {@code text} spells.
   *
   * @throws IllegalArgumentException when it is no IPv4 or IPv6 literal
   */
  public static InetAddress forString(String text) {
    return parse(text)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "'" + text + "' is not an IPv4 or IPv6 address literal"));
  }

  /**
   * The canonical text of {@code address}: a dotted quad, or IPv6 in lower case with the first
   * longest run of two or more zero groups written {@code ::} (RFC 5952), never a zone id.
   */
  public static String toText(InetAddress address) {
    byte[] bytes = address.getAddress();
    if (address instanceof Inet4Address) {
      return (bytes[0] & 0xff)
          + "."
          + (bytes[1] & 0xff)
          + "."
          + (bytes[2] & 0xff)
          + "."
          + (bytes[3] & 0xff);
    }
    if (!(address instanceof Inet6Address)) {
      throw new IllegalArgumentException("not an IPv4 or IPv6 address: " + address);
    }
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = ((bytes[2 * i] & 0xff) << 8) | (bytes[2 * i + 1] & 0xff);
    }
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < 8; ) {
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j == i ? i + 1 : j;
    }
    StringBuilder text = new StringBuilder(39);
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        text.append("::");
        i += bestLength - 1;
        continue;
      }
      if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
        text.append(':');
      }
      text.append(Integer.toHexString(groups[i]));
    }
    return text.toString();
  }

  private static InetAddress address(byte[] bytes) {
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new IllegalStateException("4 or 16 bytes are always an address", e);
    }
  }

  /** 4 or 16 bytes, or null when {@code text} is no literal. */
  static byte[] bytes(String text) {
    if (text == null || text.isEmpty() || text.length() > MAX_LENGTH) {
      return null;
    }
    return text.indexOf(':') < 0 ? ipv4(text) : ipv6(text);
  }

  private static byte[] ipv4(String text) {
    byte[] bytes = new byte[4];
    int octet = 0;
    int start = 0;
    for (int i = 0; i <= text.length(); i++) {
      if (i == text.length() || text.charAt(i) == '.') {
        if (octet == 4) {
          return null;
        }
        int value = decimalOctet(text, start, i);
        if (value < 0) {
          return null;
        }
        bytes[octet++] = (byte) value;
        start = i + 1;
      }
    }
    return octet == 4 ? bytes : null;
  }

  /** The octet in {@code text[start, end)}: 1-3 ASCII digits, no leading zero, at most 255. */
  private static int decimalOctet(String text, int start, int end) {
    int length = end - start;
    if (length < 1 || length > 3 || (length > 1 && text.charAt(start) == '0')) {
      return -1;
    }
    int value = 0;
    for (int i = start; i < end; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value <= 255 ? value : -1;
  }

  private static byte[] ipv6(String text) {
    int gap = text.indexOf("::");
    if (gap >= 0 && text.indexOf("::", gap + 1) >= 0) {
      return null;
    }
    int[] head = groups(gap < 0 ? text : text.substring(0, gap), gap < 0);
    int[] tail = gap < 0 ? new int[0] : groups(text.substring(gap + 2), true);
    if (head == null || tail == null) {
      return null;
    }
    int count = head.length + tail.length;
    if (gap < 0 ? count != 8 : count > 7) {
      return null;
    }
    byte[] bytes = new byte[16];
    for (int i = 0; i < head.length; i++) {
      put(bytes, i, head[i]);
    }
    for (int i = 0; i < tail.length; i++) {
      put(bytes, 8 - tail.length + i, tail[i]);
    }
    return bytes;
  }

  private static void put(byte[] bytes, int group, int value) {
    bytes[2 * group] = (byte) (value >> 8);
    bytes[2 * group + 1] = (byte) value;
  }

  /**
   * The 16-bit groups of a colon-separated run (empty text: none); a dotted quad is allowed only as
   * the run's last piece, and only when {@code quadAllowed}. Null when malformed.
   */
  private static int[] groups(String run, boolean quadAllowed) {
    if (run.isEmpty()) {
      return new int[0];
    }
    String[] pieces = run.split(":", -1);
    int[] groups = new int[pieces.length + 1];
    int count = 0;
    for (int p = 0; p < pieces.length; p++) {
      String piece = pieces[p];
      if (piece.indexOf('.') >= 0) {
        byte[] quad = quadAllowed && p == pieces.length - 1 ? ipv4(piece) : null;
        if (quad == null) {
          return null;
        }
        groups[count++] = ((quad[0] & 0xff) << 8) | (quad[1] & 0xff);
        groups[count++] = ((quad[2] & 0xff) << 8) | (quad[3] & 0xff);
        continue;
      }
      int value = hexGroup(piece);
      if (value < 0) {
        return null;
      }
      groups[count++] = value;
    }
    return java.util.Arrays.copyOf(groups, count);
  }

  /** 1-4 ASCII hex digits, or -1. */
  private static int hexGroup(String piece) {
    if (piece.isEmpty() || piece.length() > 4) {
      return -1;
    }
    int value = 0;
    for (int i = 0; i < piece.length(); i++) {
      char c = piece.charAt(i);
      int digit;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      } else {
        return -1;
      }
      value = value * 16 + digit;
    }
    return value;
  }
}
