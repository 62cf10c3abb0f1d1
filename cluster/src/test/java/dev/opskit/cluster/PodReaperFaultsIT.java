package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.cluster.testing.RecordedCall;
import dev.opskit.cluster.testing.RequestFault;
import dev.opskit.cluster.testing.TestPods;
import io.kubernetes.client.openapi.models.V1Pod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The reaper against an API that fails the way real ones do. */
@Timeout(60)
class PodReaperFaultsIT {
  private KubernetesApiFixture fixture;

  @BeforeEach
  void start() {
    fixture = KubernetesApiFixture.start();
  }

  @AfterEach
  void stop() {
    fixture.close();
  }

  private static RequestPolicy.Builder fastRequests() {
    return RequestPolicy.builder()
        .initialBackoff(Duration.ofMillis(1))
        .maxBackoff(Duration.ofMillis(20));
  }

  private static ReapPolicy.Builder fast() {
    return ReapPolicy.builder().requests(fastRequests().build()).pageSize(10);
  }

  private void seedFailed(int count) {
    List<V1Pod> pods = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      pods.add(
          TestPods.failed("ci", String.format("job-%03d", i), "Error", 1, Duration.ofHours(2)));
    }
    fixture.createPods(pods);
  }

  private static List<String> keys(List<ReapedPod> pods) {
    return pods.stream().map(ReapedPod::key).toList();
  }

  @Test
  void anExpiredContinueTokenRestartsTheListAndEveryPodIsNamedOnce() throws Exception {
    seedFailed(35);
    fixture.inject(
        RequestFault.on("GET", "/api/v1/pods").withQueryParameter("continue").status(410).times(1));

    ReapReport report = PodReaper.on(fixture.apiClient()).reap(fast().dryRun(true).build());

    assertThat(report.complete()).as(report.render()).isTrue();
    assertThat(keys(report.wouldDelete())).hasSize(35).doesNotHaveDuplicates();
    List<RecordedCall> lists = fixture.requests("GET", "/api/v1/pods");
    assertThat(lists.get(2).queryParameter("continue")).as("fresh list after 410").isEmpty();
  }

  @Test
  void aContinueTokenThatKeepsExpiringEndsTheRunIncompleteNotSuccessful() throws Exception {
    seedFailed(35);
    fixture.inject(
        RequestFault.on("GET", "/api/v1/pods").withQueryParameter("continue").status(410).always());

    ReapReport report = PodReaper.on(fixture.apiClient()).reap(fast().dryRun(true).build());

    assertThat(report.complete()).isFalse();
    assertThat(report.incompleteReason().orElseThrow()).contains("410");
    assertThat(keys(report.wouldDelete())).hasSize(10).doesNotHaveDuplicates();
    assertThat(report.render()).contains("INCOMPLETE: ");
  }

  @Test
  void aListFailureAfterDeletionsReturnsWhatWasDoneMarkedIncomplete() throws Exception {
    seedFailed(35);
    fixture.inject(
        RequestFault.on("GET", "/api/v1/pods").withQueryParameter("continue").status(403).always());

    ReapReport report = PodReaper.on(fixture.apiClient()).reap(fast().build());

    assertThat(report.complete()).isFalse();
    assertThat(report.incompleteReason().orElseThrow()).contains("403");
    assertThat(report.deleted()).hasSize(10);
    assertThat(fixture.podCount()).isEqualTo(25);
  }

  @Test
  void resetAndTruncatedListAnswersAreRetried() throws Exception {
    seedFailed(25);
    fixture.inject(RequestFault.on("GET", "/api/v1/pods").reset().times(1));
    fixture.inject(
        RequestFault.on("GET", "/api/v1/pods").withQueryParameter("continue").truncatedBody());
    List<Integer> retried = new CopyOnWriteArrayList<>();
    ReapListener listener =
        new ReapListener() {
          @Override
          public void retrying(String request, int attempt, int status) {
            retried.add(status);
          }
        };

    ReapReport report =
        PodReaper.on(fixture.newFaultyApiClient(Duration.ofSeconds(30)))
            .withListener(listener)
            .reap(fast().dryRun(true).build());

    assertThat(report.complete()).as(report.render()).isTrue();
    assertThat(keys(report.wouldDelete())).hasSize(25).doesNotHaveDuplicates();
    assertThat(retried).containsExactly(0, 0);
  }

  @Test
  void aDeleteTheServerCarriedOutButWhoseAnswerWasLostCountsAsDeleted() throws Exception {
    seedFailed(3);
    fixture.inject(RequestFault.on("DELETE", ".*/pods/job-001").resetAfterHandling());
    fixture.inject(RequestFault.on("DELETE", ".*/pods/job-002").truncatedBody());

    ReapReport report =
        PodReaper.on(fixture.newFaultyApiClient(Duration.ofSeconds(30))).reap(fast().build());

    assertThat(report.failed()).isEmpty();
    assertThat(keys(report.deleted()))
        .containsExactlyInAnyOrder("ci/job-000", "ci/job-001", "ci/job-002");
    ReapedPod lost =
        report.deleted().stream().filter(p -> p.name().equals("job-001")).findFirst().get();
    assertThat(lost.detail()).contains("connection was reset").contains("gone");
    // a truncated answer to a served delete: the body is not needed, the delete succeeded
    assertThat(fixture.podCount()).isZero();
    assertThat(report.render()).doesNotContain("gson").doesNotContain("HTTP 200");
  }

  @Test
  void aDeleteResetBeforeTheServerSawItIsSentAgainAfterAReRead() throws Exception {
    seedFailed(1);
    fixture.inject(RequestFault.on("DELETE", ".*/pods/job-000").reset());

    ReapReport report =
        PodReaper.on(fixture.newFaultyApiClient(Duration.ofSeconds(30))).reap(fast().build());

    assertThat(keys(report.deleted())).containsExactly("ci/job-000");
    assertThat(fixture.requests("GET", ".*/pods/job-000")).hasSize(1);
    assertThat(fixture.requests("DELETE", ".*/pods/job-000")).hasSize(1);
    assertThat(fixture.podCount()).isZero();
  }

  @Test
  void aStalledServerEndsTheRunAfterTheReadTimeout() throws Exception {
    seedFailed(3);
    fixture.inject(RequestFault.on("GET", "/api/v1/pods").hang().always());

    ReapReport report =
        PodReaper.on(fixture.newFaultyApiClient(Duration.ofSeconds(30)))
            .reap(
                fast()
                    .requests(
                        fastRequests().readTimeout(Duration.ofMillis(300)).maxAttempts(2).build())
                    .build());

    assertThat(report.complete()).isFalse();
    assertThat(report.incompleteReason().orElseThrow())
        .contains("no answer within the read timeout of 300ms")
        .contains("2 attempts");
    assertThat(fixture.podCount()).isEqualTo(3);
  }

  @Test
  void theRequestTimeoutBoundsAWholeRequest() throws Exception {
    seedFailed(1);
    fixture.inject(RequestFault.on("GET", "/api/v1/pods").hang().always());

    ReapReport report =
        PodReaper.on(fixture.newFaultyApiClient(Duration.ofSeconds(30)))
            .reap(
                fast()
                    .requests(
                        fastRequests()
                            .requestTimeout(Duration.ofMillis(300))
                            .maxAttempts(1)
                            .build())
                    .build());

    assertThat(report.incompleteReason().orElseThrow())
        .contains("no complete answer within the request timeout of 300ms");
  }

  @Test
  void persistent429PausesEveryRequestHonoursRetryAfterAndStopsWhenTheBudgetIsSpent()
      throws Exception {
    seedFailed(40);
    fixture.inject(RequestFault.on("DELETE", ".*").status(429).retryAfterSeconds(1).always());
    List<Long> deletesAt = new CopyOnWriteArrayList<>();
    fixture.beforeRequest(
        call -> {
          if (call.method().equals("DELETE")) {
            deletesAt.add(System.nanoTime());
          }
        });

    ReapReport report =
        PodReaper.on(fixture.apiClient())
            .reap(
                fast()
                    .concurrency(4)
                    .requests(fastRequests().retryBudget(6).maxAttempts(10).build())
                    .build());

    assertThat(report.complete()).isFalse();
    assertThat(report.incompleteReason().orElseThrow())
        .contains("retry budget of 6 retries spent")
        .contains("HTTP 429");
    assertThat(report.deleted()).isEmpty();
    assertThat(fixture.podCount()).isEqualTo(40);
    // at most one first attempt per worker plus the budget's retries
    assertThat(deletesAt.size()).isLessThanOrEqualTo(4 + 6);
    // nothing but the workers' first attempts went out before the server's Retry-After passed
    long first = deletesAt.get(0);
    assertThat(deletesAt.stream().filter(t -> t - first < 900_000_000L).count())
        .isLessThanOrEqualTo(4);
    assertThat(deletesAt.size()).isGreaterThan(4);
  }
}
