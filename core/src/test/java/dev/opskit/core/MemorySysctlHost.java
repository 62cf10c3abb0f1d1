package dev.opskit.core;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * An in-memory host that answers the two commands of {@link SomaxconnTask}; unreachable hosts throw
 * {@link IOException} as a dropped SSH connection would. Thread-safe.
 */
final class MemorySysctlHost implements CommandExecutor {
  private volatile String value;
  private volatile boolean reachable = true;

  MemorySysctlHost(String value) {
    this.value = value;
  }

  String value() {
    return value;
  }

  void unreachable() {
    reachable = false;
  }

  @Override
  public ExecResult execute(Command command) throws IOException {
    if (!reachable) {
      throw new IOException("connection refused");
    }
    List<String> argv = command.argv();
    if (argv.equals(List.of("cat", SomaxconnTask.PATH))) {
      return ExecResult.of(command, 0, value + "\n", "", Duration.ZERO);
    }
    String prefix = "net.core.somaxconn=";
    if (argv.size() == 4 && argv.get(0).equals("sysctl") && argv.get(3).startsWith(prefix)) {
      value = argv.get(3).substring(prefix.length());
      return ExecResult.of(command, 0, "", "", Duration.ZERO);
    }
    return ExecResult.of(command, 127, "", "unknown command " + argv, Duration.ZERO);
  }
}
