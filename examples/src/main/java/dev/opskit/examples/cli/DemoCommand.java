package dev.opskit.examples.cli;

import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import dev.opskit.core.ExecutionListener;
import dev.opskit.core.FakeCommandExecutor;
import dev.opskit.core.LocalExecutor;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code opskit demo}: a tour of the SDK on embedded defaults, with no root and no network. */
@picocli.CommandLine.Command(
    name = "demo",
    description = "Show what opskit does, end to end, with no cluster, no root and no network.")
final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    section(out, "core: commands are argv lists, results are typed");
    CommandExecutor local =
        LocalExecutor.create()
            .withListener(
                new ExecutionListener() {
                  @Override
                  public void finished(ExecResult result) {
                    out.printf(
                        "  ran %-40s exit=%s %d ms%n",
                        result.command().display(),
                        result.exitCode().isPresent() ? result.exitCode().getAsInt() : "-",
                        result.duration().toMillis());
                  }
                });
    ExecResult kernel = local.execute("uname", "-sr");
    out.println("  kernel: " + kernel.stdoutUtf8().strip());
    Command hostile = Command.of("printf", "%s|", "it's", "$(id)", "a b", "");
    out.println("  quoted for display: " + hostile.display());
    out.println("  printed back: " + local.execute(hostile).stdoutUtf8());
    ExecResult failed = local.execute("sh", "-c", "echo oops >&2; exit 3");
    out.println(
        "  a non-zero exit is data: exit="
            + failed.exitCode().getAsInt()
            + " stderr="
            + failed.stderrUtf8().strip());
    ExecResult slow = local.execute(Command.of("sleep", "5").withTimeout(Duration.ofMillis(200)));
    out.println("  timeout kills the process tree: timedOut=" + slow.timedOut());

    section(out, "core: a scripted executor for your own tests");
    FakeCommandExecutor fake = FakeCommandExecutor.create();
    fake.onArgv("sysctl", "-n", "fs.file-max").replyStdout("9223372036854775807\n");
    out.println(
        "  fake sysctl -n fs.file-max -> "
            + fake.execute("sysctl", "-n", "fs.file-max").stdoutUtf8().strip());
    out.println("  recorded: " + fake.argvs());
    out.flush();
    return 0;
  }

  static void section(PrintWriter out, String title) {
    out.println();
    out.println("== " + title);
  }
}
