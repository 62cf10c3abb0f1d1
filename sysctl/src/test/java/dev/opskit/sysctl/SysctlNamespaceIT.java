package dev.opskit.sysctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecutionListener;
import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.TestNetworks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Namespaced net.* keys applied by the real kernel and the real {@code sysctl}, inside network
 * namespaces this test creates; the drop-in goes to a temporary folder. The host's own values are
 * read before and after and must not change.
 */
@Privileged(tools = {"ip", "sysctl"})
class SysctlNamespaceIT {
  private static final List<String> WATCHED =
      List.of(
          "net/ipv4/ip_forward",
          "net/core/somaxconn",
          "net/ipv4/ip_local_port_range",
          "net/ipv4/tcp_rmem",
          "net/ipv4/tcp_syn_retries",
          "vm/max_map_count",
          "kernel/panic");

  private static final SysctlProfile NAMESPACED =
      SysctlProfile.builder()
          .name("netns-test")
          .set("net.ipv4.ip_forward", "1")
          .set("net.core.somaxconn", "8191")
          .set("net.ipv4.ip_local_port_range", "20000 40000")
          .set("net.ipv4.tcp_rmem", "4096 65536 4194304")
          .set("net.ipv4.opskit_no_such_key", "1")
          .optional("net.ipv4.opskit_no_such_key")
          .build();

  /** A profile that applies, and one of the same name whose second value the kernel refuses. */
  private static final SysctlProfile PREVIOUS =
      SysctlProfile.builder()
          .name("tx")
          .set("net.core.somaxconn", "4100")
          .set("net.ipv4.tcp_syn_retries", "5")
          .build();

  private static final SysctlProfile REFUSED =
      SysctlProfile.builder()
          .name("tx")
          .set("net.core.somaxconn", "4300")
          .set("net.ipv4.tcp_syn_retries", "500")
          .build();

  @TempDir Path dir;

  @Test
  void appliesInsideTheNamespaceIdempotentlyAndLeavesTheHostAlone() throws Exception {
    Map<String, String> hostBefore = hostValues();
    List<Command> recorded = Collections.synchronizedList(new ArrayList<>());
    ExecutionListener recorder =
        new ExecutionListener() {
          @Override
          public void started(Command command) {
            recorded.add(command);
          }
        };
    try (TestNetworks net = TestNetworks.create()) {
      String ns = net.namespace("sysctl");
      CommandExecutor inside = net.executor(ns).withListener(recorder);
      SysctlApplier applier = SysctlApplier.on(inside).withDropInDirectory(dir.toString());

      List<SysctlDrift> before = applier.drift(NAMESPACED);
      assertThat(before)
          .filteredOn(d -> d.key().name().equals("net.ipv4.opskit_no_such_key"))
          .extracting(SysctlDrift::status)
          .containsExactly(SysctlDrift.Status.UNKNOWN_ON_KERNEL);
      assertThat(before)
          .filteredOn(d -> d.key().name().equals("net.core.somaxconn"))
          .extracting(SysctlDrift::status)
          .containsExactly(SysctlDrift.Status.DIFFERS);
      recorded.clear();

      SysctlApplyResult first = applier.apply(NAMESPACED);

      assertThat(first.changed()).isTrue();
      assertThat(first.dropInWritten()).isTrue();
      assertThat(first.plan().decisions())
          .filteredOn(c -> c.action() == SysctlChange.Action.SKIP_UNKNOWN)
          .extracting(c -> c.key().name())
          .containsExactly("net.ipv4.opskit_no_such_key");
      assertThat(read(net, ns, "net/ipv4/ip_forward")).isEqualTo("1");
      assertThat(read(net, ns, "net/core/somaxconn")).isEqualTo("8191");
      assertThat(read(net, ns, "net/ipv4/ip_local_port_range")).isEqualTo("20000\t40000");
      assertThat(read(net, ns, "net/ipv4/tcp_rmem")).isEqualTo("4096\t65536\t4194304");
      Path dropIn = dir.resolve("99-opskit-netns-test.conf");
      assertThat(Files.readString(dropIn)).isEqualTo(first.plan().dropInContent());
      assertThat(argv0s(recorded)).containsExactly("sh", "sh", "sysctl", "sh", "sh");

      FileTime written = Files.getLastModifiedTime(dropIn);
      recorded.clear();
      SysctlApplyResult second = applier.apply(NAMESPACED);

      assertThat(second.changed()).isFalse();
      assertThat(recorded).hasSize(1);
      assertThat(recorded.get(0).argv().get(2)).contains("/proc/sys/");
      assertThat(recorded.get(0).stdin()).isEmpty();
      assertThat(Files.getLastModifiedTime(dropIn)).isEqualTo(written);
      assertThat(applier.verify(NAMESPACED).isEmpty()).isTrue();

      String other = net.namespace("sysctl-other");
      SysctlApplier fresh =
          SysctlApplier.on(net.executor(other)).withDropInDirectory(dir.toString());
      assertThat(fresh.observe(NAMESPACED).value(SysctlKey.of("net.core.somaxconn")))
          .isNotEqualTo(java.util.Optional.of("8191"));
    }
    assertThat(hostValues()).isEqualTo(hostBefore);
  }

