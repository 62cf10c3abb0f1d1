package dev.opskit.core;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One host of a fleet: a name unique within the fleet and the {@link CommandExecutor} that reaches
 * it. Immutable; the executor is shared, not owned (whoever built it closes it).
 *
 * <pre>{@code
 * FleetHost node = FleetHost.of("node-1", SshExecutor.builder(target).identityFile(key).build());
 * }</pre>
 */
public final class FleetHost {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_\\[][A-Za-z0-9._:@\\[\\]-]*");

  private final String name;
  private final CommandExecutor executor;

  private FleetHost(String name, CommandExecutor executor) {
    this.name = name;
    this.executor = executor;
  }

  /**
   * A host named {@code name} reached through {@code executor}.
   *
   * @throws IllegalArgumentException when the name is empty or holds characters other than letters,
   *     digits and {@code . _ : @ - [ ]}
   */
  public static FleetHost of(String name, CommandExecutor executor) {
    Objects.requireNonNull(executor, "executor");
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "host name '" + name + "' must match " + NAME.pattern() + " (no spaces, not empty)");
    }
    return new FleetHost(name, executor);
  }

  /** The host's name, unique within a fleet. */
  public String name() {
    return name;
  }

  /** The executor that runs commands on the host. */
  public CommandExecutor executor() {
    return executor;
  }

  @Override
  public String toString() {
    return name;
  }
}
