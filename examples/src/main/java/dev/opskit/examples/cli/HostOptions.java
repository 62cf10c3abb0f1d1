package dev.opskit.examples.cli;

import dev.opskit.core.CommandExecutor;
import dev.opskit.core.LocalExecutor;
import dev.opskit.core.SshExecutor;
import dev.opskit.core.SshTarget;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where host commands run: {@code --target local|ssh://user@host[:port]} and its SSH options. */
final class HostOptions {
  @Option(
      names = "--target",
      defaultValue = "local",
      paramLabel = "TARGET",
      description = "local (default) or ssh://user@host[:port].")
  String target;

  @Option(names = "--identity", paramLabel = "FILE", description = "SSH private key file.")
  Path identity;

  @Option(
      names = "--known-hosts",
      paramLabel = "FILE",
      description = "known_hosts file for strict host-key checking (default ~/.ssh/known_hosts).")
  Path knownHosts;

  @Option(names = "--sudo", description = "Run host commands through sudo -n.")
  boolean sudo;

  @Option(
      names = "--netns",
      paramLabel = "NAME",
      description = "Run host commands inside this network namespace (ip netns exec).")
  String netns;

  /** Opens the target; the caller closes the session. */
  Session open() {
    if ("local".equals(target)) {
      return new Session(decorate(LocalExecutor.create()), null);
    }
    SshExecutor.Builder builder = SshExecutor.builder(SshTarget.parse(target));
    if (identity != null) {
      builder.identityFile(identity);
    }
    if (knownHosts != null) {
      builder.knownHosts(knownHosts);
    }
    SshExecutor ssh = builder.build();
    return new Session(decorate(ssh), ssh);
  }

  private CommandExecutor decorate(CommandExecutor executor) {
    CommandExecutor decorated = netns == null ? executor : executor.inNetworkNamespace(netns);
    return sudo ? decorated.withSudo() : decorated;
  }

  /** An open target: its executor, and the connection to close, if any. */
  static final class Session implements AutoCloseable {
    final CommandExecutor executor;
    private final SshExecutor resource;

    Session(CommandExecutor executor, SshExecutor resource) {
      this.executor = executor;
      this.resource = resource;
    }

    @Override
    public void close() {
      if (resource != null) {
        resource.close();
      }
    }
  }
}
