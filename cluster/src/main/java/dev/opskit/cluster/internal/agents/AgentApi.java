package dev.opskit.cluster.internal.agents;

import com.google.gson.JsonObject;
import dev.opskit.cluster.RequestPolicy;
import dev.opskit.cluster.internal.json.TolerantJson;
import dev.opskit.cluster.internal.reaper.Retrier;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.AppsV1Api;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1DaemonSet;
import io.kubernetes.client.openapi.models.V1DaemonSetList;
import io.kubernetes.client.openapi.models.V1Node;
import io.kubernetes.client.openapi.models.V1NodeList;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1PodList;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The API calls of node agents, each under the {@link ApiThrottle} and retried by a {@link Retrier}
 * (429, 5xx and transport errors, with backoff, within one budget). Thread-safe.
 */
public final class AgentApi {
  private static final int PAGE = 500;

  /** A built call. */
  @FunctionalInterface
  interface Built {
    okhttp3.Call build() throws ApiException;
  }

  private final ApiClient client;
  private final ApiThrottle throttle;
  private final Retrier retrier;
  private final CoreV1Api core;
  private final AppsV1Api apps;

  /** Calls through {@code client} under {@code throttle} and {@code policy}. */
  public AgentApi(ApiClient client, ApiThrottle throttle, RequestPolicy policy) {
    this.client = client;
    this.throttle = throttle;
    this.retrier = new Retrier(policy, client);
    this.core = new CoreV1Api(client);
    this.apps = new AppsV1Api(client);
  }

  /** The client the calls go through. */
  public ApiClient client() {
    return client;
  }

  /** The throttle every call (and exec) goes through. */
  public ApiThrottle throttle() {
    return throttle;
  }

  /** Every node matching {@code labelSelector} (empty for all), paged. */
  public List<V1Node> nodes(String labelSelector)
      throws ApiException, IOException, InterruptedException {
    List<V1Node> nodes = new ArrayList<>();
    String token = null;
    do {
      String page = token;
      V1NodeList list =
          call(
              "list nodes",
              () ->
                  core.listNode()
                      .labelSelector(labelSelector.isEmpty() ? null : labelSelector)
                      .limit(PAGE)
                      ._continue(page)
                      .buildCall(null),
              V1NodeList.class);
      nodes.addAll(list.getItems());
      token = list.getMetadata() == null ? null : list.getMetadata().getContinue();
    } while (token != null && !token.isEmpty());
    return nodes;
  }

  /** Every pod in {@code namespace} matching {@code labelSelector}, paged. */
  public List<V1Pod> pods(String namespace, String labelSelector)
      throws ApiException, IOException, InterruptedException {
    List<V1Pod> pods = new ArrayList<>();
    String token = null;
    do {
      String page = token;
      V1PodList list =
          call(
              "list pods in " + namespace,
              () ->
                  core.listNamespacedPod(namespace)
                      .labelSelector(labelSelector)
                      .limit(PAGE)
                      ._continue(page)
                      .buildCall(null),
              V1PodList.class);
      pods.addAll(list.getItems());
      token = list.getMetadata() == null ? null : list.getMetadata().getContinue();
    } while (token != null && !token.isEmpty());
    return pods;
  }

  /** The agent DaemonSets in {@code namespace}. */
  public List<V1DaemonSet> agentDaemonSets(String namespace)
      throws ApiException, IOException, InterruptedException {
    return call(
            "list DaemonSets in " + namespace,
            () ->
                apps.listNamespacedDaemonSet(namespace)
                    .labelSelector(NodeAgentSpec.ALL_AGENTS)
                    .buildCall(null),
            V1DaemonSetList.class)
        .getItems();
  }

  /**
   * Creates the DaemonSet. Its name is unique to this deployment, so 409 AlreadyExists (a retry
   * after an answer was lost) means the first attempt created it.
   */
  public void create(V1DaemonSet daemonSet) throws ApiException, IOException, InterruptedException {
    String namespace = daemonSet.getMetadata().getNamespace();
    try {
      call(
          "create DaemonSet " + namespace + "/" + daemonSet.getMetadata().getName(),
          () -> apps.createNamespacedDaemonSet(namespace, daemonSet).buildCall(null),
          JsonObject.class);
    } catch (ApiException e) {
      if (e.getCode() != 409) {
        throw e;
      }
    }
  }

  /**
   * Deletes the DaemonSet with foreground propagation (its pods go first); false when it was
   * already gone.
   */
  public boolean delete(String namespace, String name)
      throws ApiException, IOException, InterruptedException {
    return found(
        "delete DaemonSet " + namespace + "/" + name,
        () ->
            apps.deleteNamespacedDaemonSet(name, namespace)
                .propagationPolicy("Foreground")
                .buildCall(null));
  }

  /** True while the DaemonSet exists (also while it is being deleted). */
  public boolean exists(String namespace, String name)
      throws ApiException, IOException, InterruptedException {
    return found(
        "read DaemonSet " + namespace + "/" + name,
        () -> apps.readNamespacedDaemonSet(name, namespace).buildCall(null));
  }

  /** Runs the request; false when the server answers 404. */
  private boolean found(String request, Built built)
      throws ApiException, IOException, InterruptedException {
    try {
      call(request, built, JsonObject.class);
      return true;
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        return false;
      }
      throw e;
    }
  }

  private <T> T call(String request, Built built, Class<T> type)
      throws ApiException, IOException, InterruptedException {
    return retrier.run(
        request,
        () -> {
          ApiThrottle.Permit permit = throttle.acquire();
          try {
            return TolerantJson.execute(retrier.newCall(built.build()), type);
          } finally {
            permit.close();
          }
        },
        (attempt, status) -> {});
  }
}
