package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.cluster.testing.KubernetesApiTest;
import dev.opskit.cluster.testing.RecordedCall;
import dev.opskit.cluster.testing.RequestFault;
import dev.opskit.cluster.testing.SeedCluster;
import dev.opskit.cluster.testing.TestPods;
import io.kubernetes.client.openapi.models.V1ContainerState;
import io.kubernetes.client.openapi.models.V1ContainerStateTerminated;
import io.kubernetes.client.openapi.models.V1ContainerStatus;
import io.kubernetes.client.openapi.models.V1Pod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

@KubernetesApiTest
class PodReaperIT {
  private final KubernetesApiFixture fixture;
  private final PodReaper reaper;

  PodReaperIT(KubernetesApiFixture fixture) {
    this.fixture = fixture;
    this.reaper = PodReaper.on(fixture.apiClient());
  }

  private static RequestPolicy.Builder fastRequests() {
    return RequestPolicy.builder()
        .initialBackoff(Duration.ofMillis(1))
        .maxBackoff(Duration.ofMillis(20));
  }

  private static ReapPolicy.Builder fast() {
    return ReapPolicy.builder().requests(fastRequests().build());
  }

  private static List<String> keys(List<ReapedPod> pods) {
    return pods.stream().map(ReapedPod::key).toList();
  }

  @Test
  void deletesOnlyFailedPodsAndKeepsJobPodsByDefault() throws Exception {
    fixture.seedRealisticCluster();
    ReapReport report = reaper.reap(fast().build());
    assertThat(keys(report.deleted()))
        .containsExactlyInAnyOrderElementsOf(SeedCluster.FAILED_NOT_JOB);
    assertThat(keys(report.kept())).containsExactly("batch/report-28193340-b7c2d");
    assertThat(report.kept().get(0).detail()).contains("owned by Job/report-28193340");
    assertThat(fixture.podCount())
        .isEqualTo(SeedCluster.POD_COUNT - SeedCluster.FAILED_NOT_JOB.size());
    assertThat(fixture.pod("batch", "report-28193400-xk2lp")).isPresent();
    assertThat(fixture.pod("default", "pending-web")).isPresent();
    assertThat(report.byNamespace(ReapOutcome.DELETED))
        .containsEntry("shop", 3L)
        .containsEntry("default", 2L);
    assertThat(report.byNode(ReapOutcome.DELETED))
        .containsEntry("node-b", 2L)
        .containsEntry("node-a", 3L);
    assertThat(report.byReason(ReapOutcome.DELETED))
        .containsEntry("Evicted", 2L)
        .containsEntry("OOMKilled", 1L)
        .containsEntry("Shutdown", 1L)
        .containsEntry("Error", 1L);
    assertThat(report.render()).contains("5 pods deleted", "by reason:", "Evicted: 2");
    assertThat(fixture.requests("GET", "/api/v1/pods"))
        .allSatisfy(
            call ->
                assertThat(call.queryParameter("fieldSelector")).hasValue("status.phase=Failed"));
  }

  @Test
  void runningAndPendingPodsSurviveAServerThatIgnoresTheSelector() throws Exception {
    fixture.seedRealisticCluster();
    fixture.ignoreFieldSelectors(true);
    ReapReport report =
        reaper.reap(fast().includeSucceeded(true).keepOwnerKinds(List.of()).build());
    assertThat(report.skippedNotTerminal()).isGreaterThanOrEqualTo(7);
    List<String> remaining = remainingPods();
    assertThat(remaining)
        .containsExactlyInAnyOrder(
            "shop/web-7c9f8d6b5-2xkqp",
            "shop/web-7c9f8d6b5-9mzt4",
            "shop/debug-tools",
            "shop/api-5f7d8c6b9-q4wz8",
            "kube-system/coredns-5d78c9869d-zt6xq",
            "kube-system/kube-proxy-7xq2n",
            "default/pending-web");
    assertThat(report.deleted()).hasSize(7);
  }

  private List<String> remainingPods() throws Exception {
    return new io.kubernetes.client.openapi.apis.CoreV1Api(fixture.apiClient())
        .listPodForAllNamespaces().execute().getItems().stream()
            .map(p -> p.getMetadata().getNamespace() + "/" + p.getMetadata().getName())
            .toList();
  }

