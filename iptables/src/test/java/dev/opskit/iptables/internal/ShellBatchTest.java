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

  private void program(String name, String body) throws Exception {
    Path file = bin.resolve(name);
    Files.writeString(file, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private List<ExecResult> run(ShellBatch batch, Map<String, String> env) throws Exception {
    Command command =
        Command.builder()
            .from(batch.command())
            .putAllEnv(env)
            .putEnv("PATH", bin + ":/usr/bin:/bin")
            .build();
    return batch.results(LocalExecutor.create().execute(command));
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
        ShellBatch.create()
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
  void unsetSshConnectionExitsOneAsPrintenvDoes() throws Exception {
    ShellBatch batch = ShellBatch.create().read(ShellBatch.SSH_CONNECTION);
    // an explicit empty value is still set; only the unset case exits 1
    assertThat(run(batch, Map.of("SSH_CONNECTION", "")).get(0).exitCode()).hasValue(0);
    List<String> argv = new ArrayList<>(List.of("env", "-u", "SSH_CONNECTION"));
    argv.addAll(batch.command().argv());
    List<ExecResult> results = batch.results(LocalExecutor.create().execute(Command.of(argv)));
    assertThat(results.get(0).exitCode()).hasValue(1);
    assertThat(results.get(0).stdoutUtf8()).isEmpty();
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
        ShellBatch.create()
            .write(List.of("restore-a", bin.resolve("a").toString()), small)
            .write(List.of("restore-b", bin.resolve("b").toString()), big)
            .write(List.of("restore-c", bin.resolve("c").toString()), "")
            .read(List.of("reader"));
    assertThat(stdin(batch.command())).isEqualTo(big);

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
        ShellBatch.create()
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
  void aSecondLargeInputNeedsABatchOfItsOwn() {
    String big = "x".repeat(ShellBatch.EMBEDDED_LIMIT);
    ShellBatch batch = ShellBatch.create().write(List.of("a"), big + big);
    assertThat(batch.canWrite("y".repeat(ShellBatch.EMBEDDED_LIMIT))).isTrue();
    batch.write(List.of("b"), big);
    assertThat(batch.canWrite("z")).isFalse();
    assertThatThrownBy(() -> batch.write(List.of("c"), "z"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("[c]");
    // the limit counts bytes, not characters
    ShellBatch nearlyFull =
        ShellBatch.create()
            .write(List.of("a"), big + big)
            .write(List.of("b"), "x".repeat(ShellBatch.EMBEDDED_LIMIT - 1));
    assertThat(nearlyFull.canWrite("e")).isTrue();
    assertThat(nearlyFull.canWrite("é")).isFalse();
  }

  @Test
  void aBatchWithoutFramesIsAnError() {
    ShellBatch batch = ShellBatch.create().read(ShellBatch.LIST_IPSETS);
    ExecResult garbled = ExecResult.of(batch.command(), 0, "a\n", "", Duration.ZERO);
    assertThatThrownBy(() -> batch.results(garbled))
        .isInstanceOf(OpskitException.class)
        .hasMessageContaining("ipset list -n");
    ExecResult failed = ExecResult.of(batch.command(), 127, "", "sh: not found", Duration.ZERO);
    assertThatThrownBy(() -> batch.results(failed)).hasMessageContaining("127");
  }

  @Test
  void badArgvsAreRefused() {
    assertThatThrownBy(() -> ShellBatch.create().read(List.of("-x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'-x'");
    assertThatThrownBy(() -> ShellBatch.create().read(List.of("ipset", "save", "")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty word");
    assertThatThrownBy(() -> ShellBatch.create().write(List.of("a", "b", "c", "d"), ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("one to three words, was 4");
  }
}
