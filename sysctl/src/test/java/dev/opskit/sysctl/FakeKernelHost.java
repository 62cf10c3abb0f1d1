package dev.opskit.sysctl;

import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import dev.opskit.core.FakeCommandExecutor;
import dev.opskit.core.LocalExecutor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A host for tests of node-level keys that must never be written on the machine running the tests:
 * the kernel is a map behind a {@link FakeCommandExecutor}, while drop-in writes run the real
 * atomic-write script locally, into a temporary folder.
 */
final class FakeKernelHost {
  final Map<SysctlKey, String> kernel = new LinkedHashMap<>();
  final Set<SysctlKey> ignoresWrites = new HashSet<>();
  final FakeCommandExecutor executor = FakeCommandExecutor.create();
  int sysctlExit = 0;

  FakeKernelHost() {
    LocalExecutor local = LocalExecutor.create();
    executor
        .onArgv("observe script", argv -> isShell(argv) && argv.get(2).contains("/proc/sys/"))
        .reply(this::observe);
    executor
        .onArgv("atomic write script", argv -> isShell(argv) && argv.get(2).contains("mktemp"))
        .reply(local::execute);
    executor.onArgvStartingWith("sysctl", "-e", "-p").reply(this::load);
  }

  FakeKernelHost with(String key, String value) {
    kernel.put(SysctlKey.of(key), value);
    return this;
  }

  private static boolean isShell(List<String> argv) {
    return argv.size() >= 3 && argv.get(0).equals("sh") && argv.get(1).equals("-c");
  }

  private ExecResult observe(Command command) throws IOException {
    List<String> argv = command.argv();
    StringBuilder out = new StringBuilder();
    Path dropIn = Path.of(argv.get(4));
    if (Files.isRegularFile(dropIn)) {
      out.append("F\0").append(Files.readString(dropIn)).append('\0');
    } else {
      out.append("X\0\0");
    }
    for (String path : argv.subList(5, argv.size())) {
      String value = kernel.get(SysctlKey.of(path));
      out.append(value == null ? "N\0\0" : "V\0" + value + "\0");
    }
    return ExecResult.of(command, 0, out.toString(), "", Duration.ZERO);
  }

  private ExecResult load(Command command) throws IOException {
    Path file = Path.of(command.argv().get(3));
    StringBuilder stdout = new StringBuilder();
    int exit = sysctlExit;
    for (SysctlEntry entry : SysctlFile.parse(file.toString(), Files.readString(file)).entries()) {
      if (!kernel.containsKey(entry.key())) {
        continue;
      }
      if (!ignoresWrites.contains(entry.key())) {
        kernel.put(entry.key(), String.join("\t", entry.value().split(" +")));
      }
      stdout.append(entry.key()).append(" = ").append(entry.value()).append('\n');
    }
    return ExecResult.builder()
        .command(command)
        .exitCode(exit)
        .stdout(stdout.toString().getBytes(StandardCharsets.UTF_8))
        .stderr(new byte[0])
        .duration(Duration.ZERO)
        .build();
  }
}
