package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.cluster.internal.reaper.PodFacts;
import dev.opskit.cluster.testing.TestPods;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1PodCondition;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class PodReaperPolicyTest {
  @Test
  void defaultsKeepJobsAndDeleteOnlyFailed() {
    ReapPolicy policy = ReapPolicy.defaults();
    assertThat(policy.keepOwnerKinds()).containsExactly("Job");
    assertThat(policy.includeSucceeded()).isFalse();
    assertThat(policy.dryRun()).isFalse();
    assertThat(policy.maxDeletions()).isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void selectedPagesAreFourTimesTheFirstPageAtMostTenThousand() {
    assertThat(ReapPolicy.defaults().pageSize()).isEqualTo(500);
    assertThat(ReapPolicy.defaults().selectedPageSize()).isEqualTo(2_000);
    assertThat(ReapPolicy.builder().pageSize(30).build().selectedPageSize()).isEqualTo(120);
    assertThat(ReapPolicy.builder().pageSize(4_000).build().selectedPageSize()).isEqualTo(10_000);
    assertThat(ReapPolicy.builder().pageSize(30).selectedPageSize(30).build().selectedPageSize())
        .isEqualTo(30);
  }

  @Test
  void invalidValuesAreRejectedWithTheRule() {
    assertThatThrownBy(() -> ReapPolicy.builder().labelSelector("app in (a").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("app in (a");
    assertThatThrownBy(() -> ReapPolicy.builder().maxDeletions(0).build())
        .hasMessageContaining("maxDeletions must be at least 1, was 0");
    assertThatThrownBy(() -> ReapPolicy.builder().pageSize(0).build())
        .hasMessageContaining("pageSize must be 1..10000, was 0");
    assertThatThrownBy(() -> ReapPolicy.builder().selectedPageSize(10_001).build())
        .hasMessageContaining("selectedPageSize must be 1..10000, was 10001");
    assertThatThrownBy(() -> ReapPolicy.builder().concurrency(0).build())
        .hasMessageContaining("concurrency");
    assertThatThrownBy(() -> ReapPolicy.builder().minAge(Duration.ofSeconds(-1)).build())
        .hasMessageContaining("minAge must not be negative");
    assertThatThrownBy(
            () ->
                RequestPolicy.builder()
                    .initialBackoff(Duration.ofSeconds(5))
                    .maxBackoff(Duration.ofSeconds(1))
                    .build())
        .hasMessageContaining("initialBackoff <= maxBackoff");
    assertThatThrownBy(() -> ReapPolicy.builder().addNamespaces(" ").build())
        .hasMessageContaining("blank");
  }

  @Test
  void failureTimeIsLatestFinishedAtThenConditionThenCreation() {
    V1Pod failed = TestPods.failed("ns", "p", "Error", 1, Duration.ofHours(2));
    OffsetDateTime finished =
        failed.getStatus().getContainerStatuses().get(0).getState().getTerminated().getFinishedAt();
    assertThat(new PodFacts(failed).failedAt()).hasValue(finished.toInstant());

    V1Pod evicted = TestPods.evicted("ns", "e", "low memory", Duration.ofMinutes(30));
    OffsetDateTime transition = evicted.getStatus().getConditions().get(0).getLastTransitionTime();
    assertThat(new PodFacts(evicted).failedAt()).hasValue(transition.toInstant());

    V1Pod bare = TestPods.pending("ns", "x");
    bare.getStatus().setConditions(null);
    OffsetDateTime created = OffsetDateTime.of(2024, 1, 2, 3, 4, 5, 0, ZoneOffset.UTC);
    bare.getMetadata().setCreationTimestamp(created);
    assertThat(new PodFacts(bare).failedAt()).hasValue(created.toInstant());

    evicted
        .getStatus()
        .addConditionsItem(
            new V1PodCondition()
                .type("Ready")
                .status("False")
                .lastTransitionTime(transition.plusMinutes(1)));
    assertThat(new PodFacts(evicted).failedAt()).hasValue(transition.plusMinutes(1).toInstant());
  }

  @Test
  void reasonsIncludePodReasonAndContainerReasons() {
    V1Pod evicted = TestPods.evicted("ns", "e", "low memory", Duration.ofMinutes(30));
    PodFacts facts = new PodFacts(evicted);
    assertThat(facts.reasons(false)).containsExactly("Evicted", "ContainerStatusUnknown");
    assertThat(facts.groupingReason()).isEqualTo("Evicted");
    PodFacts oom = new PodFacts(TestPods.oomKilled("ns", "o", Duration.ofHours(1)));
    assertThat(oom.reasons(false)).containsExactly("OOMKilled");
    assertThat(oom.exitCodes(false)).containsExactly(137);
    assertThat(oom.groupingReason()).isEqualTo("OOMKilled");
  }
}
