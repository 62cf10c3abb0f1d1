package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ImageReferenceTest {
  private static final String SHA =
      "sha256:7cc4b5aefd1d0cadf8d97d4350462ba51c694ebca145b08d7d41b41acc8db5aa";

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      nullValues = "-",
      value = {
        "nginx | docker.io | library/nginx | - | - | docker.io/library/nginx:latest",
        "nginx:1.27 | docker.io | library/nginx | 1.27 | - | docker.io/library/nginx:1.27",
        "nginx:latest | docker.io | library/nginx | latest | - | docker.io/library/nginx:latest",
        "library/nginx | docker.io | library/nginx | - | - | docker.io/library/nginx:latest",
        "docker.io/nginx | docker.io | library/nginx | - | - | docker.io/library/nginx:latest",
        "index.docker.io/nginx:1 | docker.io | library/nginx | 1 | - | docker.io/library/nginx:1",
        "bitnami/redis:7.2 | docker.io | bitnami/redis | 7.2 | - | docker.io/bitnami/redis:7.2",
        "docker.io/bitnami/redis | docker.io | bitnami/redis | - | - | docker.io/bitnami/redis:latest",
        "localhost/x | localhost | x | - | - | localhost/x:latest",
        "localhost:5000/x | localhost:5000 | x | - | - | localhost:5000/x:latest",
        "localhost:5000/team/app:v1 | localhost:5000 | team/app | v1 | - | localhost:5000/team/app:v1",
        "registry.k8s.io/pause:3.9 | registry.k8s.io | pause | 3.9 | - | registry.k8s.io/pause:3.9",
        "quay.io/calico/node:v3.28.0 | quay.io | calico/node | v3.28.0 | - | quay.io/calico/node:v3.28.0",
        "ghcr.io/org/sub/app:V_1-rc.2 | ghcr.io | org/sub/app | V_1-rc.2 | - | ghcr.io/org/sub/app:V_1-rc.2",
        "example:5000/a | example:5000 | a | - | - | example:5000/a:latest",
        "10.1.2.3:5000/a/b:c | 10.1.2.3:5000 | a/b | c | - | 10.1.2.3:5000/a/b:c",
        "[::1]:5000/a | [::1]:5000 | a | - | - | [::1]:5000/a:latest",
        "[fd00::1]/a:b | [fd00::1] | a | b | - | [fd00::1]/a:b",
        "Registry.Example.com/a | Registry.Example.com | a | - | - | Registry.Example.com/a:latest",
        "my-registry.local/a__b/c-d/e.f | my-registry.local | a__b/c-d/e.f | - | - |"
            + " my-registry.local/a__b/c-d/e.f:latest",
        "a---b/c | docker.io | a---b/c | - | - | docker.io/a---b/c:latest",
        "nginx@"
            + SHA
            + " | docker.io | library/nginx | - | "
            + SHA
            + " | docker.io/library/nginx@"
            + SHA,
        "nginx:1.27@"
            + SHA
            + " | docker.io | library/nginx | 1.27 | "
            + SHA
            + " | docker.io/library/nginx:1.27@"
            + SHA,
        "quay.io/a/b@" + SHA + " | quay.io | a/b | - | " + SHA + " | quay.io/a/b@" + SHA,
      })
  void parsesAndNormalises(
      String input, String registry, String repository, String tag, String digest, String text) {
    ImageReference ref = ImageReference.parse(input);
    assertThat(ref.registry()).isEqualTo(registry);
    assertThat(ref.repository()).isEqualTo(repository);
    assertThat(ref.tag().orElse(null)).isEqualTo(tag);
    assertThat(ref.digest().orElse(null)).isEqualTo(digest);
    assertThat(ref.toString()).isEqualTo(text);
    assertThat(ImageReference.parse(ref.toString())).isEqualTo(ImageReference.parse(text));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "'' | must not be empty",
        "Nginx | not lower case",
        "library/Nginx | not lower case",
        "nginx: | does not match",
        ":latest | does not match",
        "nginx:-x | does not match",
        "nginx:.x | does not match",
        "nginx::1 | does not match",
        "-nginx | does not match",
        "nginx- | does not match",
        "a..b | does not match",
        "a___b | does not match",
        "a//b | does not match",
        "a/b/ | does not match",
        "a b | does not match",
        "nginx@sha256:abc | does not match",
        "nginx@sha256:7CC4B5AEFD1D0CADF8D97D4350462BA51C694EBCA145B08D7D41B41ACC8DB5AA"
            + " | lower-case hex",
        "nginx@md5:0123456789abcdef0123456789abcdef | digest algorithm 'md5'",
        "nginx@sha256:0123456789abcdef0123456789abcdef0123 | 64 lower-case hex",
        "7cc4b5aefd1d0cadf8d97d4350462ba51c694ebca145b08d7d41b41acc8db5aa | hex identifier",
        "-bad.example.com/a | registry '-bad.example.com'",
        "bad_host.com/a | registry 'bad_host.com'",
        "localhost:port/a | registry 'localhost:port'",
        "https://quay.io/a | registry 'https:'",
        "quay.io/ | does not match",
        "quay.io/a:b:c | does not match",
      })
  void rejectsInvalid(String input, String rule) {
    assertThatThrownBy(() -> ImageReference.parse(input))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(rule);
  }

  @Test
  void rejectsTooLongTagAndName() {
    assertThatThrownBy(() -> ImageReference.parse("a:" + "t".repeat(129)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not match");
    assertThat(ImageReference.parse("a:" + "t".repeat(128)).tag()).hasValue("t".repeat(128));
    assertThatThrownBy(() -> ImageReference.parse("quay.io/" + "a".repeat(256)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("longer than 255");
  }

  @Test
  void the255LimitCountsTheRepositoryPathNotTheRegistry() {
    String path = "team/" + "b".repeat(250);
    ImageReference ref = ImageReference.parse("registry.example.internal:5000/" + path + ":1");
    assertThat(ref.repository()).hasSize(255);
    assertThat(ref.name().length()).isGreaterThan(255);
    assertThatThrownBy(() -> ImageReference.parse("registry.example.internal/" + path + "b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("repository path longer than 255");
  }

  @Test
  void tagAndDigestAreBothKeptAndEachFormPrintsWhatToolsPrint() {
    ImageReference pinned = ImageReference.parse("redis:7.2@" + SHA);
    assertThat(pinned.tag()).hasValue("7.2");
    assertThat(pinned.digest()).hasValue(SHA);
    assertThat(pinned.familiar()).isEqualTo("redis:7.2@" + SHA);
    assertThat(pinned.normalized()).isEqualTo("docker.io/library/redis:7.2@" + SHA);
    assertThat(pinned.pullReference()).isEqualTo("docker.io/library/redis@" + SHA);
    assertThat(pinned.toString()).isEqualTo(pinned.normalized());

    ImageReference tagged = ImageReference.parse("bitnami/redis");
    assertThat(tagged.familiar()).isEqualTo("bitnami/redis:latest");
    assertThat(tagged.normalized()).isEqualTo("docker.io/bitnami/redis:latest");
    assertThat(tagged.pullReference()).isEqualTo(tagged.normalized());

    ImageReference digestOnly = ImageReference.parse("ghcr.io/org/app@" + SHA);
    assertThat(digestOnly.normalized()).isEqualTo("ghcr.io/org/app@" + SHA);
    assertThat(digestOnly.pullReference()).isEqualTo("ghcr.io/org/app@" + SHA);
  }

  @Test
  void familiarFormAndLatestFlags() {
    assertThat(ImageReference.parse("docker.io/library/nginx").familiar())
        .isEqualTo("nginx:latest");
    assertThat(ImageReference.parse("docker.io/bitnami/redis:7").familiar())
        .isEqualTo("bitnami/redis:7");
    assertThat(ImageReference.parse("quay.io/a/b:1").familiar()).isEqualTo("quay.io/a/b:1");
    assertThat(ImageReference.parse("nginx").isUntagged()).isTrue();
    assertThat(ImageReference.parse("nginx").isLatest()).isTrue();
    assertThat(ImageReference.parse("nginx:latest").isUntagged()).isFalse();
    assertThat(ImageReference.parse("nginx:latest").isLatest()).isTrue();
    assertThat(ImageReference.parse("nginx@" + SHA).isLatest()).isFalse();
    assertThat(ImageReference.parse("nginx@" + SHA).effectiveTag()).isEmpty();
  }

  @Test
  void builderValidatesParts() {
    assertThatThrownBy(() -> ImageReference.builder().registry("quay.io").repository("A/b").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("repository 'A/b'");
    assertThat(
            ImageReference.builder().registry("quay.io").repository("a/b").tag("1").build().name())
        .isEqualTo("quay.io/a/b");
  }
}
