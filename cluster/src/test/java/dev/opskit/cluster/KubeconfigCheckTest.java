package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.opskit.core.OpskitException;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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

  private Path write(String name, byte[] bytes, String mode) throws IOException {
    Path file = Files.write(dir.resolve(name), bytes);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    return file;
  }

  private static List<String> kinds(List<KubeconfigFinding> findings) {
    return findings.stream().map(f -> f.kind() + " " + f.subject()).collect(Collectors.toList());
  }

  @Test
  void everyDocumentOfAMultiDocumentFileIsChecked() throws IOException {
    // k3d writes one document per cluster into the same file
    String twoDocuments =
        "---\napiVersion: v1\nkind: Config\nusers:\n- name: admin@k3d-one\n  user:\n"
            + "    client-key-data: a2V5MQ==\n---\napiVersion: v1\nkind: Config\nusers:\n"
            + "- name: admin@k3d-two\n  user:\n    token: t2\n";
    Path file = write("config", twoDocuments.getBytes(StandardCharsets.UTF_8), "rw-------");

    assertThat(kinds(KubeconfigCheck.check(file)))
        .containsExactly(
            "EMBEDDED_CLIENT_KEY users[admin@k3d-one]", "EMBEDDED_TOKEN users[admin@k3d-two]");
  }

  @ParameterizedTest
  @ValueSource(strings = {"UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32BE", "UTF-8"})
  void utf16And32KubeconfigsLoadWithOrWithoutAByteOrderMark(String encoding) throws IOException {
    List<String> expected = kinds(KubeconfigCheck.checkCredentials(KUBECONFIG));
    byte[] text = KUBECONFIG.getBytes(Charset.forName(encoding));
    byte[] withBom = ("\uFEFF" + KUBECONFIG).getBytes(Charset.forName(encoding));

    for (byte[] bytes : List.of(withBom, text)) {
      Path file = write("config", bytes, "rw-r--r--");
      List<KubeconfigFinding> findings = KubeconfigCheck.check(file);
      assertThat(findings.get(0).kind()).isEqualTo(KubeconfigFinding.Kind.GROUP_OR_WORLD_READABLE);
      assertThat(kinds(findings.subList(1, findings.size()))).isEqualTo(expected);
    }
  }

  @Test
  void anEmptyFileLoadsAsEmptyAndKeepsThePermissionFinding() throws IOException {
    for (String content : List.of("", "\n", "# nothing yet\n", "---\n")) {
      Path file = write("config", content.getBytes(StandardCharsets.UTF_8), "rw-r--r--");
      assertThat(KubeconfigCheck.check(file))
          .extracting(KubeconfigFinding::kind)
          .as("content %s", content)
          .containsExactly(KubeconfigFinding.Kind.GROUP_OR_WORLD_READABLE);
    }
    assertThat(KubeconfigCheck.checkCredentials("")).isEmpty();
  }

  @Test
  void contentThatCannotBeReadStillReportsThePermissions() throws IOException {
    String leaky = "users:\n- name: u\n  user:\n    token: s3cr3t-value\n  oops: [unclosed\n";
    Path garbage = write("config", leaky.getBytes(StandardCharsets.UTF_8), "rw-rw-r--");
    List<KubeconfigFinding> findings = KubeconfigCheck.check(garbage);
    assertThat(findings)
        .extracting(KubeconfigFinding::kind)
        .containsExactly(
            KubeconfigFinding.Kind.GROUP_OR_WORLD_READABLE,
            KubeconfigFinding.Kind.GROUP_OR_WORLD_WRITABLE,
            KubeconfigFinding.Kind.CONTENT_NOT_READ);
    assertThat(findings.get(2).detail())
        .startsWith("not a readable kubeconfig: ")
        .contains("line ")
        .doesNotContain("s3cr3t")
        .doesNotContain("NullPointer");

    Path notText = write("config", new byte[] {'a', ':', ' ', (byte) 0xC3, '(', '\n'}, "rw-r--r--");
    assertThat(KubeconfigCheck.check(notText).get(1).detail()).contains("not valid UTF-8 text");

    Path scalar = write("config", "just a string\n".getBytes(StandardCharsets.UTF_8), "rw-------");
    assertThat(KubeconfigCheck.check(scalar))
        .singleElement()
        .satisfies(f -> assertThat(f.detail()).contains("document 1 is not a mapping"));

    // a path that cannot be read as a file at all
    Path folder = Files.createDirectory(dir.resolve("config.d"));
    Files.setPosixFilePermissions(folder, PosixFilePermissions.fromString("rwxr-xr-x"));
    assertThat(KubeconfigCheck.check(folder))
        .extracting(KubeconfigFinding::kind)
        .containsExactly(
            KubeconfigFinding.Kind.GROUP_OR_WORLD_READABLE,
            KubeconfigFinding.Kind.CONTENT_NOT_READ);
  }

  @Test
  void oidcClientSecretAndExecEnvAreNotedWithoutValues() throws IOException {
    String config =
        "users:\n- name: oidc-user\n  user:\n    auth-provider:\n      name: oidc\n"
            + "      config:\n        client-id: kubernetes\n        client-secret: 7f3a-very-secret\n"
            + "        idp-issuer-url: https://issuer.example\n"
            + "- name: exec-user\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
            + "      command: get-token\n      env:\n      - name: API_KEY\n        value: k-123\n"
            + "      - name: REGION\n        value: eu\n      - name: EMPTY\n        value: ''\n";
    Path file = write("config", config.getBytes(StandardCharsets.UTF_8), "rw-------");

    List<KubeconfigFinding> findings = KubeconfigCheck.check(file);

    assertThat(kinds(findings))
        .containsExactly(
            "EMBEDDED_AUTH_PROVIDER_TOKEN users[oidc-user]", "EXEC_ENV_VALUES users[exec-user]");
    assertThat(findings.get(0).detail()).contains("client-secret");
    assertThat(findings.get(1).detail()).contains("API_KEY, REGION").doesNotContain("EMPTY");
    assertThat(findings.toString()).doesNotContain("7f3a-very-secret").doesNotContain("k-123");
  }

  @Test
  void aClientKeyOrTokenFileOthersCanReadIsAFindingLikeTheKubeconfig() throws IOException {
    Path pki = Files.createDirectory(dir.resolve("pki"));
    Path key =
        write(
            "pki/admin.key",
            "-----BEGIN EC PRIVATE KEY-----\n".getBytes(StandardCharsets.UTF_8),
            "rw-r--r--");
    Path token = write("token", "t0k3n".getBytes(StandardCharsets.UTF_8), "rw-------");
    String config =
        "users:\n- name: admin\n  user:\n    client-certificate: pki/admin.crt\n"
            + "    client-key: pki/admin.key\n"
            + "- name: bot\n  user:\n    tokenFile: "
            + token
            + "\n- name: gone\n  user:\n    client-key: pki/missing.key\n";
    Path file = write("config", config.getBytes(StandardCharsets.UTF_8), "rw-------");

    List<KubeconfigFinding> findings = KubeconfigCheck.check(file);

    // the relative path is resolved against the kubeconfig's folder, as kubectl does
    assertThat(findings)
        .singleElement()
        .satisfies(
            f -> {
              assertThat(f.kind()).isEqualTo(KubeconfigFinding.Kind.GROUP_OR_WORLD_READABLE);
              assertThat(f.subject()).isEqualTo(key.toString());
              assertThat(f.detail())
                  .startsWith("users[admin] client-key " + key + ": mode rw-r--r--")
                  .contains("the private key");
              assertThat(f.fix()).hasValue("chmod 0600 " + key);
              assertThat(f.isPermissionProblem()).isTrue();
            });
    KubeconfigCheck.restrictPermissions(Path.of(findings.get(0).subject()));
    assertThat(KubeconfigCheck.check(file)).isEmpty();
    assertThat(pki).isDirectory();
  }

  @Test
  void theFindingSaysWhy0600AndTheFixLeavesNoGroupWrite() throws IOException {
    Path file = write("config", KUBECONFIG.getBytes(StandardCharsets.UTF_8), "rw-rw----");
    List<KubeconfigFinding> findings = KubeconfigCheck.checkPermissions(file);
    assertThat(findings).hasSize(2);
    // removing only the read bits would leave 0620: still group-writable
    assertThat(findings.get(0).detail())
        .contains("mode 0600 (owner read and write only)")
        .contains("chmod g-r,o-r alone would leave rw--w----, still writable");
    assertThat(KubeconfigCheck.checkPermissions(write("other", new byte[0], "rw-r--r--")))
        .singleElement()
        .satisfies(
            f ->
                assertThat(f.detail())
                    .endsWith("the fix is mode 0600 (owner read and write only)"));
    KubeconfigCheck.restrictPermissions(file);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
  }
}