  @Test
  void requiredUnknownKeyIsRefusedBeforeWriting() throws Exception {
    Map<String, String> hostBefore = hostValues();
    SysctlProfile profile =
        SysctlProfile.builder()
            .name("unknown")
            .set("net.ipv4.ip_forward", "1")
            .set("net.ipv4.opskit_no_such_key", "1")
            .build();
    try (TestNetworks net = TestNetworks.create()) {
      String ns = net.namespace("sysctl-unknown");
      SysctlApplier applier =
          SysctlApplier.on(net.executor(ns)).withDropInDirectory(dir.toString());

      assertThatThrownBy(() -> applier.apply(profile))
          .isInstanceOf(SysctlApplyException.class)
          .hasMessageContaining("net.ipv4.opskit_no_such_key");
      assertThat(read(net, ns, "net/ipv4/ip_forward")).isEqualTo("0");
      try (var files = Files.list(dir)) {
        assertThat(files).isEmpty();
      }
    }
    assertThat(hostValues()).isEqualTo(hostBefore);
  }

  /**
   * Another operator sets a key of the profile between this apply's load and its rollback: the
   * rollback writes back only the keys that still hold what this apply left.
   */
  @Test
  void aRollbackKeepsAValueAnotherOperatorSetMeanwhile() throws Exception {
    Map<String, String> hostBefore = hostValues();
    try (TestNetworks net = TestNetworks.create()) {
      String ns = net.namespace("sysctl-race");
      ExecutionListener otherOperator =
          new ExecutionListener() {
            @Override
            public void started(Command command) {
              List<String> argv = command.argv();
              if (argv.size() > 2 && argv.get(2).startsWith("rc=0; staged=$1")) {
                net.exec(ns, "sysctl", "-w", "net.core.somaxconn=4444");
              }
            }
          };
      SysctlApplier applier =
          SysctlApplier.on(net.executor(ns).withListener(otherOperator))
              .withDropInDirectory(dir.toString());
      applier.apply(PREVIOUS);
      String previousText = Files.readString(dir.resolve("99-opskit-tx.conf"));

      assertThatThrownBy(() -> applier.apply(REFUSED))
          .isInstanceOf(SysctlApplyException.class)
          .hasMessageContaining("tcp_syn_retries")
          .hasMessageContaining(
              "rolled back, except net.core.somaxconn: another apply changed it since");

      assertThat(read(net, ns, "net/core/somaxconn")).isEqualTo("4444");
      assertThat(read(net, ns, "net/ipv4/tcp_syn_retries")).isEqualTo("5");
      assertThat(Files.readString(dir.resolve("99-opskit-tx.conf"))).isEqualTo(previousText);
    }
    assertThat(hostValues()).isEqualTo(hostBefore);
  }

