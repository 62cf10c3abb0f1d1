package dev.opskit.sysctl;

import dev.opskit.sysctl.internal.Glob;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The name of one kernel tunable, such as {@code net.ipv4.ip_forward}, validated so that it always
 * maps to a path below {@code /proc/sys}. Both spellings of sysctl.d(5) are accepted: dotted
 * ({@code net.ipv4.conf.eth0/100.rp_filter}) and slashed ({@code
 * net/ipv4/conf/eth0.100/rp_filter}); if the first separator is a slash, dots stay part of the path
 * segment, otherwise dots separate segments and slashes stand for dots. Both spellings above are
 * the same key. As systemd normalises keys, repeated separators count as one and leading or
 * trailing separators are dropped ({@code .a...b} is {@code a.b}), as are {@code .} path segments.
 *
 * <pre>{@code
 * SysctlKey forward = SysctlKey.of("net.ipv4.ip_forward");
 * forward.procPath();   // "/proc/sys/net/ipv4/ip_forward"
 * }</pre>
 *
 * <p>Rejected: empty names and segments, {@code .} and {@code ..} segments, whitespace, control
 * characters, {@code =} and anything else outside letters, digits, {@code _ - . : @ +} and the
 * glob(7) characters {@code * ? [ ] !}. A segment holding a glob character (as in {@code
 * net.ipv4.conf.*.rp_filter} or {@code net.ipv4.conf.eth?.rp_filter}) makes the key a {@linkplain
 * #isPattern() pattern}, which configuration files may hold but profiles may not; {@link
 * #matches(SysctlKey)} tells which keys it stands for. Immutable and thread-safe; equal keys have
 * equal {@link #name()}.
 */
public final class SysctlKey implements Comparable<SysctlKey> {
  /** Longest accepted name, in characters. */
  public static final int MAX_LENGTH = 1024;

  private static final Pattern SEGMENT =
      Pattern.compile("[A-Za-z0-9_*?\\[\\]!:@+-][A-Za-z0-9_.*?\\[\\]!:@+-]*");

  private final List<String> segments;
  private final String name;

  private SysctlKey(List<String> segments) {
    this.segments = List.copyOf(segments);
    List<String> dotted = new ArrayList<>();
    for (String segment : segments) {
      dotted.add(segment.replace('.', '/'));
    }
    this.name = String.join(".", dotted);
  }

  /**
   * Parses a key in dotted or slashed form.
   *
   * @throws IllegalArgumentException naming the key and the rule it breaks
   */
  public static SysctlKey of(String key) {
    Objects.requireNonNull(key, "key");
    if (key.isEmpty()) {
      throw new IllegalArgumentException("sysctl key must not be empty");
    }
    if (key.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(
          "sysctl key " + quote(key) + " is longer than " + MAX_LENGTH + " characters");
    }
    int dot = key.indexOf('.');
    int slash = key.indexOf('/');
    boolean slashed = slash >= 0 && (dot < 0 || slash < dot);
    List<String> segments = new ArrayList<>();
    for (String raw : key.split(slashed ? "/" : "\\.", -1)) {
      String segment = slashed ? raw : raw.replace('/', '.');
      if (segment.isEmpty() || segment.equals(".")) {
        continue;
      }
      if (!SEGMENT.matcher(segment).matches()) {
        throw new IllegalArgumentException(
            "sysctl key "
                + quote(key)
                + " has segment "
                + quote(segment)
                + " which must match "
                + SEGMENT.pattern()
                + " (no '..', whitespace or control characters)");
      }
      segments.add(segment);
    }
    if (segments.isEmpty()) {
      throw new IllegalArgumentException(
          "sysctl key "
              + quote(key)
              + " names no path below /proc/sys; it must not be only separators");
    }
    return new SysctlKey(segments);
  }

  /** The canonical dotted name, as {@code sysctl} prints it: {@code net.ipv4.ip_forward}. */
  public String name() {
    return name;
  }

  /** The path segments below {@code /proc/sys}: {@code [net, ipv4, ip_forward]}. */
  public List<String> segments() {
    return segments;
  }

  /** The path relative to {@code /proc/sys}: {@code net/ipv4/ip_forward}. */
  public String relativePath() {
    return String.join("/", segments);
  }

  /** The absolute path of the tunable: {@code /proc/sys/net/ipv4/ip_forward}. */
  public String procPath() {
    return "/proc/sys/" + relativePath();
  }

  /**
   * True when a segment holds a glob(7) character ({@code *}, {@code ?} or {@code [}), so the key
   * names a family of tunables.
   */
  public boolean isPattern() {
    return segments.stream().anyMatch(Glob::isPattern);
  }

  /**
   * True when this key, read as a glob(7) pattern over the path below {@code /proc/sys}, matches
   * {@code key}: each segment is matched on its own ({@code *} never spans a {@code /}), as glob
   * expands {@code /proc/sys/net/ipv4/conf/*}{@code /rp_filter}. A key that is not a pattern
   * matches only itself.
   */
  public boolean matches(SysctlKey key) {
    if (key.segments.size() != segments.size()) {
      return false;
    }
    for (int i = 0; i < segments.size(); i++) {
      if (!Glob.matches(segments.get(i), key.segments.get(i))) {
        return false;
      }
    }
    return true;
  }

  /** True when this key's name starts with {@code prefix} followed by a separator (or is equal). */
  public boolean isUnder(String prefix) {
    return name.equals(prefix) || name.startsWith(prefix + ".");
  }

  @Override
  public int compareTo(SysctlKey other) {
    return name.compareTo(other.name);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof SysctlKey && ((SysctlKey) other).name.equals(name);
  }

  @Override
  public int hashCode() {
    return name.hashCode();
  }

  /** The canonical dotted name. */
  @Override
  public String toString() {
    return name;
  }

  static String quote(String value) {
    String shown = value.length() > 80 ? value.substring(0, 80) + "…" : value;
    StringBuilder text = new StringBuilder("'");
    for (int i = 0; i < shown.length(); i++) {
      char c = shown.charAt(i);
      if (c == '\n') {
        text.append("\\n");
      } else if (c == '\r') {
        text.append("\\r");
      } else if (c == '\t') {
        text.append("\\t");
      } else if (Character.isISOControl(c)) {
        text.append(String.format("\\u%04x", (int) c));
      } else {
        text.append(c);
      }
    }
    return text.append("'").toString();
  }
}
