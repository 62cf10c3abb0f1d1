package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.cluster.testing.RequestFault;
import dev.opskit.cluster.testing.TestPods;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.models.V1Pod;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The inventory against an API that fails the way real ones do: same retries as the reaper. */
@Timeout(60)
class ImageInventoryFaultsIT {
  private KubernetesApiFixture fixture;

  @BeforeEach
  void start() {
    fixture = KubernetesApiFixture.start();
    List<V1Pod> pods = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      pods.add(TestPods.running("ns-" + (i % 3), String.format("pod-%03d", i)));
    }
    fixture.createPods(pods);
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

  private ImageInventory.Builder inventory(ApiClient client) {
    return ImageInventory.builder(client).pageSize(10).requestPolicy(fastRequests().build());
  }

  private static List<String> pods(List<ContainerImage> rows) {
    return rows.stream().map(r -> r.namespace() + "/" + r.pod()).toList();
  }

  @Test
  void anExpiredContinueTokenRestartsTheListWithoutRepeatingRows() throws IOException {
    fixture.inject(
        RequestFault.on("GET", "/api/v1/pods").withQueryParameter("continue").status(410).times(1));

    List<ContainerImage> rows = inventory(fixture.apiClient()).build().list();

    assertThat(pods(rows)).hasSize(25).doesNotHaveDuplicates();
    assertThat(fixture.requests("GET", "/api/v1/pods").get(2).queryParameter("continue")).isEmpty();
  }

  @Test
  void aContinueTokenThatKeepsExpiringFailsInsteadOfEndingQuietly() {
    fixture.inject(
        RequestFault.on("GET", "/api/v1/pods").withQueryParameter("continue").status(410).always());

    assertThatThrownBy(() -> inventory(fixture.apiClient()).build().list())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("410");
  }

  @Test
  void serverErrorsAndThrottlingAreRetried() throws IOException {
    fixture.inject(RequestFault.on("GET", "/api/v1/pods").status(500).times(1));
    fixture.inject(
        RequestFault.on("GET", "/api/v1/pods")
            .withQueryParameter("continue")
            .status(429)
            .retryAfterSeconds(0)
            .times(2));

    List<ContainerImage> rows = inventory(fixture.apiClient()).build().list();

    assertThat(pods(rows)).hasSize(25).doesNotHaveDuplicates();
    assertThat(fixture.requests("GET", "/api/v1/pods")).hasSize(3 + 3);
  }

  @Test
  void resetAndTruncatedPagesAreFetchedAgainWithoutRepeatingRows() throws IOException {
    fixture.inject(RequestFault.on("GET", "/api/v1/pods").reset().times(1));
    fixture.inject(
        RequestFault.on("GET", "/api/v1/pods")
            .withQueryParameter("continue")
            .truncatedBody()
            .times(2));

    List<ContainerImage> rows =
        inventory(fixture.newFaultyApiClient(Duration.ofSeconds(30))).build().list();

    assertThat(pods(rows)).hasSize(25).doesNotHaveDuplicates();
  }

  @Test
  void aStalledServerFailsAfterTheTimeoutWithAMessageThatSaysSo() {
    fixture.inject(RequestFault.on("GET", "/api/v1/pods").hang().always());

    assertThatThrownBy(
            () ->
                inventory(fixture.newFaultyApiClient(Duration.ofSeconds(30)))
                    .requestPolicy(
                        fastRequests().readTimeout(Duration.ofMillis(300)).maxAttempts(2).build())
                    .build()
                    .list())
        .isInstanceOf(IOException.class)
        .hasMessage(
            "GET /api/v1/pods failed: no answer within the read timeout of 300ms (2 attempts)");
  }

  @Test
  void persistentThrottlingStopsWhenTheRetryBudgetIsSpent() {
    fixture.inject(RequestFault.on("GET", "/api/v1/pods").status(429).always());

    assertThatThrownBy(
            () ->
                inventory(fixture.apiClient())
                    .requestPolicy(fastRequests().retryBudget(2).maxAttempts(10).build())
                    .build()
                    .list())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("retry budget of 2 retries spent");
    assertThat(fixture.requests("GET", "/api/v1/pods")).hasSize(3);
  }
}
