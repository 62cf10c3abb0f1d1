package dev.opskit.sysctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.core.Command;
import dev.opskit.core.FakeCommandExecutor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Node-level keys: a fake kernel, real drop-in files in a temporary folder. */
class SysctlApplierTest {
  @TempDir Path dir;

  private FakeKernelHost host;
  private SysctlApplier applier;

  private static final SysctlProfile NODE =
      SysctlProfile.builder()
          .name("node")
          .setRaiseOnly("fs.file-max", 2097152)
          .setRaiseOnly("fs.inotify.max_user_watches", 524288)
          .setRaiseOnly("fs.inotify.max_user_instances", 512)
          .set("net.ipv4.tcp_rmem", "4096 131072 6291456")
          .build();

  @BeforeEach
  void setUp() {
    host =
        new FakeKernelHost()
            .with("fs.file-max", "9223372036854775807")
            .with("fs.inotify.max_user_watches", "8192")
            .with("fs.inotify.max_user_instances", "128")
            .with("net.ipv4.tcp_rmem", "4096\t131072\t33554432");
    applier = SysctlApplier.on(host.executor).withDropInDirectory(dir.toString());
  }

  @Test
  void observesTheWholeProfileInOneCommandWithKeysAsArguments() throws Exception {
    SysctlObservation seen = applier.observe(SysctlProfile.kubernetesNode());

    assertThat(host.executor.commands()).hasSize(1);
    List<String> argv = host.executor.argvs().get(0);
    assertThat(argv.subList(0, 2)).containsExactly("sh", "-c");
    assertThat(argv.get(2)).doesNotContain("fs/file-max").doesNotContain("inotify");
    assertThat(argv.subList(4, argv.size()))
        .startsWith(
            dir.resolve("99-opskit-kubernetes-node.conf").toString(),
            "fs/file-max",
            "fs/inotify/max_user_watches");
    assertThat(seen.values()).containsEntry(SysctlKey.of("fs.file-max"), "9223372036854775807");
    assertThat(seen.unknown()).contains(SysctlKey.of("net.bridge.bridge-nf-call-iptables"));
    assertThat(seen.dropIn()).isEmpty();
  }

