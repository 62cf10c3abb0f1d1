package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.core.OpskitException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KubeconfigCheckTest {
  private static final String SECRET_TOKEN = "eyJhbGciOiJSUzI1NiIsImtpZCI6InNlY3JldCJ9.do-not-leak";
  private static final String KUBECONFIG =
      "apiVersion: v1\n"
          + "kind: Config\n"
          + "current-context: prod\n"
          + "clusters:\n"
          + "- name: prod\n"
          + "  cluster:\n"
          + "    server: https://198.18.0.1:6443\n"
          + "contexts:\n"
          + "- name: prod\n"
          + "  context: {cluster: prod, user: admin}\n"
          + "users:\n"
          + "- name: admin\n"
          + "  user:\n"
          + "    client-certificate-data: LS0tLS1CRUdJTg==\n"
          + "    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==\n"
          + "- name: ci\n"
          + "  user:\n"
          + "    token: "
          + SECRET_TOKEN
          + "\n"
          + "- name: legacy\n"
          + "  user:\n"
          + "    username: ops\n"
          + "    password: hunter2\n"
          + "- name: oidc\n"
          + "  user:\n"
          + "    auth-provider:\n"
          + "      name: oidc\n"
          + "      config: {id-token: abc, refresh-token: def, client-id: k8s}\n"
          + "- name: sso\n"
          + "  user:\n"
          + "    exec: {apiVersion: client.authentication.k8s.io/v1, command: kubelogin}\n";

  @TempDir Path dir;

  @Test
  void groupOrWorldReadableFileIsAFindingWithTheFix() throws IOException {
    Path file = Files.writeString(dir.resolve("config"), KUBECONFIG);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

    List<KubeconfigFinding> findings = KubeconfigCheck.checkPermissions(file);
    assertThat(findings)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.kind()).isEqualTo(KubeconfigFinding.Kind.GROUP_OR_WORLD_READABLE);
              assertThat(f.fix()).hasValue("chmod 0600 " + file);
              assertThat(f.detail()).contains("rw-r--r--");
            });

    KubeconfigCheck.restrictPermissions(file);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(KubeconfigCheck.checkPermissions(file)).isEmpty();
  }

  @Test
  void groupWritableIsAFindingToo() throws IOException {
    Path file = Files.writeString(dir.resolve("config"), KUBECONFIG);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw--w----"));
    assertThat(KubeconfigCheck.checkPermissions(file))
        .extracting(KubeconfigFinding::kind)
        .containsExactly(KubeconfigFinding.Kind.GROUP_OR_WORLD_WRITABLE);
  }

  @Test
  void notesEmbeddedCredentialsWithoutTheirValues() throws IOException {
    Path file = Files.writeString(dir.resolve("config"), KUBECONFIG);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));

    List<KubeconfigFinding> findings = KubeconfigCheck.check(file);

    assertThat(findings)
        .extracting(f -> f.kind() + " " + f.subject())
        .containsExactly(
            "EMBEDDED_CLIENT_KEY users[admin]",
            "EMBEDDED_TOKEN users[ci]",
            "EMBEDDED_PASSWORD users[legacy]",
            "EMBEDDED_AUTH_PROVIDER_TOKEN users[oidc]",
            "EMBEDDED_AUTH_PROVIDER_TOKEN users[oidc]");
    assertThat(findings).noneMatch(KubeconfigFinding::isPermissionProblem);
    assertThat(findings.toString()).doesNotContain(SECRET_TOKEN).doesNotContain("hunter2");
  }

  @Test
  void jsonKubeconfigWorksAndGarbageIsRejected() {
    assertThat(
            KubeconfigCheck.checkCredentials(
                "{\"apiVersion\":\"v1\",\"kind\":\"Config\",\"users\":[{\"name\":\"u\","
                    + "\"user\":{\"token\":\"t\"}}]}"))
        .extracting(KubeconfigFinding::kind)
        .containsExactly(KubeconfigFinding.Kind.EMBEDDED_TOKEN);
    assertThatThrownBy(() -> KubeconfigCheck.checkCredentials("users: [unclosed"))
        .isInstanceOf(OpskitException.class)
        .hasMessageContaining("not a readable kubeconfig");
  }
}
