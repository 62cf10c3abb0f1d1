package dev.opskit.cluster.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The extension injects one fixture per class and resets it between tests. The tests run in order:
 * the first leaves state behind that the second must not see.
 */
@KubernetesApiTest
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KubernetesApiExtensionIT {
  private static final AtomicReference<KubernetesApiFixture> FIRST = new AtomicReference<>();

  private final KubernetesApiFixture constructed;
  private KubernetesApiFixture beforeEach;

  KubernetesApiExtensionIT(KubernetesApiFixture fixture) {
    this.constructed = fixture;
  }

  @BeforeEach
  void seed(KubernetesApiFixture fixture) {
    beforeEach = fixture;
    fixture.createPod(TestPods.running("ns", "from-before-each"));
  }

  @Test
  @Order(1)
  void injectsOneStartedFixtureAndItsClientEverywhere(
      KubernetesApiFixture fixture, ApiClient client) throws ApiException {
    FIRST.set(fixture);
    assertThat(constructed).isSameAs(fixture);
    assertThat(beforeEach).isSameAs(fixture);
    assertThat(client).isSameAs(fixture.apiClient());
    assertThat(new CoreV1Api(client).readNamespacedPod("from-before-each", "ns").execute())
        .isNotNull();
  }

  @Test
  @Order(2)
  void leavesStateBehind(KubernetesApiFixture fixture) {
    fixture.createPod(TestPods.running("ns", "leftover"));
    fixture.registerCustomResource("example.com", "v1", "Widget", "widgets", true);
    fixture.inject(RequestFault.on("GET", ".*").status(503).times(100));
    fixture.inject(RequestFault.on("GET", ".*").reset().times(100));
    fixture.beforeRequest(
        call -> {
          throw new IllegalStateException("hook of an earlier test");
        });
    fixture.ignoreFieldSelectors(true);
  }

  @Test
  @Order(3)
  void nextTestStartsFromAFreshStateOnTheSameServer(KubernetesApiFixture fixture)
      throws ApiException, IOException {
    assertThat(fixture).isSameAs(FIRST.get());
    assertThat(fixture.requests()).isEmpty();
    assertThat(fixture.pod("ns", "leftover")).isEmpty();
    CoreV1Api api = new CoreV1Api(fixture.apiClient());
    assertThat(api.listNamespacedPod("ns").execute().getItems())
        .extracting(p -> p.getMetadata().getName())
        .containsExactly("from-before-each");
    assertThat(
            api.listNamespacedPod("ns").fieldSelector("status.phase=Failed").execute().getItems())
        .isEmpty();
    CoreV1Api throughProxy = new CoreV1Api(fixture.newFaultyApiClient(Duration.ofSeconds(5)));
    assertThat(throughProxy.readNamespacedPod("from-before-each", "ns").execute()).isNotNull();
    Request discovery = new Request.Builder().url(fixture.url() + "/apis/example.com/v1").build();
    try (Response response = fixture.apiClient().getHttpClient().newCall(discovery).execute()) {
      assertThat(response.code()).isEqualTo(404);
    }
    assertThat(fixture.requests("GET", ".*")).hasSize(4);
  }

  @Nested
  class NestedClasses {
    @Test
    void shareTheOuterClassFixture(KubernetesApiFixture fixture) {
      assertThat(fixture).isSameAs(constructed);
      assertThat(fixture.pod("ns", "from-before-each")).isPresent();
    }
  }
}
