package dev.opskit.sysctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.CommandFailedException;
import dev.opskit.core.FakeCommandExecutor;
import dev.opskit.core.LocalExecutor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Limits files written by the real scripts through a local shell, into temporary folders only;
 * {@code systemctl} is scripted.
 */
class LimitsApplierTest {
  @TempDir Path root;
  @TempDir Path fakeBin;

  private Path limitsDir;
  private Path systemdDir;
  private final LocalExecutor local = LocalExecutor.create();
  private FakeCommandExecutor host;
  private int reloadExit;

  private static final LimitsProfile NODE = LimitsProfile.kubernetesNode();

  @BeforeEach
  void setUp() {
    limitsDir = root.resolve("limits.d");
    systemdDir = root.resolve("systemd");
    host = FakeCommandExecutor.create();
    host.onArgvStartingWith("sh", "-c").reply(local::execute);
    host.onArgv("systemctl", "daemon-reload")
        .reply(
            command ->
                dev.opskit.core.ExecResult.of(
                    command, reloadExit, "", "no bus", java.time.Duration.ZERO));
  }

  private LimitsApplier applier(CommandExecutor executor) {
    return LimitsApplier.on(executor)
        .withLimitsDirectory(limitsDir.toString())
        .withSystemdDirectory(systemdDir + "/");
  }

  private Path limitsFile() {
    return limitsDir.resolve("99-opskit-kubernetes-node.conf");
  }

  private Path dropIn(String unit) {
    return systemdDir.resolve(unit + ".d").resolve("99-opskit-kubernetes-node.conf");
  }

  private List<String> writes() {
    return host.argvs().stream()
        .filter(argv -> argv.get(0).equals("sh") && argv.get(2).contains("mktemp"))
        .map(argv -> argv.get(4) + "/" + argv.get(5))
        .collect(Collectors.toList());
  }

  private List<List<String>> systemctl() {
    return host.argvs().stream()
        .filter(argv -> argv.get(0).equals("systemctl"))
        .collect(Collectors.toList());
  }

