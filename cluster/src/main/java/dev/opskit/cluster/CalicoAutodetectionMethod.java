package dev.opskit.cluster;

import com.google.re2j.PatternSyntaxException;
import dev.opskit.core.internal.IpLiterals;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A value of calico-node's {@code IP_AUTODETECTION_METHOD} (or {@code IP6_AUTODETECTION_METHOD}):
 * how each node picks the address Calico uses for it. Built by intent and validated, so a typo
 * never reaches the DaemonSet and every node.
 *
 * <pre>{@code
 * CalicoAutodetectionMethod.interfaces("^eth0$", "^en[0-9]+$");  // interface=^eth0$,^en[0-9]+$
 * CalicoAutodetectionMethod.canReach("198.18.0.1");               // can-reach=198.18.0.1
 * CalicoAutodetectionMethod.cidrs("10.0.0.0/8");                  // cidr=10.0.0.0/8
 * CalicoAutodetectionMethod.parse("interface=eth0|en0|en2");      // parse a manifest's value
 * }</pre>
 *
 * <p>Forms: {@code first-found}, {@code kubernetes-internal-ip}, {@code can-reach=IP|DNS}, {@code
 * interface=REGEX[,REGEX]}, {@code skip-interface=REGEX[,REGEX]}, {@code cidr=CIDR[,CIDR]}. Lists
 * are split on commas with any spaces around them, as calico-node splits them, so a regex cannot
 * itself contain a comma. Calico matches interface regexes anywhere in the name ({@code eth0} also
 * matches {@code eth0.100} and {@code veth0}); {@link #warnings()} says so for every regex that is
 * not anchored with {@code ^…$}.
 *
 * <p>calico-node compiles interface regexes with Go's RE2, which has no lookaround ({@code (?!…)},
 * {@code (?<=…)}), no possessive quantifiers ({@code .*+}), no atomic groups and no backreferences
 * ({@code \1}); a regex RE2 cannot compile makes autodetection fail on every node, so it is refused
 * here with the construct named. A value holds no control characters (a newline would split the
 * manifest's meaning from what the container sees) and is at most {@value #MAX_LENGTH} characters.
 */
public final class CalicoAutodetectionMethod {
  /** The longest method value accepted, in characters. */
  public static final int MAX_LENGTH = 1024;

  private static final Pattern LIST_SEPARATOR = Pattern.compile("\\s*,\\s*");
  private static final Pattern UNSUPPORTED_TOKEN = Pattern.compile("`([^`]*)`");
  private static final Pattern DNS_LABEL =
      Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?");

  /** The kind of method; {@link #text()} is the keyword Calico reads. */
  public enum Kind {
    /** The first valid address on the first interface, skipping known virtual ones. */
    FIRST_FOUND("first-found"),
    /** The node's {@code InternalIP} from its Kubernetes Node status. */
    KUBERNETES_INTERNAL_IP("kubernetes-internal-ip"),
    /** The local address used to reach a destination IP or DNS name. */
    CAN_REACH("can-reach"),
    /** The first address on the first interface whose name matches one of the regexes. */
    INTERFACE("interface"),
    /** The first address on the first interface whose name matches none of the regexes. */
    SKIP_INTERFACE("skip-interface"),
    /** The first address inside one of the CIDRs. */
    CIDR("cidr");

    private final String text;

    Kind(String text) {
      this.text = text;
    }

    /** The keyword as written in the environment variable, such as {@code skip-interface}. */
    public String text() {
      return text;
    }
  }

  private final Kind kind;
  private final List<String> arguments;

  private CalicoAutodetectionMethod(Kind kind, List<String> arguments) {
    this.kind = kind;
    this.arguments = List.copyOf(arguments);
    validate();
  }

  /** {@code first-found}: Calico's default. */
  public static CalicoAutodetectionMethod firstFound() {
    return new CalicoAutodetectionMethod(Kind.FIRST_FOUND, List.of());
  }

  /** {@code kubernetes-internal-ip}: the Node's InternalIP address. */
  public static CalicoAutodetectionMethod kubernetesInternalIp() {
    return new CalicoAutodetectionMethod(Kind.KUBERNETES_INTERNAL_IP, List.of());
  }

  /** {@code can-reach=DEST}: the address that routes to an IP address or DNS name. */
  public static CalicoAutodetectionMethod canReach(String destination) {
    return new CalicoAutodetectionMethod(Kind.CAN_REACH, List.of(destination));
  }

  /** {@code interface=R1,R2}: interfaces whose names match one of these regexes. */
  public static CalicoAutodetectionMethod interfaces(String... regexes) {
    return new CalicoAutodetectionMethod(Kind.INTERFACE, List.of(regexes));
  }

  /** {@code skip-interface=R1,R2}: interfaces whose names match none of these regexes. */
  public static CalicoAutodetectionMethod skipInterfaces(String... regexes) {
    return new CalicoAutodetectionMethod(Kind.SKIP_INTERFACE, List.of(regexes));
  }

  /** {@code cidr=C1,C2}: the first address inside one of these CIDRs. */
  public static CalicoAutodetectionMethod cidrs(String... cidrs) {
    return new CalicoAutodetectionMethod(Kind.CIDR, List.of(cidrs));
  }

  /**
   * Parses an environment value such as {@code interface=eth0|en0} or {@code first-found}.
   *
   * @throws IllegalArgumentException naming the value and the rule it broke
   */
  public static CalicoAutodetectionMethod parse(String value) {
    Objects.requireNonNull(value, "value");
    checkText(value);
    String text = value.trim();
    int equals = text.indexOf('=');
    String keyword = equals < 0 ? text : text.substring(0, equals);
    for (Kind kind : Kind.values()) {
      if (kind.text.equals(keyword)) {
        boolean takesArguments = kind != Kind.FIRST_FOUND && kind != Kind.KUBERNETES_INTERNAL_IP;
        if (!takesArguments) {
          if (equals >= 0) {
            throw new IllegalArgumentException(
                "autodetection method '" + value + "': " + keyword + " takes no '=' argument");
          }
          return new CalicoAutodetectionMethod(kind, List.of());
        }
        if (equals < 0) {
          throw new IllegalArgumentException(
              "autodetection method '" + value + "': " + keyword + " needs '=' and a value");
        }
        String rest = text.substring(equals + 1);
        List<String> arguments =
            kind == Kind.CAN_REACH ? List.of(rest) : List.of(LIST_SEPARATOR.split(rest, -1));
        return new CalicoAutodetectionMethod(kind, arguments);
      }
    }
    throw new IllegalArgumentException(
        "autodetection method '"
            + value
            + "' is not one of first-found, kubernetes-internal-ip, can-reach=, interface=,"
            + " skip-interface=, cidr=");
  }

  /** The kind of method. */
  public Kind kind() {
    return kind;
  }

  /** The destination, regexes or CIDRs; empty for first-found and kubernetes-internal-ip. */
  public List<String> arguments() {
    return arguments;
  }

  /** The environment value, such as {@code interface=^eth0$,^en[0-9]+$}. */
  public String text() {
    return arguments.isEmpty() ? kind.text : kind.text + "=" + String.join(",", arguments);
  }

  /**
   * Advice that does not make the method invalid: unanchored interface regexes (Calico matches them
   * anywhere in the name, so {@code eth0} also picks {@code eth0.100} or {@code veth0}), and CIDRs
   * with host bits set.
   */
  public List<String> warnings() {
    List<String> warnings = new ArrayList<>();
    if (kind == Kind.INTERFACE || kind == Kind.SKIP_INTERFACE) {
      for (String regex : arguments) {
        if (!regex.startsWith("^") || !regex.endsWith("$") || regex.endsWith("\\$")) {
          warnings.add(
              kind.text
                  + " regex '"
                  + regex
                  + "' is not anchored: Calico matches it anywhere in an interface name"
                  + " (eth0 also matches eth0.100 and veth0); write '^("
                  + stripAnchors(regex)
                  + ")$' to match whole names");
        }
      }
    }
    if (kind == Kind.CIDR) {
      for (String cidr : arguments) {
        if (hasHostBits(cidr)) {
          warnings.add("cidr '" + cidr + "' has host bits set; Calico uses its network");
        }
      }
    }
    return warnings;
  }

  /** Whether every address this method can select is IPv4 ({@code true}), IPv6 or either. */
  boolean fitsFamily(boolean ipv6) {
    for (String argument : arguments) {
      String address = kind == Kind.CIDR ? argument.substring(0, argument.indexOf('/')) : argument;
      if ((kind == Kind.CIDR || kind == Kind.CAN_REACH) && IpLiterals.isLiteral(address)) {
        boolean isV4 = IpLiterals.forString(address) instanceof Inet4Address;
        if (isV4 == ipv6) {
          return false;
        }
      }
    }
    return true;
  }

  private static void checkText(String value) {
    if (value.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "autodetection method '"
              + value.substring(0, 40)
              + "…' is "
              + value.length()
              + " characters long, over the limit of "
              + MAX_LENGTH);
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isISOControl(c)) {
        throw new IllegalArgumentException(
            "autodetection method '"
                + value.replaceAll("\\p{Cntrl}", "?")
                + "' holds control character U+"
                + String.format("%04X", (int) c)
                + " at index "
                + i
                + "; method values are single-line text");
      }
    }
  }

  private void validate() {
    checkText(kind.text + "=" + String.join(",", arguments));
    switch (kind) {
      case FIRST_FOUND:
      case KUBERNETES_INTERNAL_IP:
        if (!arguments.isEmpty()) {
          throw invalid(kind.text + " takes no arguments");
        }
        break;
      case CAN_REACH:
        if (arguments.size() != 1) {
          throw invalid("can-reach takes exactly one destination");
        }
        checkDestination(arguments.get(0));
        break;
      case INTERFACE:
      case SKIP_INTERFACE:
        requireArguments("regex");
        for (String regex : arguments) {
          if (regex.isEmpty() || regex.contains(",")) {
            throw invalid(kind.text + " regex '" + regex + "' is empty or holds a comma");
          }
          if (!regex.equals(regex.trim())) {
            throw invalid(
                kind.text
                    + " regex '"
                    + regex
                    + "' starts or ends with a space, which no interface name has");
          }
          checkRe2(regex);
        }
        break;
      case CIDR:
        requireArguments("CIDR");
        for (String cidr : arguments) {
          checkCidr(cidr);
        }
        break;
      default:
        throw new IllegalStateException("unknown kind " + kind);
    }
  }

  private void checkRe2(String regex) {
    try {
      com.google.re2j.Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      String description = String.valueOf(e.getMessage());
      Matcher token = UNSUPPORTED_TOKEN.matcher(description);
      String construct = token.find() ? construct(token.group(1)) : null;
      throw invalid(
          kind.text
              + " regex '"
              + regex
              + "' "
              + (construct == null
                  ? "is not valid in Go's RE2 syntax, which calico-node compiles it with"
                  : "uses "
                      + construct
                      + ", which Go's RE2 (what calico-node compiles it with)"
                      + " does not support")
              + " ("
              + description
              + ")");
    }
  }

  private static String construct(String token) {
    if (token.startsWith("(?=") || token.startsWith("(?!")) {
      return "a lookahead '" + token.substring(0, 3) + "…)'";
    }
    if (token.startsWith("(?<=") || token.startsWith("(?<!")) {
      return "a lookbehind '" + token.substring(0, 4) + "…)'";
    }
    if (token.startsWith("(?>")) {
      return "an atomic group '(?>…)'";
    }
    if (token.length() >= 2
        && token.endsWith("+")
        && "*+?}".indexOf(token.charAt(token.length() - 2)) >= 0) {
      return "a possessive quantifier '" + token + "'";
    }
    if (token.matches("\\\\[1-9k]")) {
      return "a backreference '" + token + "'";
    }
    return null;
  }

  private void requireArguments(String what) {
    if (arguments.isEmpty()) {
      throw invalid(kind.text + " needs at least one " + what);
    }
  }

  private void checkDestination(String destination) {
    if (IpLiterals.isLiteral(destination)) {
      return;
    }
    if (destination.isEmpty() || destination.length() > 253 || destination.matches("[0-9.]+")) {
      throw invalid("can-reach destination '" + destination + "' is not an IP address or DNS name");
    }
    String name =
        destination.endsWith(".")
            ? destination.substring(0, destination.length() - 1)
            : destination;
    for (String label : name.split("\\.", -1)) {
      if (!DNS_LABEL.matcher(label).matches()) {
        throw invalid(
            "can-reach destination '" + destination + "' is not an IP address or DNS name");
      }
    }
  }

  private void checkCidr(String cidr) {
    int slash = cidr.indexOf('/');
    if (slash < 0) {
      throw invalid("cidr '" + cidr + "' needs a prefix length (ADDRESS/LENGTH)");
    }
    String address = cidr.substring(0, slash);
    String length = cidr.substring(slash + 1);
    if (!IpLiterals.isLiteral(address) || address.contains("%")) {
      throw invalid("cidr '" + cidr + "' does not start with an IP address");
    }
    int max = IpLiterals.forString(address) instanceof Inet4Address ? 32 : 128;
    if (!length.matches("[0-9]{1,3}") || Integer.parseInt(length) > max) {
      throw invalid("cidr '" + cidr + "' has a prefix length outside 0.." + max);
    }
  }

  private static boolean hasHostBits(String cidr) {
    int slash = cidr.indexOf('/');
    InetAddress address = IpLiterals.forString(cidr.substring(0, slash));
    int length = Integer.parseInt(cidr.substring(slash + 1));
    byte[] bytes = address.getAddress();
    for (int bit = length; bit < bytes.length * 8; bit++) {
      if ((bytes[bit / 8] & (0x80 >> (bit % 8))) != 0) {
        return true;
      }
    }
    return false;
  }

  private static String stripAnchors(String regex) {
    String text = regex.startsWith("^") ? regex.substring(1) : regex;
    return text.endsWith("$") && !text.endsWith("\\$")
        ? text.substring(0, text.length() - 1)
        : text;
  }

  private IllegalArgumentException invalid(String rule) {
    return new IllegalArgumentException(
        "autodetection method '" + kind.text + "=" + String.join(",", arguments) + "': " + rule);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof CalicoAutodetectionMethod
        && ((CalicoAutodetectionMethod) other).kind == kind
        && ((CalicoAutodetectionMethod) other).arguments.equals(arguments);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, arguments);
  }

  /** The environment value, as {@link #text()}. */
  @Override
  public String toString() {
    return text();
  }
}
