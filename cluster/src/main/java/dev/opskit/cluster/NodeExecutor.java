package dev.opskit.cluster;

import com.google.gson.JsonObject;
import dev.opskit.cluster.internal.agents.AgentCommand;
import dev.opskit.cluster.internal.json.TolerantJson;
import dev.opskit.cluster.internal.node.PodExecSession;
import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1HostPathVolumeSource;
import io.kubernetes.client.openapi.models.V1ObjectMeta;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1PodSpec;
import io.kubernetes.client.openapi.models.V1SecurityContext;
import io.kubernetes.client.openapi.models.V1Toleration;
import io.kubernetes.client.openapi.models.V1Volume;
import io.kubernetes.client.openapi.models.V1VolumeMount;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Runs commands on a named Kubernetes node through a short-lived privileged pod, like {@code
 * kubectl debug node/NAME}: for each command it creates a pod pinned to the node (host PID and
 * network namespaces, privileged, the node's root filesystem at {@code /host}), waits for it to
 * run, executes {@code chroot /host ARGV…} in it through the API's exec endpoint, and deletes the
 * pod afterwards, also when anything failed.
 *
 * <pre>{@code
 * CommandExecutor node = NodeExecutor.builder(client, "worker-3").namespace("ops").build();
 * String rules = node.execute(Command.of("iptables-save")).requireSuccess().stdoutUtf8();
 * }</pre>
 *
 * <p>The exec request names only a constant {@code sh -c} script; argv and then the command's stdin
 * travel framed on the exec's stdin, where the pod's shell reads each word into a variable and runs
 * {@code chroot /host "$@"} with exactly the stdin bytes that follow, so nothing is re-split or
 * expanded and the exec URL stays short however long argv is (API servers and proxies answer a long
 * request line with 414). The exit code comes from the exec status channel. Limits: {@link
 * Command#env()} and {@link Command#workingDirectory()} are not supported (rejected with {@link
 * IllegalArgumentException}); the image must provide {@code sh}, {@code head}, {@code chroot},
 * {@code sleep} and {@code setsid}; the pod needs a namespace that admits privileged pods. A
 * command's timeout bounds the exec, and a command still running a second later is killed with the
 * processes it started; the pod also carries {@code activeDeadlineSeconds} so a pod orphaned by a
 * crashed caller ends by itself. Safe for concurrent use (one pod per command).
 */
public final class NodeExecutor implements CommandExecutor {
  private static final Pattern NODE_NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

  private final ApiClient client;
  private final String node;
  private final String namespace;
  private final String image;
  private final Duration startTimeout;
  private final Duration defaultTimeout;
  private final Duration pollInterval;

  private NodeExecutor(Builder builder) {
    this.client = builder.client;
    this.node = builder.node;
    this.namespace = builder.namespace;
    this.image = builder.image;
    this.startTimeout = builder.startTimeout;
    this.defaultTimeout = builder.defaultTimeout;
    this.pollInterval = builder.pollInterval;
  }

  /**
   * A builder for an executor on {@code node}.
   *
   * @throws IllegalArgumentException when the node name is not a valid DNS subdomain
   */
  public static Builder builder(ApiClient client, String node) {
    return new Builder(client, node);
  }

  /** The node commands run on. */
  public String node() {
    return node;
  }

  @Override
  public ExecResult execute(Command command) throws IOException, InterruptedException {
    if (!command.env().isEmpty() || command.workingDirectory().isPresent()) {
      throw new IllegalArgumentException(
          "NodeExecutor runs argv and stdin only: env and workingDirectory are not supported, got "
              + command);
    }
    long started = System.nanoTime();
    Duration timeout = command.timeout().orElse(defaultTimeout);
    CoreV1Api api = new CoreV1Api(client);
    V1Pod pod =
        podSpec("opskit-node-exec-" + UUID.randomUUID().toString().substring(0, 8), command);
    String name = pod.getMetadata().getName();
    try {
      TolerantJson.execute(
          api.createNamespacedPod(namespace, pod).buildCall(null), JsonObject.class);
    } catch (ApiException e) {
      throw new IOException(
          "cannot create exec pod on node " + node + ": " + e.getCode() + " " + e.getResponseBody(),
          e);
    }
    IOException failure = null;
    try {
      awaitRunning(api, name);
      PodExecSession.Outcome outcome =
          PodExecSession.run(
              client,
              namespace,
              name,
              "exec",
              AgentCommand.exec(AgentCommand.CHROOT_HOST),
              AgentCommand.stdin(command, timeout.plus(AgentCommand.GRACE)),
              timeout);
      if (outcome.exitCode().isEmpty() && !outcome.timedOut()) {
        throw new IOException(
            "exec on node " + node + " reported no exit status: " + outcome.statusMessage());
      }
      return outcome.result(command, started);
    } catch (IOException e) {
      failure = e;
      throw e;
    } finally {
      deletePod(api, name, failure);
    }
  }

