package dev.opskit.iptables.internal;

import com.google.common.net.InetAddresses;
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
    int slash = text.indexOf('/');
    String address = slash < 0 ? text : text.substring(0, slash);
    InetAddress parsed;
    if (address.isEmpty() || !InetAddresses.isInetAddress(address) || address.contains("%")) {
      throw new IllegalArgumentException(
          "CIDR '" + text + "' must be an IPv4 or IPv6 address with an optional /prefix");
    }
    parsed = InetAddresses.forString(address);
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
      int keep = Math.max(0, Math.min(8, prefix - i * 8));
      bytes[i] = (byte) (bytes[i] & (0xff << (8 - keep)));
    }
    try {
      return InetAddresses.toAddrString(InetAddress.getByAddress(bytes)) + "/" + prefix;
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e);
    }
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
    byte[] network = InetAddresses.forString(normal.substring(0, slash)).getAddress();
    byte[] candidate = InetAddresses.forString(address).getAddress();
    if (network.length != candidate.length) {
      return false;
    }
    for (int i = 0; i < network.length; i++) {
      int keep = Math.max(0, Math.min(8, prefix - i * 8));
      int mask = (0xff << (8 - keep)) & 0xff;
      if ((network[i] & mask) != (candidate[i] & mask)) {
        return false;
      }
    }
    return true;
  }
}