  private List<Path> allFiles() throws Exception {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
    }
  }

  @Test
  void observesEveryFileAndTheLiveLimitsInOneCommandWithPathsAsArguments() throws Exception {
    Files.createDirectories(limitsDir);
    Files.writeString(limitsFile(), "* soft nofile 1024\n");

    LimitsObservation seen = applier(host).observe(NODE);

    assertThat(host.commands()).hasSize(1);
    List<String> argv = host.argvs().get(0);
    assertThat(argv.get(2)).doesNotContain(root.toString());
    assertThat(argv.subList(4, argv.size()))
        .containsExactly(
            "/proc/sys/fs/nr_open",
            limitsFile().toString(),
            dropIn("containerd.service").toString(),
            dropIn("kubelet.service").toString());
    assertThat(seen.files())
        .containsExactly(Map.entry(limitsFile().toString(), "* soft nofile 1024\n"));
    assertThat(seen.notRegularFiles()).isEmpty();
    assertThat(seen.nrOpen())
        .hasValue(
            Long.parseLong(Files.readAllLines(Path.of("/proc/sys/fs/nr_open")).get(0).strip()));
    String soft = local.execute("sh", "-c", "ulimit -Sn").requireSuccess().stdoutUtf8().strip();
    assertThat(seen.nofileSoft()).hasValue(soft);
    assertThat(seen.nofileHard()).isPresent();
  }

  @Test
  void applyCreatesEveryFileAndFolderWithMode0644AndVerifies() throws Exception {
    LimitsApplyResult result = applier(host).apply(NODE);

    Map<String, String> desired = NODE.files(limitsDir.toString(), systemdDir.toString());
    assertThat(result.changed()).isTrue();
    assertThat(result.written()).containsExactlyElementsOf(desired.keySet());
    assertThat(result.plan().files())
        .extracting(LimitsFileChange::action)
        .containsOnly(LimitsFileChange.Action.CREATE);
    assertThat(result.daemonReloaded()).isFalse();
    assertThat(result.unitsToRestart()).containsExactly("containerd.service", "kubelet.service");
    assertThat(result.after().files()).isEqualTo(desired);
    for (Map.Entry<String, String> file : desired.entrySet()) {
      Path path = Path.of(file.getKey());
      assertThat(Files.readString(path)).isEqualTo(file.getValue());
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path)))
          .isEqualTo("rw-r--r--");
    }
    assertThat(Files.readString(dropIn("kubelet.service")))
        .endsWith("[Service]\nLimitNOFILE=1048576\n");
    assertThat(
            PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dropIn("kubelet.service").getParent())))
        .isEqualTo("rwxr-xr-x");
    assertThat(allFiles())
        .containsExactly(limitsFile(), dropIn("containerd.service"), dropIn("kubelet.service"));
    assertThat(applier(host).verify(NODE).isEmpty()).isTrue();
    assertThat(systemctl()).isEmpty();
    assertThat(result.render())
        .contains("wrote " + limitsFile())
        .contains("run systemctl daemon-reload")
        .contains("restart containerd.service to pick up LimitNOFILE");
  }

  @Test
  void rollingBackPutsBackEveryFileExceptOneChangedSince() throws Exception {
    host.onArgvStartingWith("rm", "-f").reply(local::execute);
    LimitsApplier applier = applier(host);
    LimitsApplyResult applied = applier.apply(NODE);
    assertThat(applied.written()).hasSizeGreaterThan(1).contains(limitsFile().toString());
    // another operator edits the limits file after this apply wrote it
    Files.writeString(limitsFile(), "* soft nofile 4096\n");

    applier.rollBack(applied);

    assertThat(limitsFile()).hasContent("* soft nofile 4096");
    for (String path : applied.written()) {
      if (!path.equals(limitsFile().toString())) {
        assertThat(Path.of(path)).as("written by the apply, absent before").doesNotExist();
      }
    }
  }

  @Test
  void secondApplyWritesNothingAndSaysSo() throws Exception {
    LimitsApplier applier = applier(host).withDaemonReload(true);
    applier.apply(NODE);
    host.clearCommands();

    LimitsApplyResult again = applier.apply(NODE);

    assertThat(again.changed()).isFalse();
    assertThat(again.written()).isEmpty();
    assertThat(again.daemonReloaded()).isFalse();
    assertThat(again.plan().isEmpty()).isTrue();
    assertThat(again.unitsToRestart()).isEmpty();
    assertThat(again.render())
        .isEqualTo("limits profile kubernetes-node: up to date, nothing written\n");
    assertThat(again.plan().render())
        .isEqualTo("limits profile kubernetes-node: up to date (3 files)\n");
    assertThat(host.commands()).hasSize(1);
  }

  @Test
  void onlyMissingAndStaleFilesAreWritten() throws Exception {
    Map<String, String> desired = NODE.files(limitsDir.toString(), systemdDir.toString());
    Files.createDirectories(limitsDir);
    Files.writeString(limitsFile(), desired.get(limitsFile().toString()));
    FileTime old = FileTime.fromMillis(1_000_000_000_000L);
    Files.setLastModifiedTime(limitsFile(), old);
    Files.createDirectories(dropIn("containerd.service").getParent());
    Files.writeString(dropIn("containerd.service"), "[Service]\nLimitNOFILE=4096\n");

    LimitsPlan plan = applier(host).plan(NODE);
    assertThat(plan.files())
        .extracting(LimitsFileChange::action)
        .containsExactly(
            LimitsFileChange.Action.UNCHANGED,
            LimitsFileChange.Action.UPDATE,
            LimitsFileChange.Action.CREATE);
    assertThat(plan.files().get(1).before()).hasValue("[Service]\nLimitNOFILE=4096\n");
    assertThat(plan.render())
        .contains("unchanged " + limitsFile())
        .contains(
            "update "
                + dropIn("containerd.service")
                + " (then daemon-reload and restart containerd.service)")
        .contains("create " + dropIn("kubelet.service"));
    host.clearCommands();

    LimitsApplyResult result = applier(host).apply(NODE);

    assertThat(writes())
        .containsExactly(
            dropIn("containerd.service").getParent() + "/99-opskit-kubernetes-node.conf",
            dropIn("kubelet.service").getParent() + "/99-opskit-kubernetes-node.conf");
    assertThat(result.written())
        .containsExactly(
            dropIn("containerd.service").toString(), dropIn("kubelet.service").toString());
    assertThat(Files.getLastModifiedTime(limitsFile())).isEqualTo(old);
    assertThat(Files.readString(dropIn("containerd.service"))).contains("LimitNOFILE=1048576");
  }

  @Test
  void daemonReloadRunsOnceOnlyWhenAskedAndADropInChanged() throws Exception {
    LimitsProfile limitsOnly =
        LimitsProfile.builder().name("kubernetes-node").addEntries(NODE.entries().get(0)).build();
    applier(host).withDaemonReload(true).apply(limitsOnly);
    assertThat(systemctl()).isEmpty();

    LimitsApplyResult result = applier(host).withDaemonReload(true).apply(NODE);

    assertThat(result.daemonReloaded()).isTrue();
    assertThat(systemctl()).containsExactly(List.of("systemctl", "daemon-reload"));
    List<String> order = new ArrayList<>();
    host.argvs()
        .forEach(
            argv ->
                order.add(
                    argv.get(0).equals("systemctl")
                        ? "reload"
                        : argv.get(2).contains("mktemp") ? "write" : "read"));
    assertThat(order.subList(order.size() - 6, order.size()))
        .containsExactly("read", "write", "write", "write", "reload", "read");
    assertThat(result.render())
        .contains("ran systemctl daemon-reload")
        .contains("restart kubelet.service");
  }

  @Test
  void failedDaemonReloadIsReportedWithItsResult() throws Exception {
    reloadExit = 1;
    assertThatThrownBy(() -> applier(host).withDaemonReload(true).apply(NODE))
        .isInstanceOfSatisfying(
            LimitsApplyException.class,
            e -> {
              assertThat(e.result()).isPresent();
              assertThat(e.result().get().exitCode()).hasValue(1);
              assertThat(e.plan().unitsToRestart()).hasSize(2);
            })
        .hasMessageContaining("daemon-reload failed (exit 1): no bus");
    assertThat(Files.readString(dropIn("kubelet.service"))).contains("LimitNOFILE=1048576");
  }

  @Test
  void failedWriteLeavesTheOldFileAndNoTempFile() throws Exception {
    Files.createDirectories(limitsDir);
    Files.writeString(limitsFile(), "# old\n");
    Path mv = fakeBin.resolve("mv");
    Files.writeString(mv, "#!/bin/sh\necho 'mv: disk full' >&2\nexit 1\n");
    mv.toFile().setExecutable(true);
    CommandExecutor writesFail =
        command ->
            host.execute(
                command.argv().get(0).equals("sh") && command.argv().get(2).contains("mktemp")
                    ? Command.builder()
                        .from(command)
                        .putEnv("PATH", fakeBin + ":" + System.getenv("PATH"))
                        .build()
                    : command);

    assertThatThrownBy(() -> applier(writesFail).apply(NODE))
        .isInstanceOf(CommandFailedException.class)
        .hasMessageContaining("disk full");

    assertThat(Files.readString(limitsFile())).isEqualTo("# old\n");
    assertThat(allFiles()).containsExactly(limitsFile());
    try (Stream<Path> entries = Files.list(limitsDir)) {
      assertThat(entries).containsExactly(limitsFile());
    }
  }

  @Test
  void nofileAboveNrOpenIsRefusedBeforeAnythingIsWritten() throws Exception {
    Path nrOpen = fakeBin.resolve("nr_open");
    Files.writeString(nrOpen, "65536\n");
    CommandExecutor smallKernel =
        command -> {
          List<String> argv = new ArrayList<>(command.argv());
          argv.replaceAll(arg -> arg.equals("/proc/sys/fs/nr_open") ? nrOpen.toString() : arg);
          return host.execute(Command.builder().from(command).argv(argv).build());
        };

    assertThat(applier(smallKernel).observe(NODE).nrOpen()).hasValue(65536);
    assertThatThrownBy(() -> applier(smallKernel).apply(NODE))
        .isInstanceOfSatisfying(
            LimitsApplyException.class, e -> assertThat(e.plan().blocked()).hasSize(6))
        .hasMessageContaining("'* soft nofile 1048576' is above fs.nr_open 65536")
        .hasMessageContaining("LimitNOFILE=1048576 for kubelet.service is above fs.nr_open 65536")
        .hasMessageContaining("nothing was written");
    assertThat(allFiles()).isEmpty();
    assertThat(writes()).isEmpty();
  }

  @Test
  void aFolderWhereAFileBelongsBlocksTheApply() throws Exception {
    Files.createDirectories(dropIn("kubelet.service"));
    LimitsPlan plan = applier(host).plan(NODE);
    assertThat(plan.blocked())
        .containsExactly(dropIn("kubelet.service") + " exists and is not a regular file");
    assertThat(plan.isEmpty()).isFalse();
    assertThatThrownBy(() -> applier(host).apply(NODE)).isInstanceOf(LimitsApplyException.class);
    assertThat(allFiles()).isEmpty();
  }

  @Test
  void foldersMustBeAbsoluteSingleLinePaths() {
    LimitsApplier applier = LimitsApplier.on(host);
    assertThat(applier.limitsDirectory()).isEqualTo("/etc/security/limits.d");
    assertThat(applier.systemdDirectory()).isEqualTo("/etc/systemd/system");
    assertThat(applier.daemonReload()).isFalse();
    assertThatThrownBy(() -> applier.withLimitsDirectory("etc/security"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must be an absolute path");
    assertThatThrownBy(() -> applier.withSystemdDirectory("/etc\n/x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line breaks");
    assertThatThrownBy(() -> NODE.files("/etc", "run"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("systemd directory 'run'");
    assertThat(host.commands()).isEmpty();
  }
}
