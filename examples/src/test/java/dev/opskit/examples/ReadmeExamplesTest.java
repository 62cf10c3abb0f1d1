package dev.opskit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.cluster.testing.TestNodes;
import dev.opskit.core.HostTask;
import dev.opskit.sysctl.SysctlApplier;
import dev.opskit.sysctl.SysctlProfile;
import dev.opskit.testing.FakeHost;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.parallel.Resources;

/** Runs the README's examples that need neither root nor a network namespace, as written. */
@ResourceLock(Resources.SYSTEM_OUT)
class ReadmeExamplesTest {

  @Test
  void coreExampleRunsCommandsAndTimesOut() throws Exception {
    assertThat(printed(() -> CoreExample.main(new String[0])))
        .startsWith("kernel ")
        .endsWith("timed out: true\n");
  }

  @Test
  void sysctlExamplePrintsTheDriftOfThisHost() throws Exception {
    assertThat(printed(() -> SysctlExample.main(new String[0])))
        .contains("fs.inotify.max_user_watches");
  }

  @Test
  void clusterExampleReportsAndListsFindings() throws Exception {
    assertThat(printed(() -> ClusterExample.main(new String[0]))).isNotBlank();
  }

  @Test
  void nodeFleetExampleRollsOutThroughAgentPods() throws Exception {
    try (KubernetesApiFixture cluster = KubernetesApiFixture.start()) {
      Map<String, FakeHost> nodes = new LinkedHashMap<>();
      for (String name : List.of("worker-1", "worker-2")) {
        cluster.createNode(TestNodes.ready(name, Map.of("node-role.kubernetes.io/worker", "")));
        nodes.put(name, FakeHost.create().withSysctl("net.core.somaxconn", "1024"));
        cluster.daemonSets().node(name, nodes.get(name));
      }
      SysctlProfile profile =
          SysctlProfile.builder().name("web").set("net.core.somaxconn", "4096").build();
      String table =
          printed(
              () ->
                  NodeFleetExample.run(
                      cluster.apiClient(), HostTask.applying(SysctlApplier::on, profile)));
      assertThat(table).contains("worker-1").contains("worker-2").contains("CHANGED");
      nodes.values().forEach(h -> assertThat(h.sysctl("net.core.somaxconn")).hasValue("4096"));
      assertThat(cluster.count("/apis/apps/v1/namespaces/kube-system/daemonsets")).isZero();
    }
  }

  interface Example {
    void run() throws Exception;
  }

  /** What {@code example} printed on System.out. */
  static String printed(Example example) throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      example.run();
    } finally {
      System.setOut(original);
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
