package dev.opskit.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.TestNetworks;
import org.junit.jupiter.api.Test;

@Privileged(tools = {"ip"})
class NetnsExecutorIT {
  private final LocalExecutor local = LocalExecutor.create();

  @Test
  void namespaceSeesOnlyItsOwnInterfaces() throws Exception {
    try (TestNetworks net = TestNetworks.create()) {
      String a = net.namespace("a");
      String b = net.namespace("b");
      net.link(a, "198.18.10.1/30", b, "198.18.10.2/30");

      String links = local.inNetworkNamespace(a).execute("ip", "-o", "link").stdoutUtf8();
      String hostLinks = local.execute("ip", "-o", "link").stdoutUtf8();

      assertThat(links.lines()).hasSize(2).anyMatch(l -> l.contains(": lo:"));
      assertThat(hostLinks).doesNotContain(links.lines().skip(1).findFirst().orElseThrow());
      ExecResult ping =
          local.inNetworkNamespace(a).execute("ping", "-c", "1", "-W", "2", "198.18.10.2");
      assertThat(ping.exitCode()).hasValue(0);
    }
  }

  @Test
  void commandsRunThroughTheDecoratorKeepStdinAndExitCodes() throws Exception {
    try (TestNetworks net = TestNetworks.create()) {
      CommandExecutor inside = local.inNetworkNamespace(net.namespace("io"));
      assertThat(inside.execute(Command.of("cat").withStdin("x\ny")).stdoutUtf8())
          .isEqualTo("x\ny");
      ExecResult failed = inside.execute("sh", "-c", "exit 7");
      assertThat(failed.exitCode()).hasValue(7);
      assertThat(failed.command().argv()).containsExactly("sh", "-c", "exit 7");
    }
  }

  @Test
  void streamsStdinAndOutputThroughTheNamespace() throws Exception {
    try (TestNetworks net = TestNetworks.create()) {
      CommandExecutor inside = local.inNetworkNamespace(net.namespace("st"));
      byte[] input = new byte[4 * 1024 * 1024];
      new java.util.Random(2).nextBytes(input);
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
      ExecResult result =
          inside.execute(
              Command.of("sh", "-c", "cat; ip -o link show | grep -c . >&2"),
              new java.io.ByteArrayInputStream(input),
              out,
              err);
      assertThat(result.exitCode()).hasValue(0);
      assertThat(out.toByteArray()).isEqualTo(input);
      assertThat(err.toString(java.nio.charset.StandardCharsets.UTF_8).strip()).isEqualTo("1");
      assertThat(result.command().argv()).startsWith("sh");
    }
  }

  @Test
  void namespacesAreDeletedAlsoWhenTheTestFails() throws Exception {
    String[] created = new String[1];
    assertThatThrownBy(
            () -> {
              try (TestNetworks net = TestNetworks.create()) {
                created[0] = net.namespace("fail");
                throw new IllegalStateException("test body failed");
              }
            })
        .hasMessage("test body failed");
    assertThat(local.execute("ip", "netns", "list").stdoutUtf8()).doesNotContain(created[0]);
  }

  @Test
  void missingNamespaceIsANonZeroExitNotAnException() throws Exception {
    ExecResult result = local.inNetworkNamespace("opskit-test-absent-x1").execute("true");
    assertThat(result.isSuccess()).isFalse();
    assertThat(result.stderrUtf8()).contains("opskit-test-absent-x1");
  }
}