  /** The pod this executor creates for {@code command} (for review and tests). */
  V1Pod podSpec(String name, Command command) {
    long deadline = command.timeout().orElse(defaultTimeout).plus(startTimeout).toSeconds() + 60;
    return new V1Pod()
        .apiVersion("v1")
        .kind("Pod")
        .metadata(
            new V1ObjectMeta()
                .name(name)
                .namespace(namespace)
                .labels(
                    Map.of(
                        "app.kubernetes.io/managed-by", "opskit", "opskit.dev/node-exec", "true")))
        .spec(
            new V1PodSpec()
                .nodeName(node)
                .hostPID(true)
                .hostNetwork(true)
                .restartPolicy("Never")
                .automountServiceAccountToken(false)
                .terminationGracePeriodSeconds(0L)
                .activeDeadlineSeconds(deadline)
                .addTolerationsItem(new V1Toleration().operator("Exists"))
                .addContainersItem(
                    new V1Container()
                        .name("exec")
                        .image(image)
                        .command(List.of("sleep", String.valueOf(deadline)))
                        .securityContext(new V1SecurityContext().privileged(true))
                        .addVolumeMountsItem(new V1VolumeMount().name("host").mountPath("/host")))
                .addVolumesItem(
                    new V1Volume()
                        .name("host")
                        .hostPath(new V1HostPathVolumeSource().path("/").type("Directory"))));
  }

  private void awaitRunning(CoreV1Api api, String name) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + startTimeout.toNanos();
    while (true) {
      V1Pod current;
      try {
        current =
            TolerantJson.execute(
                api.readNamespacedPod(name, namespace).buildCall(null), V1Pod.class);
      } catch (ApiException e) {
        throw new IOException(
            "cannot read exec pod " + namespace + "/" + name + ": " + e.getCode(), e);
      }
      String phase = current.getStatus() == null ? null : current.getStatus().getPhase();
      if ("Running".equals(phase)) {
        return;
      }
      if ("Failed".equals(phase) || "Succeeded".equals(phase)) {
        throw new IOException("exec pod " + namespace + "/" + name + " ended in phase " + phase);
      }
      if (System.nanoTime() > deadline) {
        throw new IOException(
            "exec pod "
                + namespace
                + "/"
                + name
                + " not running on node "
                + node
                + " after "
                + startTimeout);
      }
      Thread.sleep(pollInterval.toMillis());
    }
  }

  private void deletePod(CoreV1Api api, String name, IOException failure) throws IOException {
    try {
      TolerantJson.execute(
          api.deleteNamespacedPod(name, namespace).gracePeriodSeconds(0).buildCall(null),
          JsonObject.class);
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        return;
      }
      IOException cleanup =
          new IOException(
              "cannot delete exec pod " + namespace + "/" + name + ": " + e.getCode(), e);
      if (failure != null) {
        failure.addSuppressed(cleanup);
      } else {
        throw cleanup;
      }
    } catch (IOException e) {
      if (failure != null) {
        failure.addSuppressed(e);
      } else {
        throw e;
      }
    }
  }

  @Override
  public String toString() {
    return "NodeExecutor{node=" + node + ", namespace=" + namespace + "}";
  }

  /** Builds a {@link NodeExecutor}. */
  public static final class Builder {
    private final ApiClient client;
    private final String node;
    private String namespace = "default";
    private String image = "docker.io/library/busybox:1.36";
    private Duration startTimeout = Duration.ofMinutes(2);
    private Duration defaultTimeout = Duration.ofMinutes(5);
    private Duration pollInterval = Duration.ofMillis(500);

    private Builder(ApiClient client, String node) {
      this.client = Objects.requireNonNull(client, "client");
      if (node == null || !NODE_NAME.matcher(node).matches()) {
        throw new IllegalArgumentException(
            "node name '" + node + "' must be a DNS subdomain (lower case, digits, '-', '.')");
      }
      this.node = node;
    }

    /** The namespace for the exec pods (it must admit privileged pods); {@code default}. */
    public Builder namespace(String namespace) {
      if (namespace == null || namespace.isBlank()) {
        throw new IllegalArgumentException("namespace must not be blank");
      }
      this.namespace = namespace;
      return this;
    }

    /**
     * The image of the exec pod ({@code busybox:1.36} by default); it must contain {@code sh},
     * {@code head}, {@code chroot} and {@code sleep}, and {@code setsid} to kill a command that
     * outlives its timeout.
     */
    public Builder image(String image) {
      if (image == null || image.isBlank()) {
        throw new IllegalArgumentException("image must not be blank");
      }
      this.image = image;
      return this;
    }

    /** How long to wait for the exec pod to run; 2 minutes by default. */
    public Builder startTimeout(Duration timeout) {
      this.startTimeout = positive("startTimeout", timeout);
      return this;
    }

    /** Exec timeout for commands without their own; 5 minutes by default. */
    public Builder defaultTimeout(Duration timeout) {
      this.defaultTimeout = positive("defaultTimeout", timeout);
      return this;
    }

    /** How often to check whether the pod runs; 500 ms by default. */
    public Builder pollInterval(Duration interval) {
      this.pollInterval = positive("pollInterval", interval);
      return this;
    }

    /** The executor. */
    public NodeExecutor build() {
      return new NodeExecutor(this);
    }

    private static Duration positive(String name, Duration value) {
      if (value == null || value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, was " + value);
      }
      return value;
    }
  }
}
