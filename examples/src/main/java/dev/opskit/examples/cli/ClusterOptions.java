package dev.opskit.examples.cli;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.Config;
import io.kubernetes.client.util.KubeConfig;
import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * How cluster commands reach the API: {@code --kubeconfig FILE}, else the standard rules ({@code
 * $KUBECONFIG}, then {@code ~/.kube/config}, then the in-cluster service account).
 */
final class ClusterOptions {
  @Option(
      names = "--kubeconfig",
      paramLabel = "FILE",
      description = "kubeconfig (default $KUBECONFIG, ~/.kube/config).")
  Path kubeconfig;

  /** A connected client and the namespace of the kubeconfig's current context. */
  static final class Cluster {
    final ApiClient client;
    final String namespace;

    Cluster(ApiClient client, String namespace) {
      this.client = client;
      this.namespace = namespace;
    }
  }

  /**
   * Builds the client. A missing or malformed kubeconfig named on the command line is the user's
   * mistake: an {@link IllegalArgumentException} naming the file.
   */
  Cluster connect() throws IOException {
    if (kubeconfig != null) {
      KubeConfig config = load(kubeconfig);
      return new Cluster(build(config, kubeconfig), namespaceOf(config));
    }
    ApiClient client = Config.defaultClient();
    String namespace = "default";
    Optional<Path> standard = standardFile();
    if (standard.isPresent()) {
      try {
        namespace = namespaceOf(load(standard.get()));
      } catch (IllegalArgumentException e) {
        // Config.defaultClient() reported nothing wrong with it; keep the default namespace.
      }
    }
    return new Cluster(client, namespace);
  }

  private static Optional<Path> standardFile() {
    String env = System.getenv(Config.ENV_KUBECONFIG);
    if (env != null && !env.isBlank()) {
      String first = env.split(File.pathSeparator, -1)[0];
      Path path = Path.of(first);
      return Files.isRegularFile(path) ? Optional.of(path) : Optional.empty();
    }
    Path home = Path.of(System.getProperty("user.home"), ".kube", "config");
    return Files.isRegularFile(home) ? Optional.of(home) : Optional.empty();
  }

  private static KubeConfig load(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("kubeconfig file " + file + " does not exist");
    }
    if (!Files.isReadable(file)) {
      throw new IllegalArgumentException("kubeconfig file " + file + " is not readable");
    }
    KubeConfig config;
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      config = KubeConfig.loadKubeConfig(reader);
    } catch (ClassCastException e) {
      throw new IllegalArgumentException(
          "kubeconfig file "
              + file
              + " is not a kubeconfig (a YAML mapping of clusters,"
              + " contexts and users)",
          e);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "kubeconfig file " + file + " is not valid YAML: " + firstLine(e.getMessage()), e);
    }
    if (config == null) {
      throw new IllegalArgumentException("kubeconfig file " + file + " is empty");
    }
    config.setFile(file.toAbsolutePath().toFile());
    String server;
    try {
      server = config.getServer();
    } catch (RuntimeException e) {
      server = null;
    }
    if (server == null || server.isBlank()) {
      throw new IllegalArgumentException(
          "kubeconfig file "
              + file
              + ": current context '"
              + config.getCurrentContext()
              + "' names no cluster with a server");
    }
    return config;
  }

  private static ApiClient build(KubeConfig config, Path file) throws IOException {
    try {
      return ClientBuilder.kubeconfig(config).build();
    } catch (IllegalStateException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "kubeconfig file " + file + " cannot be used: " + firstLine(e.getMessage()), e);
    }
  }

  private static String namespaceOf(KubeConfig config) {
    String namespace;
    try {
      namespace = config.getNamespace();
    } catch (RuntimeException e) {
      namespace = null;
    }
    return namespace == null || namespace.isBlank() ? "default" : namespace;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
