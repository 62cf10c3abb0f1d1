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
 * the kernel is a map behind a {@link FakeCommandExecutor}, while drop-in writes and renames run
 * the real scripts locally, into a temporary folder.
 */
final class FakeKernelHost {
  final Map<SysctlKey, String> kernel = new LinkedHashMap<>();

  /** Keys whose writes {@code sysctl -p} reports as done but the kernel ignores. */
  final Set<SysctlKey> ignoresWrites = new HashSet<>();

  /** Keys whose writes the kernel refuses with EINVAL ({@code sysctl -p} goes on, then fails). */
  final Set<SysctlKey> refusesWrites = new HashSet<>();

  final FakeCommandExecutor executor = FakeCommandExecutor.create();
  int sysctlExit = 0;
  boolean rollbackFails;
  String networkNamespace = "net:[4026531840]";
  String hostNetworkNamespace = "net:[4026531840]";
  String hostOnlyKeysVisible = "1";

  FakeKernelHost() {
    LocalExecutor local = LocalExecutor.create();
    executor
        .onArgv("observe script", argv -> isShell(argv) && argv.get(2).contains("/proc/sys/$k"))
        .reply(this::observe);
    executor
        .onArgv("rollback script", argv -> isShell(argv) && argv.get(2).contains("staged=$1"))
        .reply(this::rollback);
    executor
        .onArgv("atomic write script", argv -> isShell(argv) && argv.get(2).contains("mktemp"))
        .reply(local::execute);
    executor
        .onArgv("commit script", argv -> isShell(argv) && argv.get(2).startsWith("mv -f"))
        .reply(local::execute);
    executor.onArgvStartingWith("sysctl", "-e", "-p").reply(this::load);
  }

  FakeKernelHost with(String key, String value) {
    kernel.put(SysctlKey.of(key), value);
    return this;
  }

  /** The host as seen from inside a network namespace of its own. */
  FakeKernelHost inSeparateNetworkNamespace() {
    networkNamespace = "net:[4026532999]";
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
    out.append("S\0").append(networkNamespace).append(' ').append(hostNetworkNamespace);
    out.append(' ').append(hostOnlyKeysVisible).append('\0');
    return ExecResult.of(command, 0, out.toString(), "", Duration.ZERO);
  }

  private ExecResult rollback(Command command) throws IOException {
    if (rollbackFails) {
      return ExecResult.of(command, 1, "", "cannot restore fs/file-max\n", Duration.ZERO);
    }
    List<String> argv = command.argv();
    if (!argv.get(4).isEmpty()) {
      Files.deleteIfExists(Path.of(argv.get(4)));
    }
    for (int i = 5; i + 1 < argv.size(); i += 2) {
      kernel.put(SysctlKey.of(argv.get(i)), String.join("\t", argv.get(i + 1).split(" +")));
    }
    return ExecResult.of(command, 0, "", "", Duration.ZERO);
  }

  private ExecResult load(Command command) throws IOException {
    Path file = Path.of(command.argv().get(3));
    StringBuilder stdout = new StringBuilder();
    StringBuilder stderr = new StringBuilder();
    int exit = sysctlExit;
    for (SysctlEntry entry :
        SysctlFile.parse(file.toString(), Files.readString(file)).assignments()) {
      if (!kernel.containsKey(entry.key())) {
        continue;
      }
      if (refusesWrites.contains(entry.key())) {
        stderr
            .append("sysctl: setting key \"")
            .append(entry.key())
            .append("\": Invalid argument\n");
        exit = 255;
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
        .stderr(stderr.toString().getBytes(StandardCharsets.UTF_8))
        .duration(Duration.ZERO)
        .build();
  }
}
