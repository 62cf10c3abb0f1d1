package dev.opskit.examples.cli;

import dev.opskit.core.Command;
import dev.opskit.core.CommandExecutor;
import dev.opskit.core.ExecResult;
import dev.opskit.core.LocalExecutor;
import dev.opskit.core.SshExecutor;
import dev.opskit.core.SshTarget;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Where host commands run: {@code --target local|ssh://user@host[:port]} and its SSH options. */
final class HostOptions {
  /** The keys ssh tries when no {@code -i} is given, in its order. */
  static final List<String> DEFAULT_KEYS = List.of("id_ed25519", "id_ecdsa", "id_rsa");

  private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(30);

  @Option(
      names = "--target",
      defaultValue = "local",
      paramLabel = "TARGET",
      description = "local (default) or ssh://user@host[:port].")
  String target;

  @Option(
      names = "--identity",
      paramLabel = "FILE",
      description =
          "SSH private key file (default: ~/.ssh/id_ed25519, id_ecdsa and id_rsa, those that exist,"
              + " as ssh does).")
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

  /**
   * Opens the target; the caller closes the session. Bad options (an unreadable or non-key {@code
   * --identity}, no key at all, a malformed target, a {@code --netns} that does not exist on the
   * target) throw {@link IllegalArgumentException} naming the option; a target that cannot be
   * reached throws {@link UncheckedIOException}.
   */
  Session open() {
    if ("local".equals(target)) {
      return checked(new Session(decorate(LocalExecutor.create()), null));
    }
    SshExecutor ssh = sshBuilder(SshTarget.parse(target)).build();
    return checked(new Session(decorate(ssh), ssh));
  }

  /** True unless {@code --target} names an SSH host. */
  boolean isLocal() {
    return "local".equals(target);
  }

  /**
   * A builder for an executor reaching {@code ssh} with {@code --identity} (or the default keys)
   * and {@code --known-hosts}; the same for every host of a fleet.
   */
  SshExecutor.Builder sshBuilder(SshTarget ssh) {
    SshExecutor.Builder builder = SshExecutor.builder(ssh);
    if (identity != null) {
      try {
        builder.identityFile(identity);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--identity: " + e.getMessage(), e);
      }
    } else {
      addDefaultKeys(builder, ssh.toString());
    }
    if (knownHosts != null) {
      builder.knownHosts(knownHosts);
    }
    return builder;
  }

  /**
   * {@code executor} with {@code --sudo} and {@code --netns} applied, as for one host of a fleet
   * (the namespace is not checked first: a host without it fails its task).
   */
  CommandExecutor onFleetHost(CommandExecutor executor) {
    CommandExecutor decorated = decorate(executor);
    return netns == null ? decorated : decorated.inNetworkNamespace(netns);
  }

  /** Adds ~/.ssh/id_ed25519, id_ecdsa and id_rsa, those that exist and hold a usable key. */
  private void addDefaultKeys(SshExecutor.Builder builder, String destination) {
    Path ssh = Path.of(System.getProperty("user.home"), ".ssh");
    List<String> unusable = new ArrayList<>();
    int added = 0;
    for (String name : DEFAULT_KEYS) {
      Path key = ssh.resolve(name);
      if (!Files.exists(key)) {
        continue;
      }
      try {
        builder.identityFile(key);
        added++;
      } catch (IllegalArgumentException e) {
        unusable.add(key + " (not a usable unencrypted key)");
      }
    }
    if (added == 0) {
      throw new IllegalArgumentException(
          "no SSH key to log in to "
              + destination
              + ": pass --identity FILE ("
              + (unusable.isEmpty()
                  ? "none of " + ssh + "/{" + String.join(",", DEFAULT_KEYS) + "} exists"
                  : String.join(", ", unusable))
              + ")");
    }
  }

  private CommandExecutor decorate(CommandExecutor executor) {
    return sudo ? executor.withSudo() : executor;
  }

  /** Checks that the {@code --netns} exists before anything runs in it, then decorates. */
  private Session checked(Session session) {
    if (netns == null) {
      return session;
    }
    try {
      CommandExecutor inside = session.executor.inNetworkNamespace(netns);
      ExecResult exists =
          session.executor.execute(
              Command.of("test", "-e", "/var/run/netns/" + netns).withTimeout(CHECK_TIMEOUT));
      if (exists.exitCode().orElse(-1) == 1 && exists.stderrUtf8().isBlank()) {
        throw new IllegalArgumentException(
            "--netns: network namespace '"
                + netns
                + "' does not exist on "
                + (session.resource == null ? "this host" : target)
                + " (ip netns list shows those that do)");
      }
      return new Session(inside, session.resource);
    } catch (IOException e) {
      session.close();
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      session.close();
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(new InterruptedIOException("interrupted"));
    } catch (RuntimeException e) {
      session.close();
      throw e;
    }
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
