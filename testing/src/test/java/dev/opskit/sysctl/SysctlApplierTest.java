package dev.opskit.sysctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.core.Command;
import dev.opskit.core.FakeCommandExecutor;
import dev.opskit.testing.FakeHost;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Node-level keys on a host in memory: its kernel values and its drop-in folder. */
class SysctlApplierTest {
  private static final String DIR = "/etc/opskit-test/sysctl.d";

  private FakeHost host;
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
        FakeHost.create()
            .withDirectory(DIR)
            .withSysctl("fs.file-max", "9223372036854775807")
            .withSysctl("fs.inotify.max_user_watches", "8192")
            .withSysctl("fs.inotify.max_user_instances", "128")
            .withSysctl("net.ipv4.tcp_rmem", "4096\t131072\t33554432");
    applier = SysctlApplier.on(host).withDropInDirectory(DIR);
  }

  /** The argv of every call the host got. */
  private List<List<String>> argvs() {
    return host.calls().stream().map(c -> c.command().argv()).toList();
  }

  /** The paths of the files in the drop-in folder. */
  private List<String> filesInDir() {
    return host.files().keySet().stream().filter(p -> p.startsWith(DIR + "/")).toList();
  }

  private String kernel(String key) {
    return host.sysctl(key).orElseThrow();
  }

  @Test
  void observesTheWholeProfileInOneCommandWithKeysAsArguments() throws Exception {
    SysctlObservation seen = applier.observe(SysctlProfile.kubernetesNode());

    assertThat(host.calls()).hasSize(1);
    List<String> argv = argvs().get(0);
    assertThat(argv.subList(0, 2)).containsExactly("sh", "-c");
    assertThat(argv.get(2)).doesNotContain("fs/file-max").doesNotContain("inotify");
    assertThat(argv.subList(4, argv.size()))
        .startsWith(
            DIR + "/99-opskit-kubernetes-node.conf", "fs/file-max", "fs/inotify/max_user_watches");
    assertThat(seen.values()).containsEntry(SysctlKey.of("fs.file-max"), "9223372036854775807");
    assertThat(seen.unknown()).contains(SysctlKey.of("net.bridge.bridge-nf-call-iptables"));
    assertThat(seen.dropIn()).isEmpty();
  }

  @Test
  void applyRaisesLowValuesKeepsHigherOnesAndPersistsThemAtomically() throws Exception {
    SysctlApplyResult result = applier.apply(NODE);

    assertThat(result.changed()).isTrue();
    assertThat(result.dropInWritten()).isTrue();
    assertThat(kernel("fs.file-max")).isEqualTo("9223372036854775807");
    assertThat(kernel("fs.inotify.max_user_watches")).isEqualTo("524288");
    assertThat(kernel("fs.inotify.max_user_instances")).isEqualTo("512");
    assertThat(kernel("net.ipv4.tcp_rmem")).isEqualTo("4096\t131072\t6291456");

    String file = DIR + "/99-opskit-node.conf";
    assertThat(host.file(file)).hasValue(result.plan().dropInContent());
    assertThat(filesInDir()).containsExactly(file);
    SysctlFile persisted = SysctlFile.parse(file, host.file(file).orElseThrow());
    assertThat(persisted.lastEntry(SysctlKey.of("fs.file-max")).map(SysctlEntry::value))
        .hasValue("9223372036854775807");
    assertThat(
            persisted
                .lastEntry(SysctlKey.of("fs.inotify.max_user_watches"))
                .map(SysctlEntry::value))
        .hasValue("524288");
    assertThat(argvs())
        .extracting(argv -> argv.get(0) + " " + argv.get(1))
        .containsExactly("sh -c", "sh -c", "sysctl -e", "sh -c", "sh -c");
    String staged = DIR + "/.99-opskit-node.conf.new";
    assertThat(argvs().get(2)).containsExactly("sysctl", "-e", "-p", staged);
    assertThat(argvs().get(4)).endsWith(staged, file);
    assertThat(applier.verify(NODE).isEmpty()).isTrue();
  }

  @Test
  void secondApplyWritesNothing() throws Exception {
    applier.apply(NODE);
    String written = host.file(DIR + "/99-opskit-node.conf").orElseThrow();
    host.clearCalls();

    SysctlApplyResult again = applier.apply(NODE);

    assertThat(again.changed()).isFalse();
    assertThat(again.plan().isEmpty()).isTrue();
    assertThat(host.calls()).hasSize(1);
    assertThat(argvs().get(0).get(2)).contains("/proc/sys/");
    assertThat(host.file(DIR + "/99-opskit-node.conf")).hasValue(written);
  }

  @Test
  void liveDriftWithCurrentDropInReloadsWithoutRewriting() throws Exception {
    applier.apply(NODE);
    host.withSysctl("fs.inotify.max_user_watches", "100");
    host.clearCalls();

    SysctlApplyResult result = applier.apply(NODE);

    assertThat(result.dropInWritten()).isFalse();
    assertThat(result.reloaded()).isTrue();
    assertThat(kernel("fs.inotify.max_user_watches")).isEqualTo("524288");
    assertThat(argvs()).extracting(argv -> argv.get(0)).containsExactly("sh", "sysctl", "sh");
  }

  @Test
  void unknownRequiredKeyBlocksBeforeAnythingIsWritten() throws Exception {
    assertThatThrownBy(() -> applier.apply(SysctlProfile.kubernetesNode()))
        .isInstanceOfSatisfying(
            SysctlApplyException.class, e -> assertThat(e.plan().blocked()).isNotEmpty())
        .hasMessageContaining("net.bridge.bridge-nf-call-iptables")
        .hasMessageContaining("br_netfilter")
        .hasMessageContaining("nothing was written");
    assertThat(host.calls()).hasSize(1);
    assertThat(filesInDir()).isEmpty();
  }

  @Test
  void failingSysctlLoadIsReportedWithItsResultAndRolledBack() throws Exception {
    // sysctl -p sets the other keys, then fails on this one
    host.refuseSysctlWrite("net.ipv4.tcp_rmem");
    assertThatThrownBy(() -> applier.apply(NODE))
        .isInstanceOfSatisfying(
            SysctlApplyException.class,
            e ->
                assertThat(e.result())
                    .hasValueSatisfying(r -> assertThat(r.exitCode()).hasValue(255)))
        .hasMessageContaining("sysctl -e -p " + DIR + "/.99-opskit-node.conf.new")
        .hasMessageContaining("setting key \"net.ipv4.tcp_rmem\": Invalid argument")
        .hasMessageContaining("rolled back");
    assertThat(kernel("fs.inotify.max_user_watches")).isEqualTo("8192");
    assertThat(filesInDir()).isEmpty();
  }

  @Test
  void aFailedRollbackIsSaidInTheSameLine() throws Exception {
    host.refuseSysctlWrite("net.ipv4.tcp_rmem");
    host.failNext(
        argv -> argv.get(2).startsWith("rc=0; staged=$1"), 1, "cannot restore fs/file-max");
    assertThatThrownBy(() -> applier.apply(NODE))
        .isInstanceOf(SysctlApplyException.class)
        .hasMessageContaining("rollback failed: cannot restore fs/file-max")
        .hasMessageNotContaining("\n");
  }

  @Test
  void valueTheKernelDoesNotTakeFailsVerificationAndRestoresEveryKey() throws Exception {
    host.ignoreSysctlWrite("net.ipv4.tcp_rmem");
    assertThatThrownBy(() -> applier.apply(NODE))
        .isInstanceOfSatisfying(
            SysctlApplyException.class,
            e ->
                assertThat(e.plan().changes())
                    .extracting(SysctlChange::key)
                    .containsExactly(SysctlKey.of("net.ipv4.tcp_rmem")))
        .hasMessageContaining("did not take")
        .hasMessageContaining("rolled back");
    assertThat(kernel("fs.inotify.max_user_watches")).isEqualTo("8192");
    assertThat(kernel("fs.inotify.max_user_instances")).isEqualTo("128");
    assertThat(filesInDir()).isEmpty();
  }

  @Test
  void aRollbackKeepsAValueAnotherApplySetSinceAndSaysSo() throws Exception {
    host.ignoreSysctlWrite("net.ipv4.tcp_rmem");
    // another operator sets a key of this profile between this apply's load and its rollback
    host.beforeNext(
        argv -> argv.get(2).startsWith("rc=0; staged=$1"),
        () -> host.withSysctl("fs.inotify.max_user_watches", "600000"));

    assertThatThrownBy(() -> applier.apply(NODE))
        .isInstanceOf(SysctlApplyException.class)
        .hasMessageContaining("did not take")
        .hasMessageContaining(
            "rolled back, except fs.inotify.max_user_watches: another apply changed it since");

    assertThat(kernel("fs.inotify.max_user_watches")).isEqualTo("600000");
    assertThat(kernel("fs.inotify.max_user_instances")).isEqualTo("128");
    assertThat(filesInDir()).isEmpty();
  }

  @Test
  void rollingBackAnApplyKeepsWhatAnotherApplyChangedSince() throws Exception {
    SysctlApplyResult applied = applier.apply(NODE);
    String dropIn = applied.plan().dropInPath();
    host.withSysctl("fs.inotify.max_user_watches", "600000");
    host.withFile(dropIn, "fs.inotify.max_user_watches = 600000\n");

    applier.rollBack(applied);

    assertThat(kernel("fs.inotify.max_user_watches")).isEqualTo("600000");
    assertThat(kernel("fs.inotify.max_user_instances")).isEqualTo("128");
    assertThat(host.file(dropIn)).hasValue("fs.inotify.max_user_watches = 600000\n");
  }

  @Test
  void rollingBackAnApplyNobodyTouchedSincePutsEverythingBack() throws Exception {
    SysctlApplyResult applied = applier.apply(NODE);

    applier.rollBack(applied);

    assertThat(kernel("fs.inotify.max_user_watches")).isEqualTo("8192");
    assertThat(kernel("fs.inotify.max_user_instances")).isEqualTo("128");
    assertThat(filesInDir()).isEmpty();
  }

  private static final String PREVIOUS = "net.core.somaxconn = 4100\n";

  @Test
  void aValueTheKernelRefusesKeepsThePreviousDropInAndLiveValues() throws Exception {
    String dropIn = DIR + "/99-opskit-lab.conf";
    host.withFile(dropIn, PREVIOUS)
        .withSysctl("net.core.somaxconn", "4100")
        .withSysctl("net.ipv4.tcp_syn_retries", "6");
    host.refuseSysctlWrite("net.ipv4.tcp_syn_retries");
    SysctlProfile profile =
        SysctlProfile.builder()
            .name("lab")
            .set("net.core.somaxconn", "4300")
            .set("net.ipv4.tcp_syn_retries", "500")
            .build();

    assertThatThrownBy(() -> applier.apply(profile))
        .isInstanceOf(SysctlApplyException.class)
        .hasMessageContaining("Invalid argument")
        .hasMessageContaining("rolled back");

    assertThat(kernel("net.core.somaxconn")).isEqualTo("4100");
    assertThat(kernel("net.ipv4.tcp_syn_retries")).isEqualTo("6");
    assertThat(host.file(dropIn)).hasValue(PREVIOUS);
    assertThat(filesInDir()).containsExactly(dropIn);
  }

  @Test
  void aWordWhereTheKernelHoldsANumberIsRefusedBeforeAnythingIsWritten() throws Exception {
    String dropIn = DIR + "/99-opskit-lab.conf";
    host.withFile(dropIn, PREVIOUS)
        .withSysctl("net.core.somaxconn", "4100")
        .withSysctl("net.ipv4.tcp_syn_retries", "6");
    SysctlProfile profile =
        SysctlProfile.builder()
            .name("lab")
            .set("net.core.somaxconn", "4300")
            .set("net.ipv4.tcp_syn_retries", "not-a-number")
            .build();

    assertThatThrownBy(() -> applier.apply(profile))
        .isInstanceOfSatisfying(
            SysctlApplyException.class,
            e ->
                assertThat(e.plan().blocked())
                    .extracting(SysctlChange::action)
                    .containsExactly(SysctlChange.Action.BLOCKED_INVALID))
        .hasMessageContaining("net.ipv4.tcp_syn_retries value 'not-a-number' is not an integer")
        .hasMessageContaining("nothing was written");
    assertThat(host.calls()).hasSize(1);
    assertThat(kernel("net.core.somaxconn")).isEqualTo("4100");
    assertThat(host.file(dropIn)).hasValue(PREVIOUS);
  }

  @Test
  void knownKeysAreValidatedWhenTheProfileIsBuilt() {
    assertThatThrownBy(
            () ->
                SysctlProfile.builder().name("x").set("net.core.somaxconn", "not-a-number").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("net.core.somaxconn 'not-a-number' must be an integer");
    assertThatThrownBy(
            () ->
                SysctlProfile.builder()
                    .name("x")
                    .set("net.ipv4.ip_local_port_range", "40000 20000")
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ascending order");
    assertThatThrownBy(
            () ->
                SysctlProfile.builder()
                    .name("x")
                    .set("net.ipv4.ip_local_port_range", "0 70000")
                    .build())
        .hasMessageContaining("two integers from 1 to 65535");
    assertThatThrownBy(
            () -> SysctlProfile.builder().name("x").set("net.ipv4.tcp_rmem", "4096 87380").build())
        .hasMessageContaining("three integers");
    assertThatThrownBy(
            () -> SysctlProfile.builder().name("x").set("vm.overcommit_memory", "3").build())
        .hasMessageContaining("from 0 to 2");
    assertThat(
            SysctlProfile.builder()
                .name("x")
                .set("net.ipv4.ip_local_port_range", "20000 20000")
                .set("kernel.panic", "-1")
                .build()
                .values())
        .hasSize(2);
  }

  @Test
  void hostWideKeysAreRefusedInsideANetworkNamespaceUnlessAllowed() throws Exception {
    host.withNetworkNamespace("net:[4026532999]").withSysctl("net.core.somaxconn", "4096");
    SysctlProfile mixed =
        SysctlProfile.builder()
            .name("mixed")
            .set("net.core.somaxconn", "8192")
            .setRaiseOnly("fs.file-max", 2097152)
            .build();

    assertThatThrownBy(() -> applier.apply(mixed))
        .isInstanceOfSatisfying(
            SysctlApplyException.class,
            e ->
                assertThat(e.plan().blocked())
                    .extracting(SysctlChange::key, SysctlChange::action)
                    .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(
                            SysctlKey.of("fs.file-max"), SysctlChange.Action.BLOCKED_HOST_WIDE)))
        .hasMessageContaining("fs.file-max not scoped to the network namespace net:[4026532999]")
        .hasMessageContaining("nothing was written");
    assertThat(kernel("net.core.somaxconn")).isEqualTo("4096");

    SysctlApplyResult allowed = applier.withHostWide(true).apply(mixed);
    assertThat(allowed.changed()).isTrue();
    assertThat(kernel("net.core.somaxconn")).isEqualTo("8192");

    // PID 1 unreadable, and net.core.netdev_max_backlog (shown in the host's namespace only) absent
    host.withInitNetworkNamespace("").withoutSysctl("net.core.netdev_max_backlog");
    assertThatThrownBy(() -> applier.apply(mixed))
        .as("PID 1 unreadable: host-only keys missing still show a namespace of its own")
        .hasMessageContaining("fs.file-max not scoped to the network namespace");
    host.withSysctl("net.core.netdev_max_backlog", "1000");
    assertThat(applier.plan(mixed).blocked()).isEmpty();

    SysctlProfile namespaced =
        SysctlProfile.builder().name("ns").set("net.core.somaxconn", "8000").build();
    assertThat(applier.apply(namespaced).changed()).isTrue();
  }

  @Test
  void raiseOnlyKeyWithAHigherLiveValueIsSatisfiedInDriftAndPlanAlike() throws Exception {
    List<SysctlDrift> drift = applier.drift(NODE);
    SysctlPlan plan = applier.plan(NODE);

    SysctlDrift fileMax =
        drift.stream().filter(d -> d.key().name().equals("fs.file-max")).findFirst().orElseThrow();
    assertThat(fileMax.status()).isEqualTo(SysctlDrift.Status.KEPT_HIGHER);
    assertThat(fileMax.isSatisfied()).isTrue();
    assertThat(fileMax.render())
        .isEqualTo(
            "KEPT_HIGHER fs.file-max = 9223372036854775807 (raise-only: above the wanted 2097152,"
                + " kept)");
    assertThat(plan.decisions())
        .filteredOn(c -> c.key().name().equals("fs.file-max"))
        .extracting(SysctlChange::action)
        .containsExactly(SysctlChange.Action.KEEP_HIGHER);
    assertThat(drift)
        .filteredOn(d -> d.status() == SysctlDrift.Status.DIFFERS)
        .extracting(d -> d.key().name())
        .containsExactlyInAnyOrderElementsOf(
            plan.changes().stream()
                .map(c -> c.key().name())
                .collect(java.util.stream.Collectors.toList()));
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
    assertThat(SysctlApplier.on(host).dropInDirectory()).isEqualTo("/etc/sysctl.d");
  }

  @Test
  void aFailedDropInWriteKeepsThePreviousDropInAndChangesNothing() {
    String target = DIR + "/99-opskit-node.conf";
    String old = "# old\nfs.file-max = 1000\n";
    host.withFile(target, old).withSysctl("fs.file-max", "1000");
    host.failNext(
        argv -> argv.get(0).equals("sh") && argv.get(2).contains("mktemp"), 1, "mv: disk full");
    SysctlProfile profile =
        SysctlProfile.builder().name("node").set("fs.file-max", "2097152").build();

    assertThatThrownBy(() -> applier.apply(profile))
        .isInstanceOf(SysctlApplyException.class)
        .hasMessageContaining("disk full")
        .hasMessageContaining("nothing was changed");
    assertThat(host.file(target)).hasValue(old);
    assertThat(filesInDir()).containsExactly(target);
    assertThat(kernel("fs.file-max")).isEqualTo("1000");
  }
}
