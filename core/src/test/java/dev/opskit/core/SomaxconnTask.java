package dev.opskit.core;

/**
 * A real per-host task for fleet tests: sets {@code net.core.somaxconn} (a network-namespaced
 * sysctl) through the host's executor with {@code cat} and {@code sysctl -w}, and rolls back to the
 * value it read first.
 */
final class SomaxconnTask implements HostTask {
  static final String PATH = "/proc/sys/net/core/somaxconn";

  private final String desired;

  SomaxconnTask(String desired) {
    this.desired = desired;
  }

  static String read(CommandExecutor executor) throws java.io.IOException, InterruptedException {
    return executor.execute("cat", PATH).requireSuccess().stdoutUtf8().strip();
  }

  static void write(CommandExecutor executor, String value)
      throws java.io.IOException, InterruptedException {
    executor.execute("sysctl", "-q", "-w", "net.core.somaxconn=" + value).requireSuccess();
  }

  @Override
  public HostOutcome run(FleetHost host) throws Exception {
    String before = read(host.executor());
    if (before.equals(desired)) {
      return HostOutcome.unchanged("net.core.somaxconn already " + desired);
    }
    write(host.executor(), desired);
    return HostOutcome.changed(
        "set net.core.somaxconn " + before + " -> " + desired,
        () -> write(host.executor(), before));
  }
}
