package dev.opskit.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A fleet of SSH hosts: one {@link SshExecutor} per host, built from a caller's template (identity,
 * known_hosts, timeouts), each keeping one connection for the whole rollout. Hosts come from a list
 * of {@code ssh://user@host[:port]} targets or from an inventory file with one host per line:
 *
 * <pre>
 * # name (optional) and target
 * node-1 ssh://ops@198.18.0.11
 * node-2 ssh://ops@198.18.0.12:2222
 * ssh://ops@198.18.0.13
 * </pre>
 *
 * <p>Blank lines and lines starting with {@code #} are ignored. A host without a name is named
 * after its host (and its port when not 22). A malformed line or a duplicate name fails with an
 * {@link IllegalArgumentException} naming the line number.
 *
 * <pre>{@code
 * try (SshInventory fleet = SshInventory.read(Path.of("nodes.txt"),
 *     target -> SshExecutor.builder(target).identityFile(key).knownHosts(knownHosts).build())) {
 *   Map<String, String> down = fleet.connect();          // all at once, bounded; name -> error
 *   RolloutReport report = Rollout.builder().hosts(fleet.hosts()).task(task).build().run();
 * }
 * }</pre>
 *
 * <p><b>Ownership.</b> The inventory owns the executors it built and closes them all in {@link
 * #close()}. Safe for concurrent use after construction.
 */
public final class SshInventory implements AutoCloseable {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_\\[][A-Za-z0-9._:@\\[\\]-]*");
  private static final int DEFAULT_CONNECT_PARALLELISM = 32;

  private final Map<String, SshTarget> targets;
  private final List<SshExecutor> executors;
  private final List<FleetHost> hosts;

  private SshInventory(Map<String, SshTarget> targets, Function<SshTarget, SshExecutor> template) {
    this.targets = Collections.unmodifiableMap(new LinkedHashMap<>(targets));
    List<SshExecutor> built = new ArrayList<>();
    List<FleetHost> fleet = new ArrayList<>();
    try {
      for (Map.Entry<String, SshTarget> entry : targets.entrySet()) {
        SshExecutor executor =
            Objects.requireNonNull(
                template.apply(entry.getValue()), "template returned null for " + entry.getValue());
        built.add(executor);
        fleet.add(FleetHost.of(entry.getKey(), executor));
      }
    } catch (RuntimeException e) {
      built.forEach(SshExecutor::close);
      throw e;
    }
    this.executors = List.copyOf(built);
    this.hosts = List.copyOf(fleet);
  }

  /**
   * An inventory of {@code targets} ({@code [ssh://]user@host[:port]} each), named by host.
   *
   * @throws IllegalArgumentException naming the bad target (and its position) or a duplicate name
   */
  public static SshInventory of(List<String> targets, Function<SshTarget, SshExecutor> template) {
    Map<String, SshTarget> parsed = new LinkedHashMap<>();
    int position = 0;
    for (String text : Objects.requireNonNull(targets, "targets")) {
      position++;
      add(parsed, null, text, "target " + position);
    }
    return new SshInventory(parsed, Objects.requireNonNull(template, "template"));
  }

  /**
   * An inventory from the text of an inventory file (see the class description).
   *
   * @throws IllegalArgumentException naming the line number and what is wrong with it
   */
  public static SshInventory parse(String text, Function<SshTarget, SshExecutor> template) {
    Map<String, SshTarget> parsed = new LinkedHashMap<>();
    String[] lines = Objects.requireNonNull(text, "text").split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String where = "inventory line " + (i + 1);
      String[] fields = line.split("\\s+");
      if (fields.length == 1) {
        add(parsed, null, fields[0], where);
      } else if (fields.length == 2) {
        add(parsed, fields[0], fields[1], where);
      } else {
        throw new IllegalArgumentException(
            where + " '" + line + "' must be '[NAME ]ssh://user@host[:port]'");
      }
    }
    return new SshInventory(parsed, Objects.requireNonNull(template, "template"));
  }

  /**
   * An inventory read from {@code file} (UTF-8; see the class description).
   *
   * @throws IllegalArgumentException naming the line number and what is wrong with it
   * @throws UncheckedIOException when the file cannot be read
   */
  public static SshInventory read(Path file, Function<SshTarget, SshExecutor> template) {
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8), template);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read inventory " + file, e);
    }
  }

  private static void add(Map<String, SshTarget> parsed, String name, String text, String where) {
    SshTarget target;
    try {
      target = SshTarget.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
    String hostName =
        name != null
            ? name
            : target.port() == SshTarget.DEFAULT_PORT
                ? target.hostForUri()
                : target.hostForUri() + ":" + target.port();
    if (!NAME.matcher(hostName).matches()) {
      throw new IllegalArgumentException(
          where + ": host name '" + hostName + "' must match " + NAME.pattern());
    }
    if (parsed.containsKey(hostName)) {
      throw new IllegalArgumentException(
          where + ": host name '" + hostName + "' appears twice; names must be unique");
    }
    parsed.put(hostName, target);
  }

  /** The hosts, in inventory order, each with its {@link SshExecutor}. */
  public List<FleetHost> hosts() {
    return hosts;
  }

  /** Each host's name and target, in inventory order. */
  public Map<String, SshTarget> targets() {
    return targets;
  }

  /**
   * Opens every host's connection now, up to 32 at once, by running {@code true} on it; see {@link
   * #connect(int)}.
   */
  public Map<String, String> connect() throws InterruptedException {
    return connect(DEFAULT_CONNECT_PARALLELISM);
  }

  /**
   * Opens and authenticates every host's connection now, up to {@code parallelism} at once, without
   * running anything on the hosts, so the rollout starts on warm connections. Hosts that cannot be
   * reached stay in the inventory (a rollout reports them unreachable).
   *
   * @return the hosts that could not be reached, name to error message, in inventory order
   * @throws InterruptedException when interrupted; connections opened so far stay open
   */
  public Map<String, String> connect(int parallelism) throws InterruptedException {
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism " + parallelism + " must be >= 1");
    }
    Map<String, String> errors = new ConcurrentHashMap<>();
    AtomicInteger threads = new AtomicInteger();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            Math.max(1, Math.min(parallelism, hosts.size())),
            r -> {
              Thread thread = new Thread(r, "opskit-inventory-" + threads.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int i = 0; i < hosts.size(); i++) {
        FleetHost host = hosts.get(i);
        SshExecutor executor = executors.get(i);
        futures.add(
            pool.submit(
                () -> {
                  try {
                    executor.connect();
                  } catch (IOException e) {
                    errors.put(host.name(), String.valueOf(e.getMessage()));
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  return null;
                }));
      }
      for (Future<?> future : futures) {
        try {
          future.get();
        } catch (java.util.concurrent.ExecutionException e) {
          throw new IllegalStateException("connecting failed", e.getCause());
        }
      }
    } finally {
      pool.shutdownNow();
    }
    Map<String, String> ordered = new LinkedHashMap<>();
    for (FleetHost host : hosts) {
      if (errors.containsKey(host.name())) {
        ordered.put(host.name(), errors.get(host.name()));
      }
    }
    return ordered;
  }

  /** Closes every executor (and its connection). Idempotent. */
  @Override
  public void close() {
    RuntimeException first = null;
    for (SshExecutor executor : executors) {
      try {
        executor.close();
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }

  @Override
  public String toString() {
    return "SshInventory of " + hosts.size() + " hosts";
  }
}