  @Test
  void applyRaisesLowValuesKeepsHigherOnesAndPersistsThemAtomically() throws Exception {
    SysctlApplyResult result = applier.apply(NODE);

    assertThat(result.changed()).isTrue();
    assertThat(result.dropInWritten()).isTrue();
    assertThat(host.kernel.get(SysctlKey.of("fs.file-max"))).isEqualTo("9223372036854775807");
    assertThat(host.kernel.get(SysctlKey.of("fs.inotify.max_user_watches"))).isEqualTo("524288");
    assertThat(host.kernel.get(SysctlKey.of("fs.inotify.max_user_instances"))).isEqualTo("512");
    assertThat(host.kernel.get(SysctlKey.of("net.ipv4.tcp_rmem")))
        .isEqualTo("4096\t131072\t6291456");

    Path file = dir.resolve("99-opskit-node.conf");
    assertThat(Files.readString(file)).isEqualTo(result.plan().dropInContent());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-r--r--");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).containsExactly(file);
    }
    SysctlFile persisted = SysctlFile.parse(file.toString(), Files.readString(file));
    assertThat(persisted.lastEntry(SysctlKey.of("fs.file-max")).map(SysctlEntry::value))
        .hasValue("9223372036854775807");
    assertThat(
            persisted
                .lastEntry(SysctlKey.of("fs.inotify.max_user_watches"))
                .map(SysctlEntry::value))
        .hasValue("524288");
    assertThat(host.executor.argvs())
        .extracting(argv -> argv.get(0) + " " + argv.get(1))
        .containsExactly("sh -c", "sh -c", "sysctl -e", "sh -c");
    assertThat(host.executor.argvs().get(2)).containsExactly("sysctl", "-e", "-p", file.toString());
    assertThat(applier.verify(NODE).isEmpty()).isTrue();
  }

  @Test
  void secondApplyWritesNothing() throws Exception {
    applier.apply(NODE);
    long modified = Files.getLastModifiedTime(dir.resolve("99-opskit-node.conf")).toMillis();
    host.executor.clearCommands();

    SysctlApplyResult again = applier.apply(NODE);

    assertThat(again.changed()).isFalse();
    assertThat(again.plan().isEmpty()).isTrue();
    assertThat(host.executor.commands()).hasSize(1);
    assertThat(host.executor.argvs().get(0).get(2)).contains("/proc/sys/");
    assertThat(Files.getLastModifiedTime(dir.resolve("99-opskit-node.conf")).toMillis())
        .isEqualTo(modified);
  }

  @Test
  void liveDriftWithCurrentDropInReloadsWithoutRewriting() throws Exception {
    applier.apply(NODE);
    host.with("fs.inotify.max_user_watches", "100");
    host.executor.clearCommands();

    SysctlApplyResult result = applier.apply(NODE);

    assertThat(result.dropInWritten()).isFalse();
    assertThat(result.reloaded()).isTrue();
    assertThat(host.kernel.get(SysctlKey.of("fs.inotify.max_user_watches"))).isEqualTo("524288");
    assertThat(host.executor.argvs())
        .extracting(argv -> argv.get(0))
        .containsExactly("sh", "sysctl", "sh");
  }

  @Test
  void unknownRequiredKeyBlocksBeforeAnythingIsWritten() throws Exception {
    assertThatThrownBy(() -> applier.apply(SysctlProfile.kubernetesNode()))
        .isInstanceOfSatisfying(
            SysctlApplyException.class, e -> assertThat(e.plan().blocked()).isNotEmpty())
        .hasMessageContaining("net.bridge.bridge-nf-call-iptables")
        .hasMessageContaining("br_netfilter")
        .hasMessageContaining("nothing was written");
    assertThat(host.executor.commands()).hasSize(1);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void failingSysctlLoadIsReportedWithItsResult() throws Exception {
    host.sysctlExit = 1;
    assertThatThrownBy(() -> applier.apply(NODE))
        .isInstanceOfSatisfying(
            SysctlApplyException.class,
            e ->
                assertThat(e.result())
                    .hasValueSatisfying(r -> assertThat(r.exitCode()).hasValue(1)))
        .hasMessageContaining("sysctl -e -p " + dir.resolve("99-opskit-node.conf"));
  }

  @Test
  void valueTheKernelDoesNotTakeFailsVerification() throws Exception {
    host.ignoresWrites.add(SysctlKey.of("net.ipv4.tcp_rmem"));
    assertThatThrownBy(() -> applier.apply(NODE))
        .isInstanceOfSatisfying(
            SysctlApplyException.class,
            e ->
                assertThat(e.plan().changes())
                    .extracting(SysctlChange::key)
                    .containsExactly(SysctlKey.of("net.ipv4.tcp_rmem")))
        .hasMessageContaining("not in force after applying");
  }

  @Test
  void failedObserveIsACommandFailure() {
    FakeCommandExecutor broken = FakeCommandExecutor.create();
    broken.onArgvStartingWith("sh").replyExit(3, "", "cat: Permission denied");
    assertThatThrownBy(() -> SysctlApplier.on(broken).observe(NODE))
        .isInstanceOf(dev.opskit.core.CommandFailedException.class)
        .hasMessageContaining("Permission denied");
  }

  @Test
  void malformedObserveOutputIsRejected() {
    FakeCommandExecutor odd = FakeCommandExecutor.create();
    odd.onArgvStartingWith("sh").replyStdout("X\0\0V\0" + "1\0");
    assertThatThrownBy(() -> SysctlApplier.on(odd).observe(NODE))
        .isInstanceOf(dev.opskit.core.OpskitException.class)
        .hasMessageContaining("unexpected output");
  }

  @Test
  void effectiveConfigurationReadsAllFoldersInOneCommand() throws Exception {
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    fake.onArgvStartingWith("sh", "-c")
        .replyStdout(
            "/etc/sysctl.d/99-opskit-node.conf\0fs.file-max = 2097152\n\0"
                + "/usr/lib/sysctl.d/50-default.conf\0fs.file-max = 9223372036854775807\n\0"
                + "/etc/sysctl.conf\0\0");

    SysctlEffective effective = SysctlApplier.on(fake).effectiveConfiguration();

    assertThat(fake.commands()).hasSize(1);
    Command command = fake.commands().get(0);
    assertThat(command.argv()).containsSequence(SysctlEffective.DIRECTORIES);
    assertThat(effective.winner(SysctlKey.of("fs.file-max")).map(SysctlSource::location))
        .hasValue("/etc/sysctl.d/99-opskit-node.conf:1");
  }

  @Test
  void directoryMustBeAbsolute() {
    assertThatThrownBy(() -> applier.withDropInDirectory("etc/sysctl.d"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("absolute");
    assertThat(SysctlApplier.on(host.executor).dropInDirectory()).isEqualTo("/etc/sysctl.d");
  }
}
