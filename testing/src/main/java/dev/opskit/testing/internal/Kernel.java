package dev.opskit.testing.internal;

import dev.opskit.sysctl.SysctlKey;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The values under {@code /proc/sys}, by path relative to it ({@code net/core/somaxconn}). Not
 * thread-safe: the host guards it.
 */
public final class Kernel {
  private final Map<String, String> values = new TreeMap<>();
  private final Set<String> refused = new HashSet<>();
  private final Set<String> ignored = new HashSet<>();

  /** The relative path of a key name, a path below {@code /proc/sys}, or a relative path. */
  public static String path(String keyOrPath) {
    if (keyOrPath.startsWith("/proc/sys/")) {
      return keyOrPath.substring("/proc/sys/".length());
    }
    if (keyOrPath.contains("/")) {
      return keyOrPath;
    }
    return SysctlKey.of(keyOrPath).relativePath();
  }

  /**
   * What the kernel prints for a written value: numbers of a vector separated by tabs (as {@code
   * net.ipv4.tcp_rmem} reads back), anything else as written, without the line break.
   */
  public static String stored(String written) {
    String value = written.strip();
    String[] words = value.split("\\s+");
    if (words.length > 1) {
      for (String word : words) {
        if (!word.matches("-?[0-9]+")) {
          return value;
        }
      }
      return String.join("\t", words);
    }
    return value;
  }

  /** Sets a value as if the kernel had it from boot. */
  public void seed(String keyOrPath, String value) {
    values.put(path(keyOrPath), stored(value));
  }

  /** Removes a key: the kernel does not have it (its module is not loaded). */
  public void remove(String keyOrPath) {
    values.remove(path(keyOrPath));
  }

  /** The value, when the kernel has the key. */
  public Optional<String> read(String keyOrPath) {
    return Optional.ofNullable(values.get(path(keyOrPath)));
  }

  /** True when the kernel has the key. */
  public boolean has(String keyOrPath) {
    return values.containsKey(path(keyOrPath));
  }

  /** True when any key lies below {@code folder} (relative, such as {@code net/core}). */
  public boolean hasFolder(String folder) {
    return values.keySet().stream().anyMatch(k -> k.startsWith(folder + "/"));
  }

  /** Makes writes of a key fail with EINVAL, unless they write the value it holds. */
  public void refuse(String keyOrPath) {
    refused.add(path(keyOrPath));
  }

  /** Makes writes of a key succeed without changing its value. */
  public void ignore(String keyOrPath) {
    ignored.add(path(keyOrPath));
  }

  /** Writes a value as {@code echo VALUE > /proc/sys/KEY} would; the error, or empty. */
  public Optional<String> write(String keyOrPath, String value) {
    String path = path(keyOrPath);
    if (!values.containsKey(path)) {
      return Optional.of("No such file or directory");
    }
    if (refused.contains(path) && !stored(value).equals(values.get(path))) {
      return Optional.of("Invalid argument");
    }
    if (!ignored.contains(path)) {
      values.put(path, stored(value));
    }
    return Optional.empty();
  }

  /** Every value, by relative path. */
  public Map<String, String> values() {
    return new TreeMap<>(values);
  }
}
