package dev.opskit.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.cluster.testing.RecordedCall;
import dev.opskit.cluster.testing.TestPods;
import io.kubernetes.client.openapi.models.V1Pod;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --chunk-size N} on {@code images} and {@code pods reap}: pods per list request. */
class ChunkSizeIT {
  @TempDir Path dir;

  private KubernetesApiFixture fixture;
  private String kubeconfig;

  @BeforeEach
  void start() throws IOException {
    fixture = KubernetesApiFixture.start();
    List<V1Pod> pods = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      pods.add(
          i % 2 == 0
              ? TestPods.failed("ci", "build-" + i, "Error", 1, Duration.ofHours(2))
              : TestPods.running("ci", "web-" + i));
    }
    fixture.createPods(pods);
    kubeconfig = PodsReapIT.kubeconfig(fixture, dir, "ci").toString();
  }

  @AfterEach
  void stop() {
    fixture.close();
  }

  @Test
  void imagesListsInRequestsOfTheChunkSize() {
    CliRun run =
        CliRun.of("images", "-A", "-o", "csv", "--chunk-size", "10", "--kubeconfig", kubeconfig);
    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(run.out.lines().count()).as("header and 25 containers").isEqualTo(26);
    List<RecordedCall> lists = fixture.requests("GET", "/api/v1/pods");
    assertThat(lists).hasSize(3);
    assertThat(lists).allMatch(call -> call.queryParameter("limit").equals(Optional.of("10")));
  }

  @Test
  void reapListsInRequestsOfTheChunkSize() {
    CliRun run =
        CliRun.of(
            "pods", "reap", "-A", "--chunk-size", "5", "--dry-run", "--kubeconfig", kubeconfig);
    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(run.out).contains("build-24");
    List<RecordedCall> lists = fixture.requests("GET", "/api/v1/pods");
    assertThat(lists).hasSize(3); // 13 Failed pods: 5 + 5 + 3
    assertThat(lists).allMatch(call -> call.queryParameter("limit").equals(Optional.of("5")));
  }

  @Test
  void defaultIsKubectlsFiveHundred() {
    assertThat(CliRun.of("images", "-A", "--kubeconfig", kubeconfig).exitCode).isZero();
    assertThat(CliRun.of("pods", "reap", "-A", "--dry-run", "--kubeconfig", kubeconfig).exitCode)
        .isZero();
    assertThat(fixture.requests("GET", "/api/v1/pods"))
        .hasSize(2)
        .allMatch(call -> call.queryParameter("limit").equals(Optional.of("500")));
  }

  @Test
  void reapByDefaultAsksForLargerPagesOnceTheServerShowsItAppliesTheSelector() {
    List<V1Pod> more = new ArrayList<>();
    for (int i = 0; i < 1_200; i++) {
      more.add(TestPods.failed("batch", "job-" + i, "Error", 1, Duration.ofHours(2)));
    }
    fixture.createPods(more);
    CliRun run = CliRun.of("pods", "reap", "-A", "--dry-run", "--kubeconfig", kubeconfig);
    assertThat(run.exitCode).as(run.toString()).isZero();
    assertThat(fixture.requests("GET", "/api/v1/pods"))
        .map(call -> call.queryParameter("limit").orElse("none"))
        .as("1,213 Failed pods: 500, then the remaining 713 in one larger page")
        .containsExactly("500", "2000");
  }

  @Test
  void chunkSizeOutsideOneToTenThousandIsAUsageError() {
    for (String bad : List.of("0", "-1", "10001")) {
      for (String command : List.of("images", "pods reap")) {
        List<String> argv = new ArrayList<>(List.of(command.split(" ")));
        argv.addAll(List.of("-A", "--chunk-size", bad, "--kubeconfig", kubeconfig));
        CliRun run = CliRun.of(argv.toArray(new String[0]));
        assertThat(run.exitCode).as(run.toString()).isEqualTo(2);
        assertThat(run.err).contains("--chunk-size must be 1..10000").contains("was " + bad);
      }
    }
    assertThat(fixture.requests("GET", "/api/v1/pods")).isEmpty();
  }
}
