package dev.opskit.iptables.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.core.Command;
import dev.opskit.core.ExecResult;
import dev.opskit.core.LocalExecutor;
import dev.opskit.core.OpskitException;
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
class ReadBatchTest {
  @TempDir Path bin;

  private void program(String name, String body) throws Exception {
    Path file = bin.resolve(name);
    Files.writeString(file, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private Map<List<String>, ExecResult> run(ReadBatch batch, Map<String, String> env)
      throws Exception {
    Command command =
        Command.builder()
            .from(batch.command())
            .putAllEnv(env)
            .putEnv("PATH", bin + ":/usr/bin:/bin")
            .build();
    return batch.results(LocalExecutor.create().execute(command));
  }

  @Test
  void splitsEachStepsOutputErrorAndExitStatus() throws Exception {
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
    ReadBatch batch =
        ReadBatch.create()
            .sshConnection()
            .version("xtables")
            .listIpsets()
            .save("xtables-save")
            .save("noline-save")
            .saveIpset("a")
            .saveIpset(odd);
    Map<List<String>, ExecResult> results =
        run(batch, Map.of("SSH_CONNECTION", "198.18.9.9 51234 198.18.0.1 22"));

    assertThat(results.keySet()).containsExactlyElementsOf(batch.steps());
    assertThat(results.get(ReadBatch.SSH_CONNECTION).stdoutUtf8())
        .isEqualTo("198.18.9.9 51234 198.18.0.1 22\n");
    assertThat(results.get(List.of("xtables", "--version")).stdoutUtf8()).contains("nf_tables");
    assertThat(results.get(ReadBatch.LIST_IPSETS).stdoutUtf8())
        .isEqualTo("a\nodd;$(touch x) name\n");
    ExecResult save = results.get(List.of("xtables-save"));
    assertThat(save.stdoutUtf8()).isEqualTo("*raw\nCOMMIT\n");
    assertThat(save.stderrUtf8()).isEqualTo("# warning\n");
    assertThat(save.isSuccess()).isTrue();
    ExecResult noline = results.get(List.of("noline-save"));
    assertThat(noline.stdoutUtf8()).isEqualTo("no newline at the end");
    assertThat(noline.exitCode()).hasValue(3);
    assertThat(noline.command().argv()).containsExactly("noline-save");
    assertThat(results.get(List.of("ipset", "save", "a")).stdoutUtf8())
        .isEqualTo("add a 1.2.3.4\n");
    ExecResult missing = results.get(List.of("ipset", "save", odd));
    assertThat(missing.exitCode()).hasValue(1);
    assertThat(missing.stderrUtf8()).isEqualTo("no set " + odd + "\n");
    // arguments are data, never code
    assertThat(bin.resolve("pwned")).doesNotExist();
  }

  @Test
  void unsetSshConnectionExitsOneAsPrintenvDoes() throws Exception {
    ReadBatch batch = ReadBatch.create().sshConnection();
    // an explicit empty value is still set; only the unset case exits 1
    Map<List<String>, ExecResult> set = run(batch, Map.of("SSH_CONNECTION", ""));
    assertThat(set.get(ReadBatch.SSH_CONNECTION).exitCode()).hasValue(0);
    List<String> argv = new ArrayList<>(List.of("env", "-u", "SSH_CONNECTION"));
    argv.addAll(batch.command().argv());
    Map<List<String>, ExecResult> results =
        batch.results(LocalExecutor.create().execute(Command.of(argv)));
    assertThat(results.get(ReadBatch.SSH_CONNECTION).exitCode()).hasValue(1);
    assertThat(results.get(ReadBatch.SSH_CONNECTION).stdoutUtf8()).isEmpty();
  }

  @Test
  void aBatchWithoutFramesIsAnError() {
    ReadBatch batch = ReadBatch.create().listIpsets();
    ExecResult garbled = ExecResult.of(batch.command(), 0, "a\n", "", Duration.ZERO);
    assertThatThrownBy(() -> batch.results(garbled))
        .isInstanceOf(OpskitException.class)
        .hasMessageContaining("ipset list -n");
    ExecResult failed = ExecResult.of(batch.command(), 127, "", "sh: not found", Duration.ZERO);
    assertThatThrownBy(() -> batch.results(failed)).hasMessageContaining("127");
  }

  @Test
  void optionLikeOrEmptyArgumentsAreRefused() {
    assertThatThrownBy(() -> ReadBatch.create().save("-x"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'-x'");
    assertThatThrownBy(() -> ReadBatch.create().saveIpset(""))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