  @Test
  void minAgeCountsFromFailureNotCreation() throws Exception {
    fixture.seedRealisticCluster();
    ReapReport report = reaper.reap(fast().minAge(Duration.ofHours(1)).build());
    assertThat(keys(report.kept())).contains("shop/web-7c9f8d6b5-ev2ct");
    assertThat(
            report.kept().stream()
                .filter(p -> p.name().equals("web-7c9f8d6b5-ev2ct"))
                .findFirst()
                .orElseThrow()
                .detail())
        .contains("younger than 60m");
    assertThat(keys(report.deleted()))
        .containsExactlyInAnyOrder(
            "shop/web-7c9f8d6b5-ev1ct",
            "shop/cart-6d5b9c7f4-oomkd",
            "default/orphan-migrate",
            "default/shutdown-victim");
    // A pod created days ago that failed five minutes ago is young.
    V1Pod old = TestPods.failed("ci", "old", "Error", 1, Duration.ofMinutes(5));
    old.getMetadata().setCreationTimestamp(java.time.OffsetDateTime.now().minusDays(3));
    fixture.createPod(old);
    assertThat(reaper.reap(fast().minAge(Duration.ofHours(1)).build()).kept())
        .extracting(ReapedPod::key)
        .contains("ci/old");
  }

  @Test
  void reasonsExitCodesAndInitContainers() throws Exception {
    fixture.seedRealisticCluster();
    V1Pod init = TestPods.failed("ci", "init-fail", "Error", 1, Duration.ofHours(2));
    init.getStatus()
        .addInitContainerStatusesItem(
            new V1ContainerStatus()
                .name("setup")
                .image("x")
                .ready(false)
                .restartCount(0)
                .state(
                    new V1ContainerState()
                        .terminated(
                            new V1ContainerStateTerminated().reason("OOMKilled").exitCode(137))));
    fixture.createPod(init);
    ReapPolicy reasons = fast().dryRun(true).addReasons("Evicted", "OOMKilled").build();
    assertThat(keys(reaper.reap(reasons).wouldDelete()))
        .containsExactlyInAnyOrder(
            "shop/web-7c9f8d6b5-ev1ct", "shop/web-7c9f8d6b5-ev2ct", "shop/cart-6d5b9c7f4-oomkd");
    ReapPolicy withInit =
        fast().dryRun(true).addReasons("OOMKilled").includeInitContainers(true).build();
    assertThat(keys(reaper.reap(withInit).wouldDelete()))
        .containsExactlyInAnyOrder("shop/cart-6d5b9c7f4-oomkd", "ci/init-fail");
    ReapPolicy codes = fast().dryRun(true).addExitCodes(2, 143).build();
    assertThat(keys(reaper.reap(codes).wouldDelete()))
        .containsExactlyInAnyOrder("default/orphan-migrate", "default/shutdown-victim");
  }

  @Test
  void namespacesAndLabels() throws Exception {
    fixture.seedRealisticCluster();
    assertThat(
            keys(
                reaper
                    .reap(fast().dryRun(true).addNamespaces("default", "batch").build())
                    .wouldDelete()))
        .containsExactlyInAnyOrder("default/orphan-migrate", "default/shutdown-victim");
    assertThat(
            keys(
                reaper
                    .reap(fast().dryRun(true).addExcludedNamespaces("shop").build())
                    .wouldDelete()))
        .containsExactlyInAnyOrder("default/orphan-migrate", "default/shutdown-victim");
    assertThat(
            fixture
                .requests("GET", "/api/v1/pods")
                .get(fixture.requests("GET", "/api/v1/pods").size() - 1)
                .queryParameter("fieldSelector"))
        .hasValue("status.phase=Failed,metadata.namespace!=shop");
    assertThat(
            keys(
                reaper
                    .reap(fast().dryRun(true).labelSelector("app in (web, cart)").build())
                    .wouldDelete()))
        .containsExactlyInAnyOrder(
            "shop/web-7c9f8d6b5-ev1ct", "shop/web-7c9f8d6b5-ev2ct", "shop/cart-6d5b9c7f4-oomkd");
  }

  @Test
  void dryRunSendsNoDelete() throws Exception {
    fixture.seedRealisticCluster();
    ReapReport report = reaper.reap(fast().dryRun(true).build());
    assertThat(report.wouldDelete()).hasSize(5);
    assertThat(report.deleted()).isEmpty();
    assertThat(fixture.requests("DELETE", ".*")).isEmpty();
    assertThat(fixture.podCount()).isEqualTo(SeedCluster.POD_COUNT);
    assertThat(report.render()).startsWith("dry run: 5 pods would be deleted");
  }

