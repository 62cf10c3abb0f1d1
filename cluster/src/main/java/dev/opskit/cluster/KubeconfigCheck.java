package dev.opskit.cluster;

import dev.opskit.core.OpskitException;
import io.kubernetes.client.util.KubeConfig;
import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a kubeconfig file the way an auditor would: a file that group or other users can read (or
 * write) is a finding whose fix is mode {@code 0600}; user entries that embed credentials ({@code
 * token}, {@code client-key-data}, {@code password}, auth-provider tokens) are noted, since anyone
 * who can read the file holds them.
 *
 * <pre>{@code
 * List<KubeconfigFinding> findings = KubeconfigCheck.check(Path.of(System.getProperty("user.home"), ".kube", "config"));
 * findings.forEach(System.out::println);
 * if (findings.stream().anyMatch(KubeconfigFinding::isPermissionProblem)) {
 *   KubeconfigCheck.restrictPermissions(path);   // chmod 0600
 * }
 * }</pre>
 *
 * <p>Only reads the file it is given; credential values never appear in findings. On a file system
 * without POSIX permissions the permission check is skipped.
 */
public final class KubeconfigCheck {
  private static final Set<PosixFilePermission> READ_BY_OTHERS =
      EnumSet.of(PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ);
  private static final Set<PosixFilePermission> WRITE_BY_OTHERS =
      EnumSet.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);

  private KubeconfigCheck() {}

  /**
   * Checks the file's permissions and its user entries.
   *
   * @throws IOException when the file cannot be read
   * @throws OpskitException when the file is not a kubeconfig (not YAML or JSON of that shape)
   */
  public static List<KubeconfigFinding> check(Path file) throws IOException {
    List<KubeconfigFinding> findings = new ArrayList<>(checkPermissions(file));
    findings.addAll(checkCredentials(Files.readString(file, StandardCharsets.UTF_8)));
    return findings;
  }

  /** Only the permission findings for {@code file}. */
  public static List<KubeconfigFinding> checkPermissions(Path file) throws IOException {
    List<KubeconfigFinding> findings = new ArrayList<>();
    if (Files.getFileAttributeView(file, PosixFileAttributeView.class) == null) {
      return findings;
    }
    Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
    String mode = PosixFilePermissions.toString(permissions);
    String fix = "chmod 0600 " + file;
    if (permissions.stream().anyMatch(READ_BY_OTHERS::contains)) {
      findings.add(
          KubeconfigFinding.builder()
              .kind(KubeconfigFinding.Kind.GROUP_OR_WORLD_READABLE)
              .subject(file.toString())
              .detail("mode " + mode + " lets group or other users read the credentials")
              .fix(fix)
              .build());
    }
    if (permissions.stream().anyMatch(WRITE_BY_OTHERS::contains)) {
      findings.add(
          KubeconfigFinding.builder()
              .kind(KubeconfigFinding.Kind.GROUP_OR_WORLD_WRITABLE)
              .subject(file.toString())
              .detail("mode " + mode + " lets group or other users change the file")
              .fix(fix)
              .build());
    }
    return findings;
  }

  /**
   * Notes the embedded credentials of a kubeconfig given as text (YAML or JSON).
   *
   * @throws OpskitException when the text is not a kubeconfig
   */
  public static List<KubeconfigFinding> checkCredentials(String kubeconfig) {
    List<Object> users;
    try (Reader reader = new StringReader(kubeconfig)) {
      KubeConfig config = KubeConfig.loadKubeConfig(reader);
      users = config.getUsers() == null ? List.of() : config.getUsers();
    } catch (IOException | RuntimeException e) {
      throw new OpskitException("not a readable kubeconfig: " + e.getMessage(), e);
    }
    List<KubeconfigFinding> findings = new ArrayList<>();
    for (Object entry : users) {
      if (!(entry instanceof Map)) {
        continue;
      }
      Map<?, ?> named = (Map<?, ?>) entry;
      String subject = "users[" + named.get("name") + "]";
      if (!(named.get("user") instanceof Map)) {
        continue;
      }
      Map<?, ?> user = (Map<?, ?>) named.get("user");
      note(
          findings,
          user,
          "token",
          KubeconfigFinding.Kind.EMBEDDED_TOKEN,
          subject,
          "embeds a bearer token; prefer an exec credential plugin or short-lived tokens");
      note(
          findings,
          user,
          "client-key-data",
          KubeconfigFinding.Kind.EMBEDDED_CLIENT_KEY,
          subject,
          "embeds a client private key; prefer client-key pointing at a 0600 file or exec");
      note(
          findings,
          user,
          "password",
          KubeconfigFinding.Kind.EMBEDDED_PASSWORD,
          subject,
          "embeds a basic-auth password");
      if (user.get("auth-provider") instanceof Map
          && ((Map<?, ?>) user.get("auth-provider")).get("config") instanceof Map) {
        Map<?, ?> config = (Map<?, ?>) ((Map<?, ?>) user.get("auth-provider")).get("config");
        for (String key : List.of("id-token", "refresh-token", "access-token")) {
          if (present(config.get(key))) {
            findings.add(
                KubeconfigFinding.builder()
                    .kind(KubeconfigFinding.Kind.EMBEDDED_AUTH_PROVIDER_TOKEN)
                    .subject(subject)
                    .detail("auth-provider config embeds " + key)
                    .build());
          }
        }
      }
    }
    return findings;
  }

  /**
   * Applies the fix for permission findings: mode {@code 0600} (owner read and write only).
   *
   * @throws IOException when the mode cannot be changed
   */
  public static void restrictPermissions(Path file) throws IOException {
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
  }

  private static void note(
      List<KubeconfigFinding> findings,
      Map<?, ?> user,
      String field,
      KubeconfigFinding.Kind kind,
      String subject,
      String detail) {
    if (present(user.get(field))) {
      findings.add(KubeconfigFinding.builder().kind(kind).subject(subject).detail(detail).build());
    }
  }

  private static boolean present(Object value) {
    return value != null && !value.toString().isEmpty();
  }
}
