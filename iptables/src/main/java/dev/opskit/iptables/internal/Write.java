package dev.opskit.iptables.internal;

import java.util.List;

/** One state-changing command of a write batch and its input. */
public record Write(List<String> argv, String input) {
  /** An {@code ipset restore} of {@code input}. */
  public static Write ipsets(String input) {
    return new Write(List.of("ipset", "restore"), input);
  }
}
