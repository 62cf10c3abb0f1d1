package dev.opskit.iptables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.core.CommandExecutor;
import dev.opskit.core.test.Privileged;
import dev.opskit.core.test.TestNetworks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the client mid-apply, again and again, and checks that the host never keeps a state that
 * mixes two allowlists: IPv4 of one and IPv6 of the other. The client is a JVM of its own applying
 * an allowlist to a namespace; the test kills it (and, in one mode, the shell running its batch)
 * once the apply's journal appears on the host, after a random delay.
 *
 * <p>Rules shown: a batch whose input has arrived survives the death of its client and finishes by
 * itself; a batch killed between two writes leaves a journal, and the next call on the host (here:
 * {@code observe}) finishes it, so that both families hold the same allowlist again.
 */
@Privileged(tools = {"ip", "iptables", "ip6tables", "ipset", "flock"})
class IptablesCrashIT {
  private static final int ROUNDS = 5;

  @TempDir Path state;
  private TestNetworks net;
  private String node;
  private IptablesApplier applier;

  @BeforeEach
  void createNode() {
    net = TestNetworks.create();
    node = net.namespace("crash");
    CommandExecutor executor = net.executor(node);
    applier = IptablesApplier.builder(executor).stateDirectory(state.toString()).build();
  }

  @AfterEach
  void deleteNode() {
    net.close();
  }

  @Test
  void aKilledClientJvmLeavesTheBatchToFinishByItself() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      int from = round % 2;
      int to = 1 - from;
      applier.apply(ApplyInAnotherJvm.allowlist(from));
      Process client = startClient(to);
      ProcessHandle shell = awaitBatch(client);
      Thread.sleep(ThreadLocalRandom.current().nextInt(40));
      client.destroyForcibly().waitFor();
      // the batch's shell goes on without its client and ends on its own
      assertThat(shell.onExit().get(60, TimeUnit.SECONDS).isAlive()).isFalse();

      assertThat(journal()).as("round %d: journal left", round).isEmpty();
      assertThat(holds(to)).as("round %d: both families hold the new allowlist", round).isTrue();
    }
  }

  @Test
  void aBatchKilledBetweenWritesIsFinishedByTheNextCall() throws Exception {
    int interrupted = 0;
    for (int round = 0; round < ROUNDS; round++) {
      int from = round % 2;
      int to = 1 - from;
      applier.apply(ApplyInAnotherJvm.allowlist(from));
      Process client = startClient(to);
      ProcessHandle shell = awaitBatch(client);
      Thread.sleep(ThreadLocalRandom.current().nextInt(60));
      client.destroyForcibly().waitFor();
      shell.destroyForcibly();
      shell.onExit().get(30, TimeUnit.SECONDS);
      if (journal().isPresent()) {
        interrupted++;
      }

      // any call recovers; observe is the lightest
      applier.observe(IpFamily.IPV4);

      assertThat(journal()).as("round %d: journal left", round).isEmpty();
      boolean finished = holds(to);
      assertThat(finished || holds(from))
          .as("round %d: both families hold one allowlist, not a mix", round)
          .isTrue();
    }
    // the kills did land between writes (else this test proved nothing about recovery)
    assertThat(interrupted).isPositive();
  }

  /**
   * The kernel hands a deleted namespace's inode number, the key of its journal, to a namespace
   * created later. A journal left in the first must not be acted on in the second.
   */
  @Test
  void aJournalLeftByADeletedNamespaceIsNotActedOnInTheNextWithItsKey() throws Exception {
    NodePortAllowlist audited =
        NodePortAllowlist.builder()
            .name("audited")
            .addPorts(PortRange.of(30001))
            .addAllowedCidrs("198.18.0.0/24", "2001:db8::/64")
            .useIpset(true)
            .build();
    // a live set of another type: the swap fails, and so does the rollback's, leaving the journal
    net.exec(node, "ipset", "create", "opskit-audited-v4", "hash:ip");
    assertThatThrownBy(() -> applier.apply(audited)).hasMessageContaining("rollback failed too");
    Path left = journalFile(node);
    assertThat(left).isNotEmptyFile();

    String next = net.namespace("next");
    Files.move(left, journalFile(next));
    IptablesApplier nextApplier =
        IptablesApplier.builder(net.executor(next)).stateDirectory(state.toString()).build();
    IptablesApplyResult result = nextApplier.apply(ApplyInAnotherJvm.allowlist(0));

    assertThat(result.recovery())
        .hasValueSatisfying(r -> assertThat(r).startsWith("dropped the journal"));
    assertThat(net.exec(next, "ipset", "list", "-n").stdoutUtf8()).isBlank();
    assertThat(net.exec(next, "iptables-save").stdoutUtf8()).doesNotContain("audited");
    assertThat(journal()).isEmpty();
  }

  /** The journal file of the namespace {@code name}: keyed by its inode number. */
  private Path journalFile(String name) {
    String link = net.exec(name, "readlink", "/proc/self/ns/net").stdoutUtf8().strip();
    String inode = link.substring(link.indexOf('[') + 1, link.indexOf(']'));
    return state.resolve("iptables-" + inode + ".journal");
  }

  /** Starts a JVM that applies variant {@code variant} to the node. */
  private Process startClient(int variant) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(
            java,
            "-cp",
            System.getProperty("java.class.path"),
            ApplyInAnotherJvm.class.getName(),
            node,
            state.toString(),
            Integer.toString(variant))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
  }

  /**
   * Waits until the client's write batch has put its journal on the host, then returns the shell
   * running that batch (a process the test started, through the client).
   */
  private ProcessHandle awaitBatch(Process client) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (journal().isPresent()) {
        Optional<ProcessHandle> shell =
            client
                .descendants()
                .filter(p -> p.info().arguments().map(a -> a.length > 6).orElse(false))
                .filter(
                    p ->
                        p.info()
                            .arguments()
                            .map(a -> List.of(a).contains(state.toString()))
                            .orElse(false))
                .findFirst();
        if (shell.isPresent()) {
          return shell.get();
        }
      }
      assertThat(client.isAlive()).as("client ended before its batch was seen").isTrue();
      Thread.sleep(2);
    }
    throw new AssertionError("no write batch seen within 60 s");
  }

  /** The journal on the host, when it holds one. */
  private Optional<String> journal() throws Exception {
    try (Stream<Path> files = Files.list(state)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".journal")).toList()) {
        if (Files.size(file) > 0) {
          return Optional.of(Files.readString(file));
        }
      }
    }
    return Optional.empty();
  }

  /** True when both families hold exactly variant {@code variant} of the allowlist. */
  private boolean holds(int variant) {
    NodePortAllowlist list = ApplyInAnotherJvm.allowlist(variant);
    for (IpFamily family : IpFamily.values()) {
      String saved = net.exec(node, family.command() + "-save").stdoutUtf8();
      IptablesRuleSet observed = IptablesRuleSet.parse(family, saved);
      if (!IptablesPlan.of(observed, list.ruleSet(family)).isEmpty()) {
        return false;
      }
    }
    return true;
  }
}