  @Test
  void aValueTheKernelRefusesRollsBackLiveValuesAndKeepsThePreviousDropIn() throws Exception {
    Map<String, String> hostBefore = hostValues();
    try (TestNetworks net = TestNetworks.create()) {
      String ns = net.namespace("sysctl-tx");
      SysctlApplier applier =
          SysctlApplier.on(net.executor(ns)).withDropInDirectory(dir.toString());
      applier.apply(PREVIOUS);
      Path dropIn = dir.resolve("99-opskit-tx.conf");
      String previousText = Files.readString(dropIn);

      assertThatThrownBy(() -> applier.apply(REFUSED))
          .isInstanceOf(SysctlApplyException.class)
          .hasMessageContaining("tcp_syn_retries")
          .hasMessageContaining("rolled back");

      assertThat(read(net, ns, "net/core/somaxconn")).isEqualTo("4100");
      assertThat(read(net, ns, "net/ipv4/tcp_syn_retries")).isEqualTo("5");
      assertThat(Files.readString(dropIn)).isEqualTo(previousText);
      try (var files = Files.list(dir)) {
        assertThat(files).containsExactly(dropIn);
      }
      assertThat(applier.verify(PREVIOUS).isEmpty()).isTrue();
    }
    assertThat(hostValues()).isEqualTo(hostBefore);
  }

  @Test
  void hostWideKeysAreRefusedInsideTheNamespaceAndTheHostKeepsItsValues() throws Exception {
    Map<String, String> hostBefore = hostValues();
    int hostMapCount = Integer.parseInt(hostBefore.get("vm/max_map_count"));
    SysctlProfile mixed =
        SysctlProfile.builder()
            .name("mixed")
            .set("net.core.somaxconn", "4242")
            .set("vm.max_map_count", Integer.toString(hostMapCount + 1))
            .set("kernel.panic", hostBefore.get("kernel/panic").equals("7") ? "8" : "7")
            .build();
    try (TestNetworks net = TestNetworks.create()) {
      String ns = net.namespace("sysctl-global");
      SysctlApplier applier =
          SysctlApplier.on(net.executor(ns)).withDropInDirectory(dir.toString());

      assertThat(applier.observe(mixed).inSeparateNetworkNamespace()).isTrue();
      assertThatThrownBy(() -> applier.apply(mixed))
          .isInstanceOfSatisfying(
              SysctlApplyException.class,
              e ->
                  assertThat(e.plan().blocked())
                      .extracting(c -> c.key().name())
                      .containsExactly("vm.max_map_count", "kernel.panic"))
          .hasMessageContaining("would change the whole host")
          .hasMessageContaining("nothing was written");
      assertThat(read(net, ns, "net/core/somaxconn")).isNotEqualTo("4242");
      try (var files = Files.list(dir)) {
        assertThat(files).isEmpty();
      }
    }
    assertThat(hostValues()).isEqualTo(hostBefore);
    assertThat(
            SysctlApplier.on(dev.opskit.core.LocalExecutor.create())
                .observe(mixed)
                .inSeparateNetworkNamespace())
        .isFalse();
  }

  private static String read(TestNetworks net, String ns, String path) {
    return net.exec(ns, "cat", "/proc/sys/" + path).stdoutUtf8().strip();
  }

  private static List<String> argv0s(List<Command> commands) {
    synchronized (commands) {
      return commands.stream().map(c -> c.argv().get(0)).collect(Collectors.toList());
    }
  }

  private static Map<String, String> hostValues() throws Exception {
    Map<String, String> values = new LinkedHashMap<>();
    for (String path : WATCHED) {
      values.put(path, Files.readString(Path.of("/proc/sys", path)).strip());
    }
    return values;
  }
}
