package dev.opskit.examples.cli;

import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import dev.opskit.core.test.TestNetworks;
import java.util.Arrays;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A fresh network namespace for each test of the {@code iptables} command line, created before the
 * test and deleted after it (also when it fails), with the calls those tests share. Register it as
 * a field:
 *
 * <pre>{@code
 * @RegisterExtension final CliNamespace node = new CliNamespace("cli");
 * }</pre>
 */
final class CliNamespace implements BeforeEachCallback, AfterEachCallback {
  private final String label;
  private TestNetworks net;
  private String name;

  /** A namespace whose random name contains {@code label}. */
  CliNamespace(String label) {
    this.label = label;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    net = TestNetworks.create();
    name = net.namespace(label);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    net.close();
  }

  /** The namespace's name, as {@code --netns} takes it. */
  String name() {
    return name;
  }

  /** An executor running commands inside the namespace. */
  CommandExecutor executor() {
    return net.executor(name);
  }

  /** Runs {@code argv} inside the namespace and requires success. */
  ExecResult exec(String... argv) {
    return net.exec(name, argv);
  }

  /** What {@code iptables-save} prints inside the namespace. */
  String save() {
    return exec("iptables-save").stdoutUtf8();
  }

  /**
   * Runs {@code opskit iptables SUBCOMMAND --netns NAME ARGS…} in-process, where {@code
   * subcommandAndArgs} is the subcommand followed by its other arguments.
   */
  CliRun iptables(String... subcommandAndArgs) {
    String[] argv = new String[subcommandAndArgs.length + 3];
    argv[0] = "iptables";
    argv[1] = subcommandAndArgs[0];
    argv[2] = "--netns";
    argv[3] = name;
    System.arraycopy(subcommandAndArgs, 1, argv, 4, subcommandAndArgs.length - 1);
    return CliRun.of(argv);
  }

  /** {@code args} followed by {@code more}. */
  static String[] plus(String[] args, String... more) {
    String[] all = Arrays.copyOf(args, args.length + more.length);
    System.arraycopy(more, 0, all, args.length, more.length);
    return all;
  }
}
