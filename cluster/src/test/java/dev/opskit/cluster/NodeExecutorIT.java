package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.opskit.cluster.internal.agents.AgentCommand;
import dev.opskit.cluster.internal.agents.AgentCommandTest;
import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.cluster.testing.PodExecReply;
import dev.opskit.cluster.testing.PodExecRequest;
import dev.opskit.cluster.testing.RecordedCall;
import dev.opskit.cluster.testing.RequestFault;
import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NodeExecutorIT {
  private KubernetesApiFixture fixture;
  private final List<PodExecRequest> execs = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    fixture = KubernetesApiFixture.start();
    // Stand in for the scheduler and kubelet: the exec pod runs as soon as it is read.
    fixture.beforeRequest(
        call -> {
          if (call.method().equals("GET")
              && call.path().matches("/api/v1/namespaces/ops/pods/opskit-node-exec-.*")
              && !call.path().endsWith("/exec")) {
            fixture.setPodPhase(
                "ops", call.path().substring(call.path().lastIndexOf('/') + 1), "Running");
          }
        });
  }

  @AfterEach
  void stop() {
    fixture.close();
  }

  private NodeExecutor executor() {
    return NodeExecutor.builder(fixture.apiClient(), "worker-1")
        .namespace("ops")
        .pollInterval(Duration.ofMillis(10))
        .startTimeout(Duration.ofSeconds(5))
        .build();
  }

  @Test
  void runsArgvUnquotedThroughChrootAndDeletesThePod() throws Exception {
    fixture.onExec(
        request -> {
          execs.add(request);
          return PodExecReply.of(4, "out $HOME 'x'\n", "err\n");
        });
    ExecResult result = executor().execute(Command.of("printf", "%s\n", "a b", "$HOME", "'x'"));
    assertThat(result.exitCode()).hasValue(4);
    assertThat(result.stdoutUtf8()).isEqualTo("out $HOME 'x'\n");
    assertThat(result.stderrUtf8()).isEqualTo("err\n");
    assertThat(execs)
        .singleElement()
        .satisfies(
            exec -> {
              assertThat(exec.command())
                  .containsExactly("chroot", "/host", "printf", "%s\n", "a b", "$HOME", "'x'");
              assertThat(exec.container()).isEqualTo("exec");
            });
    assertThat(fixture.count("/api/v1/namespaces/ops/pods")).isZero();

    RecordedCall create = fixture.requests("POST", "/api/v1/namespaces/ops/pods").get(0);
    JsonObject spec =
        JsonParser.parseString(create.body()).getAsJsonObject().getAsJsonObject("spec");
    assertThat(spec.get("nodeName").getAsString()).isEqualTo("worker-1");
    assertThat(spec.get("hostPID").getAsBoolean()).isTrue();
    assertThat(spec.get("hostNetwork").getAsBoolean()).isTrue();
    assertThat(spec.get("restartPolicy").getAsString()).isEqualTo("Never");
    assertThat(spec.has("activeDeadlineSeconds")).isTrue();
    JsonObject container = spec.getAsJsonArray("containers").get(0).getAsJsonObject();
    assertThat(container.getAsJsonObject("securityContext").get("privileged").getAsBoolean())
        .isTrue();
    assertThat(
            container
                .getAsJsonArray("volumeMounts")
                .get(0)
                .getAsJsonObject()
                .get("mountPath")
                .getAsString())
        .isEqualTo("/host");
    assertThat(
            spec.getAsJsonArray("volumes")
                .get(0)
                .getAsJsonObject()
                .getAsJsonObject("hostPath")
                .get("path")
                .getAsString())
        .isEqualTo("/");
    assertThat(
            spec.getAsJsonArray("tolerations")
                .get(0)
                .getAsJsonObject()
                .get("operator")
                .getAsString())
        .isEqualTo("Exists");
  }

  @Test
  void hostileArgvOfAnySizeReachesChrootByteExactThroughAConstantExecRequest() throws Exception {
    fixture.onExec(
        request -> {
          execs.add(request);
          return PodExecReply.of(0, "", "");
        });
    List<String> argv = AgentCommandTest.hostileArgv();

    assertThat(executor().execute(Command.builder().argv(argv).build()).isSuccess()).isTrue();

    List<String> expected = new ArrayList<>(List.of("chroot", "/host"));
    expected.addAll(argv);
    assertThat(execs)
        .singleElement()
        .satisfies(exec -> assertThat(exec.command()).isEqualTo(expected));
    assertConstantExecRequest();
  }

  @Test
  void stdinOfAnySizeReachesTheCommandByteExact() throws Exception {
    // an iptables apply hands inputs over 16 KB to the host on stdin
    byte[] input = new byte[200_000];
    new Random(7).nextBytes(input);
    AtomicReference<byte[]> received = new AtomicReference<>();
    fixture.onExec(
        request -> {
          execs.add(request);
          received.set(request.stdin());
          return PodExecReply.of(0, "read\n", "");
        });
    Command command = Command.builder().argv(AgentCommandTest.hostileArgv()).stdin(input).build();

    ExecResult result = executor().execute(command);

    assertThat(result.stdoutUtf8()).isEqualTo("read\n");
    assertThat(received.get()).isEqualTo(input);
    List<String> expected = new ArrayList<>(List.of("chroot", "/host"));
    expected.addAll(command.argv());
    assertThat(execs).singleElement().satisfies(e -> assertThat(e.command()).isEqualTo(expected));
    assertConstantExecRequest();
    assertThat(fixture.count("/api/v1/namespaces/ops/pods")).isZero();
  }

  @Test
  void anArgvOverEightKilobytesRunsWithItsExitCodeAndOutput() throws Exception {
    // an iptables batch handed over as an argument: the server allows a 4 KB request line
    StringBuilder batch = new StringBuilder("*filter\n");
    for (int i = 0; i < 200; i++) {
      batch.append("-A OPSKIT-ALLOW -s 198.18.").append(i).append(".0/24 -j ACCEPT\n");
    }
    batch.append("COMMIT\n");
    assertThat(batch.length()).isGreaterThan(8 * 1024);
    Command command =
        Command.of(
            "sh", "-c", "printf %s \"$1\" | iptables-restore --noflush", "sh", batch.toString());
    fixture.onExec(
        request -> {
          execs.add(request);
          return PodExecReply.of(2, "applied\n", "iptables-restore: line 3 failed\n");
        });

    ExecResult result = executor().execute(command);

    assertThat(result.exitCode()).hasValue(2);
    assertThat(result.stdoutUtf8()).isEqualTo("applied\n");
    assertThat(result.stderrUtf8()).isEqualTo("iptables-restore: line 3 failed\n");
    assertThat(execs)
        .singleElement()
        .satisfies(exec -> assertThat(exec.command()).endsWith(batch.toString()));
    assertConstantExecRequest();
    assertThat(fixture.count("/api/v1/namespaces/ops/pods")).isZero();
  }

  private void assertConstantExecRequest() {
    assertThat(fixture.requests("GET", ".*/exec"))
        .singleElement()
        .satisfies(
            call ->
                assertThat(call.query().get("command"))
                    .isEqualTo(AgentCommand.exec(AgentCommand.CHROOT_HOST)));
  }

  @Test
  void zeroExitIsSuccess() throws Exception {
    fixture.onExec(request -> PodExecReply.of(0, "6.1.0\n", ""));
    ExecResult result = executor().execute("uname", "-r");
    assertThat(result.isSuccess()).isTrue();
    assertThat(result.stdoutUtf8()).isEqualTo("6.1.0\n");
  }

  @Test
  void podIsDeletedWhenExecFails() {
    // No exec handler: the API answers the exec with an error.
    assertThatThrownBy(() -> executor().execute("true")).isInstanceOf(IOException.class);
    assertThat(fixture.count("/api/v1/namespaces/ops/pods")).isZero();
    assertThat(fixture.requests("DELETE", "/api/v1/namespaces/ops/pods/opskit-node-exec-.*"))
        .hasSize(1);
  }

  @Test
  void podIsDeletedWhenItNeverRuns() {
    fixture.beforeRequest(call -> {});
    NodeExecutor impatient =
        NodeExecutor.builder(fixture.apiClient(), "worker-1")
            .namespace("ops")
            .pollInterval(Duration.ofMillis(10))
            .startTimeout(Duration.ofMillis(200))
            .build();
    assertThatThrownBy(() -> impatient.execute("true"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("not running on node worker-1");
    assertThat(fixture.count("/api/v1/namespaces/ops/pods")).isZero();
  }

  @Test
  void failedCleanupIsAttachedToTheOriginalError() {
    fixture.inject(
        RequestFault.on("DELETE", "/api/v1/namespaces/ops/pods/.*").status(500).always());
    assertThatThrownBy(() -> executor().execute("true"))
        .isInstanceOf(IOException.class)
        .satisfies(e -> assertThat(e.getSuppressed()).hasSize(1));
  }

  @Test
  void rejectsWhatItCannotCarry() {
    NodeExecutor executor = executor();
    assertThatThrownBy(
            () -> executor.execute(Command.builder().addArgv("env").putEnv("A", "1").build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("env");
    assertThatThrownBy(() -> NodeExecutor.builder(fixture.apiClient(), "Bad_Node"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Bad_Node");
    assertThat(fixture.requests("POST", ".*")).isEmpty();
  }
}
