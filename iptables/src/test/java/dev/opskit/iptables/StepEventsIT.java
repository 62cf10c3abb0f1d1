package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.core.ExecutionListener;
import dev.opskit.core.StepRecord;
import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.TestNetworks;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An apply's batched calls reach an {@link ExecutionListener} step by step: each program with its
 * argv, exit status and a duration measured on the host, a failing step included; never a step's
 * input.
 */
@Privileged(tools = {"ip", "iptables", "ipset", "flock"})
class StepEventsIT {
  private static final NodePortAllowlist ALLOWLIST =
      NodePortAllowlist.builder()
          .name("audited")
          .addPorts(PortRange.of(30001))
          .addAllowedCidrs("198.18.0.0/24", "198.18.3.3")
          .useIpset(true)
          .build();

  private final List<StepRecord> steps = new CopyOnWriteArrayList<>();
  private TestNetworks net;
  private String node;
  private IptablesApplier applier;

  @BeforeEach
  void createNode() {
    net = TestNetworks.create();
    node = net.namespace("steps");
    ExecutionListener audit =
        new ExecutionListener() {
          @Override
          public void stepFinished(StepRecord step) {
            steps.add(step);
          }
        };
    applier = TestAppliers.create(net.executor(node).withListener(audit));
  }

  @AfterEach
  void deleteNode() {
    net.close();
  }

  @Test
  void eachProgramOfAnApplyIsReportedWithItsExitAndDuration() throws Exception {
    applier.apply(ALLOWLIST);

    assertThat(steps).extracting(s -> s.argv().get(0)).contains("ipset", "iptables-save");
    StepRecord restore =
        steps.stream()
            .filter(s -> s.argv().equals(List.of("iptables-restore", "--noflush", "-w")))
            .findFirst()
            .orElseThrow();
    assertThat(restore.isSuccess()).isTrue();
    assertThat(restore.duration()).isPresent();
    assertThat(restore.batch().argv()).startsWith("sh", "-c");
    assertThat(restore.batch().stdin()).isEmpty();
    assertThat(steps).allMatch(s -> s.duration().isPresent() && s.exitCode().isPresent());
    assertThat(steps.stream().map(StepRecord::toString))
        .noneMatch(line -> line.contains("198.18.3.3"));
    assertThat(steps).filteredOn(s -> s.argv().equals(List.of("ipset", "restore"))).hasSize(1);
  }

  @Test
  void aFailingStepIsReportedWithItsExitStatus() {
    // a live set of another type: swapping the filled set into it fails
    net.exec(node, "ipset", "create", "opskit-audited-v4", "hash:ip");

    assertThatThrownBy(() -> applier.apply(ALLOWLIST))
        .isInstanceOf(IptablesApplyException.class)
        .hasMessageContaining("ipset restore");

    // a read may fail too (printenv SSH_CONNECTION exits 1 when unset): find the write
    StepRecord failed =
        steps.stream()
            .filter(s -> s.argv().equals(List.of("ipset", "restore")))
            .findFirst()
            .orElseThrow();
    assertThat(failed.isSuccess()).isFalse();
    assertThat(failed.exitCode()).hasValue(1);
    assertThat(failed.duration()).isPresent();
  }
}
