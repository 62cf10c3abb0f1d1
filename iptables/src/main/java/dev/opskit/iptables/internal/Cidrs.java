package dev.opskit.iptables.internal;

import dev.opskit.core.internal.IpLiterals;
import dev.opskit.iptables.IpFamily;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;

/** CIDR parsing and normalisation to the form iptables-save prints ({@code 198.18.0.0/24}). */
public final class Cidrs {
  private Cidrs() {}

  /**
   * The canonical form of {@code text}: address with host bits cleared, always with a prefix length
   * ({@code /32} or {@code /128} for a single address), IPv6 compressed per RFC 5952.
   *
   * @throws IllegalArgumentException when the text is not an IPv4 or IPv6 address or CIDR
   */
  public static String normalize(String text) {
    Objects.requireNonNull(text, "cidr");
    String fast = normalizeIpv4(text);
    if (fast != null) {
      return fast;
    }
    int slash = text.indexOf('/');
    String address = slash < 0 ? text : text.substring(0, slash);
    InetAddress parsed;
    if (address.isEmpty() || !IpLiterals.isLiteral(address) || address.contains("%")) {
      throw new IllegalArgumentException(
          "CIDR '" + text + "' must be an IPv4 or IPv6 address with an optional /prefix");
    }
    parsed = IpLiterals.forString(address);
    int bits = parsed instanceof Inet4Address ? 32 : 128;
    int prefix = bits;
    if (slash >= 0) {
      String length = text.substring(slash + 1);
      if (!length.matches("[0-9]{1,3}")) {
        throw new IllegalArgumentException(
            "CIDR '" + text + "' must have a numeric prefix length 0-" + bits);
      }
      prefix = Integer.parseInt(length);
      if (prefix > bits) {
        throw new IllegalArgumentException(
            "CIDR '" + text + "' has prefix length " + prefix + ", more than " + bits);
      }
    }
    byte[] bytes = parsed.getAddress();
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) (bytes[i] & mask(prefix, i));
    }
    try {
      return IpLiterals.toText(InetAddress.getByAddress(bytes)) + "/" + prefix;
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Plain dotted-quad IPv4 with an optional prefix, without regex or allocation; else null. */
  private static String normalizeIpv4(String text) {
    int[] octets = new int[4];
    int index = 0;
    int value = -1;
    int digits = 0;
    int prefix = 32;
    int i = 0;
    int n = text.length();
    for (; i < n; i++) {
      char c = text.charAt(i);
      if (c >= '0' && c <= '9') {
        if (digits == 3 || (digits > 0 && value == 0)) {
          return null;
        }
        value = (value < 0 ? 0 : value * 10) + (c - '0');
        digits++;
      } else if (c == '.' || c == '/') {
        if (digits == 0 || value > 255 || index > 3) {
          return null;
        }
        octets[index++] = value;
        value = -1;
        digits = 0;
        if (c == '/') {
          break;
        }
      } else {
        return null;
      }
    }
    if (i == n) {
      if (digits == 0 || value > 255 || index != 3) {
        return null;
      }
      octets[index++] = value;
    } else {
      if (index != 4) {
        return null;
      }
      String length = text.substring(i + 1);
      if (length.isEmpty() || length.length() > 2 || !length.chars().allMatch(Character::isDigit)) {
        return null;
      }
      prefix = Integer.parseInt(length);
      if (prefix > 32) {
        return null;
      }
    }
    long address =
        ((long) octets[0] << 24) | ((long) octets[1] << 16) | ((long) octets[2] << 8) | octets[3];
    long mask = prefix == 0 ? 0 : (0xffffffffL << (32 - prefix)) & 0xffffffffL;
    address &= mask;
    return ((address >> 24) & 0xff)
        + "."
        + ((address >> 16) & 0xff)
        + "."
        + ((address >> 8) & 0xff)
        + "."
        + (address & 0xff)
        + "/"
        + prefix;
  }

  /**
   * The form extension options print an address in: {@link #normalize} without {@code /32} or
   * {@code /128} for a single address.
   */
  public static String compact(String text) {
    String normal = normalize(text);
    if (normal.endsWith("/32") && !normal.contains(":")) {
      return normal.substring(0, normal.length() - 3);
    }
    return normal.endsWith("/128") ? normal.substring(0, normal.length() - 4) : normal;
  }

  /**
   * True when the (valid) CIDR {@code text} has bits set beyond its prefix length, as in {@code
   * 1.2.3.4/8}; a bare address has none.
   */
  public static boolean hasHostBits(String text) {
    int slash = text.indexOf('/');
    if (slash < 0) {
      return false;
    }
    String network = normalize(text);
    String address = text.substring(0, slash);
    String full = normalize(address);
    return !full.substring(0, full.indexOf('/')).equals(network.substring(0, network.indexOf('/')));
  }

  /** The family of a (valid) address or CIDR. */
  public static IpFamily family(String cidr) {
    return cidr.contains(":") ? IpFamily.IPV6 : IpFamily.IPV4;
  }

  /** True when {@code address} (no prefix) lies inside {@code cidr}; false across families. */
  public static boolean contains(String cidr, String address) {
    String normal = normalize(cidr);
    int slash = normal.indexOf('/');
    int prefix = Integer.parseInt(normal.substring(slash + 1));
    byte[] network = IpLiterals.forString(normal.substring(0, slash)).getAddress();
    byte[] candidate = IpLiterals.forString(address).getAddress();
    if (network.length != candidate.length) {
      return false;
    }
    for (int i = 0; i < network.length; i++) {
      int mask = mask(prefix, i);
      if ((network[i] & mask) != (candidate[i] & mask)) {
        return false;
      }
    }
    return true;
  }

  /** The network mask of byte {@code index} of an address for a {@code prefix}-bit network. */
  private static int mask(int prefix, int index) {
    int keep = Math.max(0, Math.min(8, prefix - index * 8));
    return (0xff << (8 - keep)) & 0xff;
  }
}
