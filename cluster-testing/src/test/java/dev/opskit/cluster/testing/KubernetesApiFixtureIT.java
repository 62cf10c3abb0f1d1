package dev.opskit.cluster.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubernetes.client.custom.V1Patch;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.Pair;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1DeleteOptions;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1PodList;
import io.kubernetes.client.openapi.models.V1Preconditions;
import io.kubernetes.client.util.PatchUtils;
import io.kubernetes.client.util.WebSocketStreamHandler;
import io.kubernetes.client.util.WebSockets;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KubernetesApiFixtureIT {
  private KubernetesApiFixture fixture;
  private CoreV1Api api;

  @BeforeEach
  void start() {
    fixture = KubernetesApiFixture.start();
    api = new CoreV1Api(fixture.apiClient());
  }

  @AfterEach
  void stop() {
    fixture.close();
  }

  private static List<String> names(V1PodList list) {
    return list.getItems().stream()
        .map(p -> p.getMetadata().getNamespace() + "/" + p.getMetadata().getName())
        .toList();
  }

  @Test
  void seedStoresTheDocumentedPods() throws ApiException {
    fixture.seedRealisticCluster();
    assertThat(fixture.podCount()).isEqualTo(SeedCluster.POD_COUNT);
    V1PodList all = api.listPodForAllNamespaces().execute();
    assertThat(all.getItems()).hasSize(SeedCluster.POD_COUNT);
    V1Pod web = fixture.pod("shop", "web-7c9f8d6b5-2xkqp").orElseThrow();
    assertThat(web.getSpec().getInitContainers()).hasSize(1);
    assertThat(web.getStatus().getContainerStatuses().get(0).getImageID())
        .endsWith(SeedCluster.NGINX_DIGEST);
    V1Pod debug = fixture.pod("shop", "debug-tools").orElseThrow();
    assertThat(debug.getSpec().getEphemeralContainers()).hasSize(1);
    V1Pod evicted = fixture.pod("shop", "web-7c9f8d6b5-ev1ct").orElseThrow();
    assertThat(evicted.getStatus().getReason()).isEqualTo("Evicted");
    assertThat(evicted.getStatus().getMessage()).contains("low on resource: memory");
  }

  @Test
  void fieldSelectorOnPhaseAndNodeName() throws ApiException {
    fixture.seedRealisticCluster();
    V1PodList failed = api.listPodForAllNamespaces().fieldSelector("status.phase=Failed").execute();
    assertThat(names(failed)).containsExactlyInAnyOrderElementsOf(SeedCluster.FAILED);
    V1PodList notRunning =
        api.listNamespacedPod("shop").fieldSelector("status.phase!=Running").execute();
    assertThat(names(notRunning))
        .containsExactlyInAnyOrder(
            "shop/web-7c9f8d6b5-ev1ct", "shop/web-7c9f8d6b5-ev2ct", "shop/cart-6d5b9c7f4-oomkd");
    V1PodList onB =
        api.listPodForAllNamespaces()
            .fieldSelector("spec.nodeName=node-b,status.phase=Running")
            .execute();
    assertThat(names(onB))
        .containsExactlyInAnyOrder("shop/web-7c9f8d6b5-9mzt4", "shop/api-5f7d8c6b9-q4wz8");
    V1PodList unscheduled = api.listPodForAllNamespaces().fieldSelector("spec.nodeName=").execute();
    assertThat(names(unscheduled)).containsExactly("default/pending-web");
  }

  @Test
  void unsupportedFieldSelectorIsBadRequest() {
    assertThatThrownBy(() -> api.listPodForAllNamespaces().fieldSelector("spec.image=x").execute())
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(400));
  }

  @Test
  void ignoringFieldSelectorsReturnsEverything() throws ApiException {
    fixture.seedRealisticCluster();
    fixture.ignoreFieldSelectors(true);
    assertThat(
            api.listPodForAllNamespaces().fieldSelector("status.phase=Failed").execute().getItems())
        .hasSize(SeedCluster.POD_COUNT);
  }

  @Test
  void labelSelectorsEqualityAndSetBased() throws ApiException {
    fixture.seedRealisticCluster();
    assertThat(api.listNamespacedPod("shop").labelSelector("app=web").execute().getItems())
        .hasSize(4);
    assertThat(api.listNamespacedPod("shop").labelSelector("app==web").execute().getItems())
        .hasSize(4);
    assertThat(names(api.listNamespacedPod("shop").labelSelector("app in (cart, api)").execute()))
        .containsExactlyInAnyOrder("shop/cart-6d5b9c7f4-oomkd", "shop/api-5f7d8c6b9-q4wz8");
    assertThat(
            names(
                api.listNamespacedPod("shop").labelSelector("app notin (web,cart,api)").execute()))
        .containsExactly("shop/debug-tools");
    assertThat(api.listPodForAllNamespaces().labelSelector("job-name").execute().getItems())
        .hasSize(2);
    assertThat(api.listPodForAllNamespaces().labelSelector("!app,!job-name").execute().getItems())
        .hasSize(5);
    assertThat(
            api.listNamespacedPod("shop")
                .labelSelector("app!=web,pod-template-hash")
                .execute()
                .getItems())
        .isEmpty();
    assertThatThrownBy(() -> api.listPodForAllNamespaces().labelSelector("app in (a").execute())
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(400));
  }

  @Test
  void pagingWithLimitAndContinueVisitsEveryPodOnceInKeyOrder() throws ApiException {
    List<V1Pod> pods = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      pods.add(TestPods.running(i % 2 == 0 ? "a" : "b", String.format("pod-%03d", i)));
    }
    fixture.createPods(pods);
    List<String> seen = new ArrayList<>();
    String token = null;
    int pages = 0;
    do {
      V1PodList page = api.listPodForAllNamespaces().limit(10)._continue(token).execute();
      pages++;
      seen.addAll(names(page));
      token = page.getMetadata().getContinue();
      if (token != null) {
        assertThat(page.getItems()).hasSize(10);
        assertThat(page.getMetadata().getRemainingItemCount()).isEqualTo(25L - seen.size());
      }
    } while (token != null && !token.isEmpty());
    assertThat(pages).isEqualTo(3);
    assertThat(seen).hasSize(25).doesNotHaveDuplicates().isSorted();
    assertThatThrownBy(
            () -> api.listPodForAllNamespaces().limit(5)._continue("not-a-token").execute())
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(400));
  }

  @Test
  void pagingCombinesWithSelectors() throws ApiException {
    List<V1Pod> pods = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      pods.add(
          i % 3 == 0
              ? TestPods.failed("ns", "p-" + i, "Error", 1, Duration.ofHours(1))
              : TestPods.running("ns", "p-" + i));
    }
    fixture.createPods(pods);
    V1PodList first =
        api.listNamespacedPod("ns").fieldSelector("status.phase=Failed").limit(4).execute();
    assertThat(first.getItems()).hasSize(4);
    assertThat(first.getMetadata().getRemainingItemCount()).isNull();
    V1PodList second =
        api.listNamespacedPod("ns")
            .fieldSelector("status.phase=Failed")
            .limit(100)
            ._continue(first.getMetadata().getContinue())
            .execute();
    assertThat(second.getItems()).hasSize(6);
    assertThat(second.getMetadata().getContinue()).isNull();
  }

  @Test
  void deleteWithUidPreconditionConflictsWhenThePodWasReplaced() throws ApiException {
    V1Pod original =
        fixture.createPod(TestPods.failed("ns", "web-0", "Error", 1, Duration.ofHours(1)));
    String oldUid = original.getMetadata().getUid();
    fixture.deleteObject("/api/v1/namespaces/ns/pods/web-0");
    V1Pod replacement = fixture.createPod(TestPods.running("ns", "web-0"));
    assertThat(replacement.getMetadata().getUid()).isNotEqualTo(oldUid);

    assertThatThrownBy(
            () ->
                api.deleteNamespacedPod("web-0", "ns")
                    .body(new V1DeleteOptions().preconditions(new V1Preconditions().uid(oldUid)))
                    .execute())
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.getCode()).isEqualTo(409);
              assertThat(e.getResponseBody()).contains("Precondition failed: UID in precondition");
            });
    assertThat(fixture.pod("ns", "web-0")).isPresent();

    api.deleteNamespacedPod("web-0", "ns")
        .body(
            new V1DeleteOptions()
                .preconditions(new V1Preconditions().uid(replacement.getMetadata().getUid())))
        .execute();
    assertThat(fixture.pod("ns", "web-0")).isEmpty();
    assertThatThrownBy(() -> api.deleteNamespacedPod("web-0", "ns").execute())
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(404));
  }

  @Test
  void resourceVersionPreconditionConflicts() throws ApiException {
    V1Pod pod = fixture.createPod(TestPods.running("ns", "p"));
    assertThatThrownBy(
            () ->
                api.deleteNamespacedPod("p", "ns")
                    .body(
                        new V1DeleteOptions()
                            .preconditions(new V1Preconditions().resourceVersion("999999")))
                    .execute())
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(409));
    api.deleteNamespacedPod("p", "ns")
        .body(
            new V1DeleteOptions()
                .preconditions(
                    new V1Preconditions().resourceVersion(pod.getMetadata().getResourceVersion())))
        .execute();
    assertThat(fixture.pod("ns", "p")).isEmpty();
  }

  @Test
  void dryRunDeletesNothing() throws ApiException {
    fixture.createPod(TestPods.running("ns", "p"));
    api.deleteNamespacedPod("p", "ns").dryRun("All").execute();
    assertThat(fixture.pod("ns", "p")).isPresent();
    api.deleteNamespacedPod("p", "ns").body(new V1DeleteOptions().dryRun(List.of("All"))).execute();
    assertThat(fixture.pod("ns", "p")).isPresent();
  }

  @Test
  void staleUpdateConflictsAndCurrentUpdateApplies() throws ApiException {
    V1Pod pod = fixture.createPod(TestPods.running("ns", "p"));
    V1Pod stale = fixture.pod("ns", "p").orElseThrow();
    pod.getMetadata().putLabelsItem("x", "1");
    V1Pod updated = api.replaceNamespacedPod("p", "ns", pod).execute();
    assertThat(updated.getMetadata().getResourceVersion())
        .isNotEqualTo(stale.getMetadata().getResourceVersion());
    stale.getMetadata().putLabelsItem("x", "2");
    assertThatThrownBy(() -> api.replaceNamespacedPod("p", "ns", stale).execute())
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(409));
    assertThat(fixture.pod("ns", "p").orElseThrow().getMetadata().getLabels())
        .containsEntry("x", "1");
  }

  @Test
  void jsonPatchWhoseTestFailsIsUnprocessableAndChangesNothing() {
    fixture.createPod(TestPods.running("ns", "p"));
    String patch =
        "[{\"op\":\"test\",\"path\":\"/metadata/name\",\"value\":\"other\"},"
            + "{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"a\":\"1\"}}]";
    assertThatThrownBy(
            () ->
                PatchUtils.patch(
                    V1Pod.class,
                    () -> api.patchNamespacedPod("p", "ns", new V1Patch(patch)).buildCall(null),
                    V1Patch.PATCH_FORMAT_JSON_PATCH,
                    fixture.apiClient()))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(422));
    assertThat(fixture.pod("ns", "p").orElseThrow().getMetadata().getLabels())
        .doesNotContainKey("a");
  }

  @Test
  void jsonPatchAndStrategicMergePatch() throws ApiException {
    V1Pod pod = TestPods.running("ns", "p");
    pod.getSpec()
        .getContainers()
        .add(new io.kubernetes.client.openapi.models.V1Container().name("side").image("envoy:1"));
    fixture.createPod(pod);
    PatchUtils.patch(
        V1Pod.class,
        () ->
            api.patchNamespacedPod(
                    "p",
                    "ns",
                    new V1Patch(
                        "[{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"a\":\"1\"}}]"))
                .buildCall(null),
        V1Patch.PATCH_FORMAT_JSON_PATCH,
        fixture.apiClient());
    V1Pod patched =
        PatchUtils.patch(
            V1Pod.class,
            () ->
                api.patchNamespacedPod(
                        "p",
                        "ns",
                        new V1Patch(
                            "{\"metadata\":{\"labels\":{\"b\":\"2\"}},"
                                + "\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"busybox:1.37\"}]}}"))
                    .buildCall(null),
            V1Patch.PATCH_FORMAT_STRATEGIC_MERGE_PATCH,
            fixture.apiClient());
    assertThat(patched.getMetadata().getLabels()).containsEntry("a", "1").containsEntry("b", "2");
    assertThat(patched.getSpec().getContainers())
        .extracting(c -> c.getName() + "=" + c.getImage())
        .containsExactly("app=busybox:1.37", "side=envoy:1");
    V1Pod stored = fixture.pod("ns", "p").orElseThrow();
    assertThat(stored.getSpec().getContainers()).hasSize(2);
    assertThat(stored.getSpec().getContainers().get(0).getImage()).isEqualTo("busybox:1.37");
  }

  @Test
  void injectedFaultsFireTheirCountThenPassThrough() throws ApiException {
    fixture.createPod(TestPods.running("ns", "p"));
    fixture.inject(
        RequestFault.on("GET", "/api/v1/namespaces/ns/pods/p")
            .status(429)
            .retryAfterSeconds(2)
            .times(2));
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> api.readNamespacedPod("p", "ns").execute())
          .isInstanceOfSatisfying(
              ApiException.class,
              e -> {
                assertThat(e.getCode()).isEqualTo(429);
                assertThat(e.getResponseHeaders().get("Retry-After")).containsExactly("2");
              });
    }
    assertThat(api.readNamespacedPod("p", "ns").execute().getMetadata().getName()).isEqualTo("p");
    fixture.inject(RequestFault.on("*", "/api/v1/namespaces/ns/pods/p").status(503));
    assertThatThrownBy(() -> api.readNamespacedPod("p", "ns").execute())
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getCode()).isEqualTo(503));
    List<RecordedCall> calls = fixture.requests("GET", "/api/v1/namespaces/ns/pods/p");
    assertThat(calls).hasSize(4);
  }

  @Test
  void delayedFaultMakesTheClientTimeOut() {
    fixture.createPod(TestPods.running("ns", "p"));
    fixture.inject(RequestFault.on("GET", ".*/pods/p").status(500).delay(Duration.ofSeconds(3)));
    CoreV1Api impatient = new CoreV1Api(fixture.newApiClient(Duration.ofMillis(300)));
    assertThatThrownBy(() -> impatient.readNamespacedPod("p", "ns").execute())
        .isInstanceOf(ApiException.class)
        .hasCauseInstanceOf(java.net.SocketTimeoutException.class);
  }

  @Test
  void discoveryAndVersion() throws IOException {
    assertThat(get("/api")).contains("\"v1\"");
    assertThat(get("/apis")).contains("\"apps/v1\"", "\"batch/v1\"");
    assertThat(get("/api/v1")).contains("\"name\":\"pods\"", "\"kind\":\"Pod\"");
    assertThat(get("/apis/apps/v1")).contains("\"name\":\"daemonsets\"");
    fixture.registerCustomResource(
        "operator.tigera.io", "v1", "Installation", "installations", false);
    assertThat(get("/apis")).contains("operator.tigera.io/v1");
    assertThat(get("/apis/operator.tigera.io/v1")).contains("\"kind\":\"Installation\"");
    assertThat(get("/version")).contains("gitVersion");
  }

  @Test
  void customResourcesAreStored() throws IOException {
    fixture.registerCustomResource(
        "operator.tigera.io", "v1", "Installation", "installations", false);
    fixture.createJson(
        "/apis/operator.tigera.io/v1/installations",
        "{\"apiVersion\":\"operator.tigera.io/v1\",\"kind\":\"Installation\","
            + "\"metadata\":{\"name\":\"default\"},\"spec\":{\"calicoNetwork\":{}}}");
    assertThat(get("/apis/operator.tigera.io/v1/installations")).contains("\"name\":\"default\"");
    assertThat(get("/apis/operator.tigera.io/v1/installations/default")).contains("calicoNetwork");
  }

  @Test
  void watchSendsCurrentObjectsAsAddedEvents() throws IOException {
    fixture.seedRealisticCluster();
    String events = get("/api/v1/namespaces/batch/pods?watch=true");
    assertThat(events.lines())
        .hasSize(2)
        .allSatisfy(line -> assertThat(line).startsWith("{\"type\":\"ADDED\""));
  }

  @Test
  void unknownFieldsAreStoredVerbatimAndSkippedWhenReadAsModels() {
    String json =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"future\",\"namespace\":\"ns\"},"
            + "\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"busybox\"}]},"
            + "\"status\":{\"phase\":\"Failed\",\"reason\":\"Evicted\",\"futureStatusField\":\"y\"}}";
    fixture.createJson("/api/v1/namespaces/ns/pods", json);
    assertThat(fixture.json("/api/v1/namespaces/ns/pods/future").orElseThrow())
        .contains("\"futureStatusField\":\"y\"");
    assertThat(fixture.pod("ns", "future").orElseThrow().getStatus().getReason())
        .isEqualTo("Evicted");
    assertThatThrownBy(() -> api.listNamespacedPod("ns").execute())
        .hasStackTraceContaining("is not defined in the");
  }

  @Test
  void execIsAnsweredOverTheChannelProtocol() throws Exception {
    fixture.createPod(TestPods.running("ns", "p"));
    fixture.onExec(
        request ->
            request.command().equals(List.of("echo", "a b", "$HOME"))
                ? PodExecReply.of(3, "a b $HOME\n", "warn\n")
                : PodExecReply.of(127, "", "not found\n"));
    assertThat(exec("echo", "a b", "$HOME"))
        .containsExactly("a b $HOME\n", "warn\n", "exit status 3");
    assertThat(exec("echo a b")).containsExactly("", "not found\n", "exit status 127");
    assertThat(fixture.requests("GET", ".*/pods/p/exec").get(0).query().get("command"))
        .containsExactly("echo", "a b", "$HOME");
  }

  /** Execs in ns/p with the client's WebSocket streaming: stdout, stderr, exit status. */
  private List<String> exec(String... argv) throws Exception {
    WebSocketStreamHandler handler = new WebSocketStreamHandler();
    List<InputStream> channels =
        List.of(handler.getInputStream(1), handler.getInputStream(2), handler.getInputStream(3));
    List<Pair> query =
        new ArrayList<>(List.of(new Pair("stdout", "true"), new Pair("stderr", "true")));
    for (String arg : argv) {
      query.add(new Pair("command", arg));
    }
    WebSockets.stream(
        "/api/v1/namespaces/ns/pods/p/exec", "GET", query, fixture.apiClient(), handler);
    List<String> read = new ArrayList<>();
    for (InputStream channel : channels) {
      read.add(new String(channel.readAllBytes(), StandardCharsets.UTF_8));
    }
    Matcher status = Pattern.compile("exit status \\d+").matcher(read.get(2));
    read.set(2, status.find() ? status.group() : "exit status 0");
    return read;
  }

  private String get(String path) throws IOException {
    Request request = new Request.Builder().url(fixture.url() + path).build();
    try (Response response = fixture.apiClient().getHttpClient().newCall(request).execute()) {
      assertThat(response.code()).as(path).isEqualTo(200);
      return response.body().string();
    }
  }
}
