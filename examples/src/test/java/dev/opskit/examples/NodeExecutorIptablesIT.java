package dev.opskit.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.cluster.NodeExecutor;
import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.cluster.testing.PodExecReply;
import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.TestNetworks;
import dev.opskit.iptables.IpFamily;
import dev.opskit.iptables.IptablesApplier;
import dev.opskit.iptables.IptablesApplyResult;
import dev.opskit.iptables.NodePortAllowlist;
import dev.opskit.iptables.PortRange;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An iptables apply on a node through {@link NodeExecutor}: each of its batches goes through an
 * exec pod on the API fixture, whose decoded command (argv and stdin) runs in a network namespace
 * standing in for the node. An allowlist of thousands of sources hands the host inputs over 16 KB,
 * which travel on the command's stdin.
 */
@Privileged(tools = {"ip", "iptables", "ip6tables", "flock"})
class NodeExecutorIptablesIT {
  private static final int SOURCES = 2_000;

  @TempDir Path state;

  @Test
  void anAllowlistOfThousandsOfSourcesAppliesThroughExecPods() throws Exception {
    try (KubernetesApiFixture cluster = KubernetesApiFixture.start();
        TestNetworks net = TestNetworks.create()) {
      CommandExecutor node = net.executor(net.namespace("pod-exec"));
      AtomicInteger largestStdin = new AtomicInteger();
      runExecPods(cluster, node, largestStdin);
      NodeExecutor executor =
          NodeExecutor.builder(cluster.apiClient(), "worker-1")
              .namespace("ops")
              .pollInterval(Duration.ofMillis(10))
              .build();
      IptablesApplier applier =
          IptablesApplier.builder(executor).stateDirectory(state.toString()).build();
      NodePortAllowlist list = allowlist();

      IptablesApplyResult applied = applier.apply(list);

      assertThat(applied.changed()).isTrue();
      assertThat(applied.verified()).isTrue();
      assertThat(largestStdin.get()).isGreaterThan(16 * 1024);
      String saved = node.execute(Command.of("iptables-save")).requireSuccess().stdoutUtf8();
      assertThat(saved.lines().filter(l -> l.startsWith("-A OPSKIT-edge -s 198.18.")))
          .hasSize(SOURCES);
      assertThat(applier.apply(list).changed()).isFalse();
      assertThat(applier.observe(IpFamily.IPV4).render()).contains("198.18.7.208/32");
    }
  }

  private static NodePortAllowlist allowlist() {
    List<String> sources = new ArrayList<>();
    for (int i = 0; i < SOURCES; i++) {
      sources.add("198.18." + (i / 250) + "." + (i % 250 + 1));
    }
    return NodePortAllowlist.builder()
        .name("edge")
        .addPorts(PortRange.of(30443))
        .addAllAllowedCidrs(sources)
        .build();
  }

  /**
   * Stands in for the scheduler and kubelet: an exec pod runs as soon as it is read, and its
   * command ({@code chroot /host ARGV…}) runs in {@code node} with the stdin it was sent.
   */
  private static void runExecPods(
      KubernetesApiFixture cluster, CommandExecutor node, AtomicInteger largestStdin) {
    cluster.beforeRequest(
        call -> {
          if (call.method().equals("GET")
              && call.path().matches("/api/v1/namespaces/ops/pods/opskit-node-exec-[^/]*")) {
            cluster.setPodPhase(
                "ops", call.path().substring(call.path().lastIndexOf('/') + 1), "Running");
          }
        });
    cluster.onExec(
        request -> {
          assertThat(request.command().subList(0, 2)).containsExactly("chroot", "/host");
          largestStdin.accumulateAndGet(request.stdin().length, Math::max);
          Command command =
              Command.builder()
                  .argv(request.command().subList(2, request.command().size()))
                  .stdin(request.stdin())
                  .build();
          try {
            ExecResult result = node.execute(command);
            return PodExecReply.of(
                result.exitCode().orElse(1), result.stdoutUtf8(), result.stderrUtf8());
          } catch (IOException e) {
            throw new IllegalStateException(e);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
          }
        });
  }
}
