package dev.opskit.iptables;

import java.util.List;

/**
 * The typed form of a target extension ({@code -j NAME OPTIONS}), such as {@link NatTarget} or
 * {@link MarkTarget}. Wrap one with {@link Target#of(TargetExtension)}; read it back with {@link
 * Target#extension(Class)}. Implementations are immutable and print exactly what {@code
 * iptables-save} prints for the target.
 */
public interface TargetExtension {
  /** The target name after {@code -j}. */
  String name();

  /** The option tokens after {@code -j NAME}, as iptables-save prints them. */
  List<String> options();

  /** A short human-readable description, for example {@code "DNAT to 198.18.2.2:8080"}. */
  String describe();
}
