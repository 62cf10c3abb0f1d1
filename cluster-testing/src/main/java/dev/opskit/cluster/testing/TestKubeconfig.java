package dev.opskit.cluster.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A kubeconfig whose current context points at one API server, as {@code kubectl config} writes it,
 * for testing programs that read a kubeconfig (a command line, a tool of your own, kubectl itself)
 * against a {@link KubernetesApiFixture}.
 *
 * <pre>{@code
 * Path kubeconfig =
 *     TestKubeconfig.of(fixture.url()).namespace("ci").writeTo(tempDir.resolve("kubeconfig"));
 * }</pre>
 *
 * <p>One cluster, context and user, named {@code fixture}, {@code fixture} and {@code tester}. The
 * user sends a fixed bearer token unless {@link #user(String)} says otherwise (the fixture accepts
 * any token). Values are immutable; every {@code with}-style method returns a copy.
 */
public final class TestKubeconfig {
  private static final String TOKEN_USER = "token: test-token\n";

  private final String server;
  private final Optional<String> namespace;
  private final String user;

  private TestKubeconfig(String server, Optional<String> namespace, String user) {
    this.server = server;
    this.namespace = namespace;
    this.user = user;
  }

  /**
   * A kubeconfig for the API at {@code server} (such as {@link KubernetesApiFixture#url()}), with
   * no default namespace and a token user.
   *
   * @throws IllegalArgumentException when {@code server} is blank or spans lines
   */
  public static TestKubeconfig of(String server) {
    return new TestKubeconfig(oneLine("server", server), Optional.empty(), TOKEN_USER);
  }

  /** A kubeconfig for {@code fixture}'s {@link KubernetesApiFixture#url()}. */
  public static TestKubeconfig of(KubernetesApiFixture fixture) {
    return of(fixture.url());
  }

  /**
   * A copy whose context names {@code namespace} as the default namespace.
   *
   * @throws IllegalArgumentException when {@code namespace} is blank or spans lines
   */
  public TestKubeconfig namespace(String namespace) {
    return new TestKubeconfig(server, Optional.of(oneLine("namespace", namespace)), user);
  }

  /**
   * A copy whose user is {@code yaml}: the YAML under the user's {@code user:} key, unindented,
   * such as {@code "tokenFile: /path/to/token\n"} or an {@code exec:} credential plugin.
   *
   * @throws IllegalArgumentException when {@code yaml} is blank
   */
  public TestKubeconfig user(String yaml) {
    if (yaml == null || yaml.isBlank()) {
      throw new IllegalArgumentException("user YAML '" + yaml + "' must not be blank");
    }
    return new TestKubeconfig(server, namespace, yaml.endsWith("\n") ? yaml : yaml + "\n");
  }

  /** The kubeconfig's YAML text. */
  public String yaml() {
    StringBuilder text =
        new StringBuilder()
            .append("apiVersion: v1\n")
            .append("kind: Config\n")
            .append("clusters:\n")
            .append("- name: fixture\n")
            .append("  cluster:\n")
            .append("    server: ")
            .append(server)
            .append('\n')
            .append("contexts:\n")
            .append("- name: fixture\n")
            .append("  context:\n")
            .append("    cluster: fixture\n")
            .append("    user: tester\n");
    namespace.ifPresent(name -> text.append("    namespace: ").append(name).append('\n'));
    text.append("current-context: fixture\n")
        .append("users:\n")
        .append("- name: tester\n")
        .append("  user:\n");
    user.lines().forEach(line -> text.append("    ").append(line).append('\n'));
    return text.toString();
  }

  /** Writes {@link #yaml()} to {@code file} (replacing it) and returns {@code file}. */
  public Path writeTo(Path file) throws IOException {
    Files.writeString(file, yaml(), StandardCharsets.UTF_8);
    return file;
  }

  private static String oneLine(String what, String value) {
    if (value == null || value.isBlank() || value.contains("\n") || value.contains("\r")) {
      throw new IllegalArgumentException(what + " '" + value + "' must be one line and not blank");
    }
    return value;
  }

  @Override
  public String toString() {
    return "kubeconfig for " + server + namespace.map(name -> ", namespace " + name).orElse("");
  }
}
