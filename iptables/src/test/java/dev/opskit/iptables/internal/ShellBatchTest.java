package dev.opskit.iptables.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import dev.opskit.core.LocalExecutor;
import dev.opskit.core.OpskitException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the batch script in a real {@code sh} against stand-in programs on the PATH. */
class ShellBatchTest {
  @TempDir Path bin;
  @TempDir Path state;

  private ShellBatch batch() {
    return ShellBatch.create(state.toString(), Duration.ofSeconds(5));
  }

  /** The host files of this network namespace in the state directory, without the suffix. */
  private Path files() throws Exception {
    String ns = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
    return state.resolve("iptables-" + ns.substring(ns.indexOf('[') + 1, ns.indexOf(']')));
  }

  private Path file(String suffix) throws Exception {
    return Path.of(files() + suffix);
  }

  private void program(String name, String body) throws Exception {
    Path file = bin.resolve(name);
    Files.writeString(file, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private List<ExecResult> run(ShellBatch batch, Map<String, String> env) throws Exception {
    return outcome(batch, env).steps();
  }

  private ShellBatch.Outcome outcome(ShellBatch batch, Map<String, String> env) throws Exception {
    return batch.results(LocalExecutor.create().execute(withPath(batch.command(), env)));
  }

  private Command withPath(Command command, Map<String, String> env) {
    return Command.builder()
        .from(command)
        .putAllEnv(env)
        .putEnv("PATH", bin + ":/usr/bin:/bin")
        .build();
  }

  private static String stdin(Command command) {
    return new String(command.stdin(), StandardCharsets.UTF_8);
  }

  private static ExecResult step(List<ExecResult> results, String... argv) {
    return results.stream()
        .filter(r -> r.command().argv().equals(List.of(argv)))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void splitsEachReadsOutputErrorAndExitStatus() throws Exception {
    program("xtables-save", "printf '*raw\\nCOMMIT\\n'; echo '# warning' >&2");
    program("xtables", "echo 'xtables v1.8.9 (nf_tables)'");
    program("noline-save", "printf 'no newline at the end'; exit 3");
    program(
        "ipset",
        String.join(
            "\n",
            "case \"$1\" in",
            "  list) printf 'a\\nodd;$(touch x) name\\n' ;;",
            "  save) [ \"$2\" = a ] || { echo \"no set $2\" >&2; exit 1; }; echo 'add a 1.2.3.4' ;;",
            "esac"));
    String odd = "odd;$(touch " + bin.resolve("pwned") + ") name";
    ShellBatch batch =
        batch()
            .read(ShellBatch.SSH_CONNECTION)
            .read(List.of("xtables", "--version"))
            .read(ShellBatch.LIST_IPSETS)
            .read(List.of("xtables-save"))
            .read(List.of("noline-save"))
            .read(List.of("ipset", "save", "a"))
            .read(List.of("ipset", "save", odd));
    List<ExecResult> results =
        run(batch, Map.of("SSH_CONNECTION", "198.18.9.9 51234 198.18.0.1 22"));

    assertThat(results)
        .extracting(r -> r.command().argv())
        .containsExactlyElementsOf(batch.steps());
    assertThat(results.get(0).stdoutUtf8()).isEqualTo("198.18.9.9 51234 198.18.0.1 22\n");
    assertThat(step(results, "xtables", "--version").stdoutUtf8()).contains("nf_tables");
    assertThat(step(results, "ipset", "list", "-n").stdoutUtf8())
        .isEqualTo("a\nodd;$(touch x) name\n");
    ExecResult save = step(results, "xtables-save");
    assertThat(save.stdoutUtf8()).isEqualTo("*raw\nCOMMIT\n");
    assertThat(save.stderrUtf8()).isEqualTo("# warning\n");
    assertThat(save.isSuccess()).isTrue();
    ExecResult noline = step(results, "noline-save");
    assertThat(noline.stdoutUtf8()).isEqualTo("no newline at the end");
    assertThat(noline.exitCode()).hasValue(3);
    assertThat(step(results, "ipset", "save", "a").stdoutUtf8()).isEqualTo("add a 1.2.3.4\n");
    ExecResult missing = step(results, "ipset", "save", odd);
    assertThat(missing.exitCode()).hasValue(1);
    assertThat(missing.stderrUtf8()).isEqualTo("no set " + odd + "\n");
    // arguments are data, never code
    assertThat(bin.resolve("pwned")).doesNotExist();
  }

  @Test
  void unsetSshConnectionExitsOneAsPrintenvDoesWithoutStartingIt() throws Exception {
    // a printenv on the PATH that leaves a trace: the script must answer with its own builtins
    Path ran = bin.resolve("printenv-ran");
    program("printenv", "touch '" + ran + "'; echo wrong");
    program("xtables", "echo \"$*\"");
    ShellBatch batch =
        batch().read(ShellBatch.SSH_CONNECTION).read(List.of("xtables", "-w", "-t", "raw", "-S"));
    // an explicit empty value is still set; only the unset case exits 1
    List<ExecResult> set = run(batch, Map.of("SSH_CONNECTION", ""));
    assertThat(set.get(0).exitCode()).hasValue(0);
    assertThat(set.get(0).stdoutUtf8()).isEqualTo("\n");
    List<String> argv = new ArrayList<>(List.of("env", "-u", "SSH_CONNECTION"));
    argv.addAll(withPath(batch.command(), Map.of()).argv());
    Command unset = Command.builder().from(withPath(batch.command(), Map.of())).argv(argv).build();
    List<ExecResult> results = batch.results(LocalExecutor.create().execute(unset)).steps();
    assertThat(results.get(0).exitCode()).hasValue(1);
    assertThat(results.get(0).stdoutUtf8()).isEmpty();
    // a read that fails does not end the batch; a five-word step gets all its words
    assertThat(results.get(1).stdoutUtf8()).isEqualTo("-w -t raw -S\n");
    assertThat(ran).doesNotExist();
  }

  @Test
  void eachWriteReadsExactlyItsOwnInputThenTheReadsRun() throws Exception {
    // each stand-in records what it read on stdin, so the test sees which input reached which
    program("restore-a", "cat > \"$1\"");
    program("restore-b", "cat > \"$1\"");
    program("restore-c", "cat > \"$1\"");
    program("reader", "cat; echo read-ran");
    String big = "x".repeat(ShellBatch.EMBEDDED_LIMIT + 1) + "\n";
    String small = "*raw\n-A OPSKIT-x -m comment --comment \"it's $(x) `y`\" -j DROP\nCOMMIT\n";
    ShellBatch batch =
        batch()
            .write(List.of("restore-a", bin.resolve("a").toString()), small)
            .write(List.of("restore-b", bin.resolve("b").toString()), big)
            .write(List.of("restore-c", bin.resolve("c").toString()), "")
            .read(List.of("reader"));
    // the large input, then the marker that proves it arrived whole
    assertThat(stdin(batch.command())).startsWith(big).endsWith("--\n");

    List<ExecResult> results = run(batch, Map.of());

    assertThat(results).hasSize(4).allMatch(ExecResult::isSuccess);
    assertThat(Files.readString(bin.resolve("a"))).isEqualTo(small);
    assertThat(Files.readString(bin.resolve("b"))).isEqualTo(big);
    assertThat(Files.readString(bin.resolve("c"))).isEmpty();
    // reads get no stdin
    assertThat(results.get(3).stdoutUtf8()).isEqualTo("read-ran\n");
    assertThat(batch.isWrite(0)).isTrue();
    assertThat(batch.isWrite(3)).isFalse();
    assertThat(stdin(results.get(1).command())).isEqualTo(big);
  }

  @Test
  void aFailingWriteEndsTheBatchButAFailingReadDoesNot() throws Exception {
    program("fails", "cat >/dev/null; echo 'line 2: bad rule' >&2; exit 4");
    program("never", "touch \"$1\"");
    ShellBatch batch =
        batch()
            .read(List.of("fails"))
            .write(List.of("fails"), "input\n")
            .write(List.of("never", bin.resolve("ran").toString()), "")
            .read(List.of("never", bin.resolve("read").toString()));

    List<ExecResult> results = run(batch, Map.of());

    assertThat(results).hasSize(2);
    assertThat(results.get(0).exitCode()).hasValue(4);
    assertThat(results.get(1).exitCode()).hasValue(4);
    assertThat(results.get(1).stderrUtf8()).isEqualTo("line 2: bad rule\n");
    assertThat(bin.resolve("ran")).doesNotExist();
    assertThat(bin.resolve("read")).doesNotExist();
  }

  @Test
  void severalLargeInputsTravelTogetherOnStdinAndAreStagedBeforeTheFirstWrite() throws Exception {
    program("restore", "cat > \"$1\"");
    String first = "a".repeat(ShellBatch.EMBEDDED_LIMIT + 10) + "\n";
    String second = "é".repeat(ShellBatch.EMBEDDED_LIMIT) + "\n";
    ShellBatch batch =
        batch()
            .expectGeneration(0)
            .write(List.of("restore", bin.resolve("1").toString()), first)
            .write(List.of("restore", bin.resolve("2").toString()), second);

    assertThat(run(batch, Map.of())).hasSize(2).allMatch(ExecResult::isSuccess);
    assertThat(Files.readString(bin.resolve("1"))).isEqualTo(first);
    assertThat(Files.readString(bin.resolve("2"))).isEqualTo(second);
    // the staged copies are emptied afterwards
    assertThat(Files.size(file(".in0"))).isZero();
    assertThat(Files.size(file(".in1"))).isZero();
  }

  @Test
  void aLoneLargeWriteReadsStdinDirectlyWithoutAStagedCopy() throws Exception {
    program("restore", "cat > \"$1\"");
    String big = "b".repeat(ShellBatch.EMBEDDED_LIMIT * 2) + "\n";
    ShellBatch batch =
        batch()
            .expectGeneration(0)
            .write(List.of("restore", bin.resolve("big").toString()), big)
            .read(List.of("true"));
    assertThat(stdin(batch.command())).isEqualTo(big);

    assertThat(run(batch, Map.of())).hasSize(2).allMatch(ExecResult::isSuccess);
    assertThat(Files.readString(bin.resolve("big"))).isEqualTo(big);
    assertThat(file(".in0")).doesNotExist();
  }

  @Test
  void aStdinCutShortRunsNoWrite() throws Exception {
    program("restore", "cat > \"$1\"");
    ShellBatch batch =
        batch()
            .expectGeneration(0)
            .write(List.of("restore", bin.resolve("small").toString()), "small\n")
            .write(
                List.of("restore", bin.resolve("big").toString()),
                "x".repeat(ShellBatch.EMBEDDED_LIMIT * 2));
    Command whole = batch.command();
    byte[] cut = java.util.Arrays.copyOf(whole.stdin(), whole.stdin().length - 100);
    ExecResult ran = LocalExecutor.create().execute(withPath(whole.withStdin(cut), Map.of()));

    assertThatThrownBy(() -> batch.results(ran))
        .isInstanceOfSatisfying(
            ShellBatch.RefusedException.class,
            e -> assertThat(e.refusal()).isEqualTo(ShellBatch.Refusal.INPUT));
    assertThat(bin.resolve("small")).doesNotExist();
    assertThat(bin.resolve("big")).doesNotExist();
  }

  @Test
  void writeBatchesBumpTheGenerationAndAStaleOneRunsNothing() throws Exception {
    program("w", "cat > \"$1\"");
    assertThat(outcome(batch().read(List.of("true")), Map.of()).generation()).isZero();
    ShellBatch.Outcome wrote =
        outcome(
            batch().expectGeneration(0).write(List.of("w", bin.resolve("one").toString()), "1"),
            Map.of());
    assertThat(wrote.generation()).isEqualTo(1);
    assertThat(outcome(batch().read(List.of("true")), Map.of()).generation()).isEqualTo(1);

    ShellBatch stale =
        batch().expectGeneration(0).write(List.of("w", bin.resolve("two").toString()), "2");
    assertThatThrownBy(() -> outcome(stale, Map.of()))
        .isInstanceOfSatisfying(
            ShellBatch.RefusedException.class,
            e -> {
              assertThat(e.refusal()).isEqualTo(ShellBatch.Refusal.STALE);
              assertThat(e.detail()).isEqualTo("1");
            });
    assertThat(bin.resolve("two")).doesNotExist();
  }

  @Test
  void aHeldLockMakesTheBatchWaitThenGiveUpRunningNothing() throws Exception {
    program("w", "touch \"$1\"");
    outcome(batch().read(List.of("true")), Map.of()); // creates the lock file
    Process holder =
        new ProcessBuilder("flock", "-o", file(".lock").toString(), "sleep", "10")
            .redirectErrorStream(true)
            .start();
    String lockFile = file(".lock").toString();
    try {
      Thread.sleep(300);
      ShellBatch batch =
          ShellBatch.create(state.toString(), Duration.ofMillis(300))
              .expectGeneration(0)
              .write(List.of("w", bin.resolve("x").toString()), "");
      assertThatThrownBy(() -> outcome(batch, Map.of()))
          .isInstanceOfSatisfying(
              ShellBatch.RefusedException.class,
              e -> {
                assertThat(e.refusal()).isEqualTo(ShellBatch.Refusal.LOCKED);
                assertThat(e.detail()).isEqualTo(lockFile);
              });
      assertThat(bin.resolve("x")).doesNotExist();
    } finally {
      holder.destroyForcibly().waitFor();
    }
    // released: the next batch gets the lock
    assertThat(outcome(batch().read(List.of("true")), Map.of()).steps()).hasSize(1);
  }

  @Test
  void theJournalStaysWhileWritesRunAndAfterAFailureAndAReadHandsItBack() throws Exception {
    Path journal = file(".journal");
    program("copy-journal", "cat \"$1\" > \"$2\"");
    program("fails", "exit 1");
    ShellBatch ok =
        batch()
            .expectGeneration(0)
            .journal("opskit journal text\n")
            .write(List.of("copy-journal", journal.toString(), bin.resolve("seen").toString()), "");
    assertThat(outcome(ok, Map.of()).steps()).allMatch(ExecResult::isSuccess);
    // present during the write, cleared after success
    assertThat(Files.readString(bin.resolve("seen"))).isEqualTo("opskit journal text\n");
    assertThat(Files.size(journal)).isZero();
    assertThat(outcome(batch().read(List.of("true")), Map.of()).journal()).isEmpty();

    ShellBatch failing =
        batch()
            .expectGeneration(1)
            .journal("interrupted\n")
            .write(List.of("true"), "")
            .write(List.of("fails"), "");
    assertThat(outcome(failing, Map.of()).steps()).hasSize(2);
    assertThat(Files.readString(journal)).isEqualTo("interrupted\n");
    ShellBatch.Outcome read = outcome(batch().read(List.of("true")), Map.of());
    assertThat(read.journal()).hasValue("interrupted\n");
    assertThat(read.steps()).hasSize(1).allMatch(ExecResult::isSuccess);

    // the next write batch that succeeds clears it
    outcome(batch().expectGeneration(2).write(List.of("true"), ""), Map.of());
    assertThat(outcome(batch().read(List.of("true")), Map.of()).journal()).isEmpty();
  }

  @Test
  void aClientThatGoesAwayDoesNotStopTheBatchBetweenWrites() throws Exception {
    program("slow", "sleep 1; cat > \"$1\"");
    program("after", "cat > \"$1\"");
    ShellBatch batch =
        batch()
            .expectGeneration(0)
            .journal("j\n")
            .write(List.of("slow", bin.resolve("first").toString()), "1")
            .write(List.of("after", bin.resolve("second").toString()), "2");
    Command command = withPath(batch.command(), Map.of());
    ProcessBuilder builder = new ProcessBuilder(command.argv());
    builder.environment().putAll(command.env());
    Process shell = builder.start();
    shell.getOutputStream().write(command.stdin());
    shell.getOutputStream().close();
    Thread.sleep(300);
    // the client dies: its pipes close, and a terminal would send SIGHUP
    shell.getInputStream().close();
    shell.getErrorStream().close();
    new ProcessBuilder("kill", "-HUP", Long.toString(shell.pid())).start().waitFor();

    assertThat(shell.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(Files.readString(bin.resolve("first"))).isEqualTo("1");
    assertThat(Files.readString(bin.resolve("second"))).isEqualTo("2");
    assertThat(Files.size(file(".journal"))).isZero();
  }

  @Test
  void aBatchWithoutFramesIsAnError() {
    ShellBatch batch = batch().read(ShellBatch.LIST_IPSETS);
    ExecResult garbled = ExecResult.of(batch.command(), 0, "a\n", "", Duration.ZERO);
    assertThatThrownBy(() -> batch.results(garbled))
        .isInstanceOf(OpskitException.class)
        .hasMessageContaining("no header");
    String marker = batch.command().argv().get(4);
    ExecResult unframed =
        ExecResult.of(batch.command(), 0, marker + " 0 0\na\n", "", Duration.ZERO);
    assertThatThrownBy(() -> batch.results(unframed))
        .isInstanceOf(OpskitException.class)
        .hasMessageContaining("ipset list -n");
    ExecResult failed = ExecResult.of(batch.command(), 127, "", "sh: not found", Duration.ZERO);
    assertThatThrownBy(() -> batch.results(failed)).hasMessageContaining("127");
  }

  @Test
  void badArgvsAreRefused() {
    assertThatThrownBy(() -> batch().read(List.of("-x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'-x'");
    assertThatThrownBy(() -> batch().read(List.of("ipset", "save", "")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty word");
    assertThatThrownBy(() -> batch().write(List.of("a", "b", "c", "d", "e", "f"), ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("one to 5 words, was 6");
  }

  @Test
  void decodeTakesABatchApartAsTheScriptDoesAndItsFramedReplyParsesBack() {
    String large = "x".repeat(ShellBatch.EMBEDDED_LIMIT + 1);
    ShellBatch batch =
        batch()
            .namespaceKey("4026531840")
            .expectGeneration(7)
            .journal("journal text")
            .read(List.of("iptables-save"))
            .write(List.of("ipset", "restore"), "small\n")
            .write(List.of("iptables-restore", "--noflush", "-w"), large);
    Command command = batch.command();

    ShellBatchDecoder.Decoded decoded = ShellBatchDecoder.decode(command).orElseThrow();

    assertThat(decoded.stateDirectory()).isEqualTo(state.toString());
    assertThat(decoded.lockWait()).isEqualTo(Duration.ofSeconds(5));
    assertThat(decoded.expectedGeneration()).isEqualTo(7);
    assertThat(decoded.journal()).hasValue("journal text");
    assertThat(decoded.namespaceKey()).isEqualTo("4026531840");
    assertThat(decoded.steps())
        .containsExactly(
            new ShellBatchDecoder.DecodedStep(List.of("iptables-save"), java.util.Optional.empty()),
            new ShellBatchDecoder.DecodedStep(
                List.of("ipset", "restore"), java.util.Optional.of("small\n")),
            new ShellBatchDecoder.DecodedStep(
                List.of("iptables-restore", "--noflush", "-w"), java.util.Optional.of(large)));
    assertThat(ShellBatchDecoder.decode(Command.of("sh", "-c", "true"))).isEmpty();

    ExecResult reply =
        decoded.ran(
            command,
            8,
            java.util.Optional.empty(),
            "4026531840",
            List.of(
                ExecResult.of(Command.of("x"), 0, "*raw\n", "", Duration.ZERO),
                ExecResult.of(Command.of("x"), 1, "", "bad line\n", Duration.ZERO)));
    ShellBatch.Outcome outcome = batch.results(reply);
    assertThat(outcome.generation()).isEqualTo(8);
    assertThat(outcome.steps()).extracting(ExecResult::stdoutUtf8).containsExactly("*raw\n", "");
    assertThat(outcome.steps().get(1).stderrUtf8()).isEqualTo("bad line\n");
    assertThat(outcome.steps().get(1).exitCode()).hasValue(1);
    assertThatThrownBy(() -> batch.results(decoded.refused(command, ShellBatch.Refusal.STALE, "9")))
        .isInstanceOfSatisfying(
            ShellBatch.RefusedException.class,
            e -> {
              assertThat(e.refusal()).isEqualTo(ShellBatch.Refusal.STALE);
              assertThat(e.detail()).isEqualTo("9");
            });
  }
}