  @Test
  void capLimitsDeletions() throws Exception {
    List<V1Pod> pods = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      pods.add(TestPods.failed("ci", String.format("p-%02d", i), "Error", 1, Duration.ofHours(1)));
    }
    fixture.createPods(pods);
    ReapReport report = reaper.reap(fast().maxDeletions(7).pageSize(5).build());
    assertThat(report.deleted()).hasSize(7);
    assertThat(report.capReached()).isTrue();
    assertThat(fixture.podCount()).isEqualTo(33);
    assertThat(fixture.requests("DELETE", ".*")).hasSize(7);
  }

  @Test
  void podRecreatedUnderTheSameNameBetweenListAndDeleteSurvives() throws Exception {
    V1Pod original =
        fixture.createPod(TestPods.failed("db", "db-0", "Error", 1, Duration.ofHours(1)));
    AtomicBoolean swapped = new AtomicBoolean();
    fixture.beforeRequest(
        call -> {
          if (call.method().equals("DELETE")
              && call.path().endsWith("/pods/db-0")
              && swapped.compareAndSet(false, true)) {
            fixture.deleteObject("/api/v1/namespaces/db/pods/db-0");
            fixture.createPod(TestPods.running("db", "db-0"));
          }
        });
    ReapReport report = reaper.reap(fast().build());
    assertThat(report.changed())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.key()).isEqualTo("db/db-0");
              assertThat(p.detail())
                  .contains("409", "UID in precondition: " + original.getMetadata().getUid());
            });
    V1Pod survivor = fixture.pod("db", "db-0").orElseThrow();
    assertThat(survivor.getStatus().getPhase()).isEqualTo("Running");
    RecordedCall delete = fixture.requests("DELETE", ".*/pods/db-0").get(0);
    assertThat(delete.body()).contains("\"uid\":\"" + original.getMetadata().getUid() + "\"");
  }

  @Test
  void podGoneBeforeDeleteIsReportedAsAlreadyGone() throws Exception {
    fixture.createPod(TestPods.failed("ci", "gone", "Error", 1, Duration.ofHours(1)));
    fixture.beforeRequest(
        call -> {
          if (call.method().equals("DELETE")) {
            fixture.deleteObject("/api/v1/namespaces/ci/pods/gone");
          }
        });
    ReapReport report = reaper.reap(fast().build());
    assertThat(keys(report.alreadyGone())).containsExactly("ci/gone");
    assertThat(report.failed()).isEmpty();
  }

  @Test
  void throttlingAndServerErrorsAreRetried() throws Exception {
    fixture.createPod(TestPods.failed("ci", "a", "Error", 1, Duration.ofHours(1)));
    fixture.createPod(TestPods.failed("ci", "b", "Error", 1, Duration.ofHours(1)));
    fixture.inject(
        RequestFault.on("DELETE", ".*/pods/a").status(429).retryAfterSeconds(0).times(2));
    fixture.inject(RequestFault.on("DELETE", ".*/pods/b").status(503).times(1));
    fixture.inject(RequestFault.on("GET", "/api/v1/pods").status(500).times(1));
    AtomicInteger retries = new AtomicInteger();
    ReapReport report =
        reaper
            .withListener(
                new ReapListener() {
                  @Override
                  public void retrying(String request, int attempt, int status) {
                    retries.incrementAndGet();
                  }
                })
            .reap(fast().build());
    assertThat(keys(report.deleted())).containsExactlyInAnyOrder("ci/a", "ci/b");
    assertThat(retries).hasValue(4);
    assertThat(fixture.requests("DELETE", ".*/pods/a")).hasSize(3);
    assertThat(fixture.podCount()).isZero();
  }

  @Test
  void persistentErrorsEndAsFailedAndOtherPodsStillGo() throws Exception {
    fixture.createPod(TestPods.failed("ci", "stuck", "Error", 1, Duration.ofHours(1)));
    fixture.createPod(TestPods.failed("ci", "fine", "Error", 1, Duration.ofHours(1)));
    fixture.inject(RequestFault.on("DELETE", ".*/pods/stuck").status(500).always());
    fixture.inject(RequestFault.on("DELETE", ".*/pods/fine").status(403).always());
    ReapReport report = reaper.reap(fast().requests(fastRequests().maxAttempts(3).build()).build());
    assertThat(report.failed())
        .extracting(ReapedPod::key)
        .containsExactlyInAnyOrder("ci/stuck", "ci/fine");
    assertThat(fixture.requests("DELETE", ".*/pods/stuck")).hasSize(3);
    assertThat(fixture.requests("DELETE", ".*/pods/fine")).hasSize(1);
  }

  @Test
  void timeoutsAreRetried() throws Exception {
    fixture.createPod(TestPods.failed("ci", "slow", "Error", 1, Duration.ofHours(1)));
    fixture.inject(
        RequestFault.on("DELETE", ".*/pods/slow")
            .status(500)
            .delay(Duration.ofSeconds(2))
            .times(1));
    ReapReport report =
        reaper.reap(
            fast().requests(fastRequests().readTimeout(Duration.ofMillis(300)).build()).build());
    assertThat(keys(report.deleted())).containsExactly("ci/slow");
    assertThat(fixture.requests("DELETE", ".*/pods/slow")).hasSize(2);
  }

  @Test
  void podsWithFieldsUnknownToTheClientAreReaped() throws Exception {
    fixture.createJson(
        "/api/v1/namespaces/ns/pods",
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"future\",\"fancyNewMeta\":1},"
            + "\"spec\":{\"nodeName\":\"node-z\",\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"newField\":{}}]},"
            + "\"status\":{\"phase\":\"Failed\",\"reason\":\"Evicted\",\"newStatusField\":[1,2]}}");
    ReapReport report = reaper.reap(fast().build());
    assertThat(keys(report.deleted())).containsExactly("ns/future");
    assertThat(report.deleted().get(0).node()).isEqualTo("node-z");
  }

  @Test
  void pagesThroughTenThousandPodsWithBoundedPages() throws Exception {
    seedEveryFourthFailed(10_000);
    fixture.ignoreFieldSelectors(false);
    List<Integer> pageSizes = new CopyOnWriteArrayList<>();
    ReapReport report =
        reaper
            .withListener(
                new ReapListener() {
                  @Override
                  public void pageListed(int page, int podCount) {
                    pageSizes.add(podCount);
                  }
                })
            .reap(fast().pageSize(200).selectedPageSize(800).concurrency(8).build());
    assertThat(report.deleted()).hasSize(2_500);
    assertThat(report.scanned()).isEqualTo(2_500);
    assertThat(pageSizes).containsExactly(200, 800, 800, 700);
    List<RecordedCall> lists = fixture.requests("GET", "/api/v1/pods");
    assertThat(lists).hasSize(4);
    assertThat(lists.get(0).queryParameter("continue")).isEmpty();
    assertThat(lists.subList(1, 4))
        .allSatisfy(call -> assertThat(call.queryParameter("continue")).isPresent());
    assertThat(limits(lists)).containsExactly("200", "800", "800", "800");
    assertThat(fixture.podCount()).isEqualTo(7_500);
  }

  /**
   * The server counts {@code limit} after the field selector, so once a page holds only Failed
   * pods, later pages ask for the larger selected page size (by default four times the first).
   */
  @Test
  void laterPagesGrowOnceAPageShowsTheServerAppliesTheSelector() throws Exception {
    seedEveryFourthFailed(100);
    ReapReport report = reaper.reap(fast().pageSize(10).build());
    assertThat(report.deleted()).hasSize(25);
    assertThat(limits(fixture.requests("GET", "/api/v1/pods"))).containsExactly("10", "40");
  }

  /**
   * A server or proxy that ignores the selector answers pods of every phase: the pages stay at the
   * first page's size, so memory holds no more pods the run does not act on than it asked for.
   */
  @Test
  void pagesStayAtPageSizeWhenTheServerIgnoresTheSelector() throws Exception {
    seedEveryFourthFailed(100);
    fixture.ignoreFieldSelectors(true);
    ReapReport report = reaper.reap(fast().pageSize(10).build());
    assertThat(report.deleted()).hasSize(25);
    assertThat(report.skippedNotTerminal()).isEqualTo(75);
    assertThat(limits(fixture.requests("GET", "/api/v1/pods"))).hasSize(10).containsOnly("10");
  }

  private void seedEveryFourthFailed(int count) {
    List<V1Pod> pods = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      V1Pod pod =
          i % 4 == 0
              ? TestPods.failed("ns-" + (i % 7), "pod-" + i, "Error", 1, Duration.ofHours(2))
              : TestPods.running("ns-" + (i % 7), "pod-" + i);
      pods.add(pod);
    }
    fixture.createPods(pods);
  }

  private static List<String> limits(List<RecordedCall> lists) {
    return lists.stream().map(call -> call.queryParameter("limit").orElse("none")).toList();
  }
}
