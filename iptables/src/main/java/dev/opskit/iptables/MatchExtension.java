package dev.opskit.iptables;

import java.util.List;
import java.util.Optional;

/**
 * The typed form of a match module ({@code -m NAME OPTIONS}), such as {@link ConntrackMatch} or
 * {@link MarkMatch}. Wrap one with {@link Match#of(MatchExtension)}; read it back with {@link
 * Match#extension(Class)}. Implementations are immutable and print exactly what {@code
 * iptables-save} prints for the module.
 */
public interface MatchExtension {
  /** The module name after {@code -m}. */
  String module();

  /** The option tokens after {@code -m MODULE}, as iptables-save prints them. */
  List<String> options();

  /** The protocol the rule must match with {@code -p} for this module to load; usually empty. */
  default Optional<String> requiredProtocol() {
    return Optional.empty();
  }

  /** A short human-readable description, for example {@code "mark 0x4000/0x4000"}. */
  String describe();
}
