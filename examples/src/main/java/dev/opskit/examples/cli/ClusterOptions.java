package dev.opskit.examples.cli;

import dev.opskit.cluster.RequestPolicy;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.Config;
import io.kubernetes.client.util.KubeConfig;
import java.io.File;
import java.io.IOException;
import java.io.Reader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/**
 * How cluster commands reach the API: {@code --kubeconfig FILE}, else the standard rules ({@code
 * $KUBECONFIG}, then {@code ~/.kube/config}, then the in-cluster service account); and {@code
 * --request-timeout}, as kubectl spells it.
 */
final class ClusterOptions {
  private static final Pattern GO_DURATION =
      Pattern.compile("((\\d+(\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h))+");
  private static final Pattern GO_DURATION_PART =
      Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h)");

  @Option(
      names = "--kubeconfig",
      paramLabel = "FILE",
      description = "kubeconfig (default $KUBECONFIG, ~/.kube/config).")
  Path kubeconfig;

  @Option(
      names = "--request-timeout",
      paramLabel = "TIME",
      description =
          "Give up on a single API request after this long: 30s, 2m, 1h, or seconds;"
              + " 0 for no limit (default 60s).")
  String requestTimeout;

  /**
   * Timeouts and retries for cluster calls: the SDK's defaults with {@code --request-timeout}.
   *
   * @throws IllegalArgumentException naming the value when it is not a duration
   */
  RequestPolicy requestPolicy() {
    RequestPolicy.Builder policy = RequestPolicy.builder();
    if (requestTimeout != null) {
      policy.requestTimeout(parseTimeout(requestTimeout));
    }
    return policy.build();
  }

  /**
   * Parses kubectl's {@code --request-timeout}: a bare integer is seconds, else a Go duration such
   * as {@code 1m30s} or {@code 500ms}; zero means no limit.
   */
  static Duration parseTimeout(String value) {
    String text = value.strip();
    if (text.matches("\\d{1,9}")) {
      return Duration.ofSeconds(Long.parseLong(text));
    }
    if (!GO_DURATION.matcher(text).matches()) {
      throw new IllegalArgumentException(
          "--request-timeout '"
              + value
              + "' is not a duration such as 30s, 2m, 1h30m or a number of seconds");
    }
    BigDecimal nanos = BigDecimal.ZERO;
    Matcher part = GO_DURATION_PART.matcher(text);
    while (part.find()) {
      long unit =
          switch (part.group(2)) {
            case "ns" -> 1L;
            case "us", "µs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            default -> 3_600_000_000_000L;
          };
      nanos = nanos.add(new BigDecimal(part.group(1)).multiply(BigDecimal.valueOf(unit)));
    }
    if (nanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
      throw new IllegalArgumentException("--request-timeout '" + value + "' is too large");
    }
    return Duration.ofNanos(nanos.longValue());
  }

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
    RequestPolicy requests = requestPolicy();
    if (kubeconfig != null) {
      KubeConfig config = load(kubeconfig);
      checkCredentials(config, kubeconfig);
      return new Cluster(withTimeouts(build(config, kubeconfig), requests), namespaceOf(config));
    }
    String namespace = "default";
    Optional<Path> standard = standardFile();
    if (standard.isPresent()) {
      KubeConfig config = null;
      try {
        config = load(standard.get());
        namespace = namespaceOf(config);
      } catch (IllegalArgumentException e) {
        // Config.defaultClient() reports what it finds wrong; keep the default namespace.
      }
      if (config != null) {
        checkCredentials(config, standard.get());
      }
    }
    return new Cluster(withTimeouts(Config.defaultClient(), requests), namespace);
  }

  /** The client with the request policy's timeouts, for calls made outside the SDK's policy. */
  private static ApiClient withTimeouts(ApiClient client, RequestPolicy requests) {
    return client.setHttpClient(
        client
            .getHttpClient()
            .newBuilder()
            .connectTimeout(requests.connectTimeout())
            .readTimeout(requests.readTimeout())
            .callTimeout(requests.requestTimeout())
            .build());
  }

  /**
   * Refuses a kubeconfig whose user gets credentials from a {@code tokenFile} or an {@code exec}
   * plugin that is not there: the client would otherwise send requests without credentials.
   */
  static void checkCredentials(KubeConfig config, Path file) {
    Map<?, ?> user = currentUser(config);
    if (user == null) {
      return;
    }
    Path base = file.toAbsolutePath().getParent();
    Object tokenFile = user.get("tokenFile");
    if (tokenFile instanceof String path && !path.isBlank()) {
      Path token = base.resolve(path);
      if (!Files.isRegularFile(token) || !Files.isReadable(token)) {
        throw new IllegalArgumentException(
            "kubeconfig file "
                + file
                + ": the user's tokenFile "
                + token
                + (Files.exists(token) ? " is not a readable file" : " does not exist"));
      }
    }
    Object exec = user.get("exec");
    if (exec instanceof Map<?, ?> plugin) {
      Object command = plugin.get("command");
      if (!(command instanceof String name) || name.isBlank()) {
        throw new IllegalArgumentException(
            "kubeconfig file " + file + ": the user's exec credential plugin names no command");
      }
      if (findExecutable(name, base).isEmpty()) {
        throw new IllegalArgumentException(
            "kubeconfig file "
                + file
                + ": the exec credential plugin '"
                + name
                + "' "
                + (name.contains("/") ? "does not exist or is not executable" : "is not on PATH"));
      }
    }
  }

  private static Map<?, ?> currentUser(KubeConfig config) {
    String context = config.getCurrentContext();
    String userName = null;
    for (Object entry : nullToEmpty(config.getContexts())) {
      if (entry instanceof Map<?, ?> named
          && context != null
          && context.equals(named.get("name"))
          && named.get("context") instanceof Map<?, ?> body
          && body.get("user") instanceof String name) {
        userName = name;
      }
    }
    if (userName == null) {
      return null;
    }
    for (Object entry : nullToEmpty(config.getUsers())) {
      if (entry instanceof Map<?, ?> named
          && userName.equals(named.get("name"))
          && named.get("user") instanceof Map<?, ?> body) {
        return body;
      }
    }
    return null;
  }

  private static List<Object> nullToEmpty(List<Object> list) {
    return list == null ? List.of() : list;
  }

  private static Optional<Path> findExecutable(String command, Path base) {
    if (command.contains("/")) {
      Path path = base.resolve(command);
      return Files.isRegularFile(path) && Files.isExecutable(path)
          ? Optional.of(path)
          : Optional.empty();
    }
    String pathVariable = System.getenv("PATH");
    if (pathVariable == null) {
      return Optional.empty();
    }
    for (String dir : pathVariable.split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, command);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
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
