package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigMapContentTest {
  @TempDir Path dir;

  @Test
  void folderGivesOneKeyPerRegularFileTextAndBinarySeparated() throws IOException {
    Files.writeString(dir.resolve("nginx.conf"), "server { listen 80; }\n");
    Files.writeString(dir.resolve("unicode.txt"), "grüße ✓\n");
    Files.write(dir.resolve("logo.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, (byte) 0xff});
    Files.createDirectory(dir.resolve("sub"));
    Files.writeString(dir.resolve("sub").resolve("ignored"), "x");

    ConfigMapContent content = ConfigMapContent.fromFolder(dir);

    assertThat(content.data()).containsOnlyKeys("nginx.conf", "unicode.txt");
    assertThat(content.data().get("unicode.txt")).isEqualTo("grüße ✓\n");
    assertThat(content.binaryData()).containsOnlyKeys("logo.png");
    assertThat(content.binaryData().get("logo.png"))
        .containsExactly((byte) 0x89, 'P', 'N', 'G', 0, (byte) 0xff);
    assertThat(content.totalBytes())
        .isEqualTo(22 + "grüße ✓\n".getBytes(StandardCharsets.UTF_8).length + 6);
  }

  @Test
  void aSymlinkPointingOutsideTheFolderIsRefused() throws IOException {
    Path chart = Files.createDirectory(dir.resolve("chart"));
    Path secret = Files.writeString(dir.resolve("id_rsa"), "-----BEGIN PRIVATE KEY-----\n");
    Files.writeString(chart.resolve("values.conf"), "a=1\n");
    Files.createSymbolicLink(chart.resolve("link-outside.conf"), secret);

    assertThatThrownBy(() -> ConfigMapContent.fromFolder(chart))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("link-outside.conf")
        .hasMessageContaining("points outside the folder");

    // also through a relative link and a link that first stays inside
    Files.delete(chart.resolve("link-outside.conf"));
    Files.createSymbolicLink(chart.resolve("hop"), Path.of("../id_rsa"));
    Files.createSymbolicLink(chart.resolve("via-hop.conf"), Path.of("hop"));
    assertThatThrownBy(() -> ConfigMapContent.fromFolder(chart))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("points outside the folder");
  }

  @Test
  void linksInsideTheFolderAreFollowedAndAMountedConfigMapReadsAsItsKeys() throws IOException {
    // the layout the kubelet writes for a mounted ConfigMap
    Path mount = Files.createDirectory(dir.resolve("mount"));
    Path version = Files.createDirectory(mount.resolve("..2026_11_29_15_00_00.000000001"));
    Files.writeString(version.resolve("app.properties"), "a=1\n");
    Files.writeString(version.resolve("log.level"), "debug");
    Files.createSymbolicLink(mount.resolve("..data"), version.getFileName());
    Files.createSymbolicLink(mount.resolve("app.properties"), Path.of("..data/app.properties"));
    Files.createSymbolicLink(mount.resolve("log.level"), Path.of("..data/log.level"));
    Files.createSymbolicLink(mount.resolve("dangling"), Path.of("..data/gone"));

    ConfigMapContent content = ConfigMapContent.fromFolder(mount);

    assertThat(content.data())
        .containsExactly(
            java.util.Map.entry("app.properties", "a=1\n"),
            java.util.Map.entry("log.level", "debug"));
    assertThat(content.binaryData()).isEmpty();
  }

  @Test
  void aLinkNamedExplicitlyIsFollowed() throws IOException {
    Path target = Files.writeString(dir.resolve("real.conf"), "x=1\n");
    Path link = Files.createSymbolicLink(dir.resolve("named.conf"), target);
    assertThat(ConfigMapContent.fromFile(link).data()).containsEntry("named.conf", "x=1\n");
  }

  @Test
  void singleFileUsesItsNameOrAGivenKey() throws IOException {
    Path file = Files.writeString(dir.resolve("app.properties"), "a=1\n");
    assertThat(ConfigMapContent.fromFile(file).data()).containsEntry("app.properties", "a=1\n");
    assertThat(ConfigMapContent.fromFile(file, "other-key").data()).containsOnlyKeys("other-key");
  }

  @ParameterizedTest
  @ValueSource(strings = {"has space", "a/b", "..hidden", ".", "..", "ünï", "semi;colon"})
  void invalidKeysAreRejected(String key) {
    assertThatThrownBy(() -> ConfigMapContent.builder().putData(key, "v").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ConfigMap key '" + key + "'");
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", ".hidden", "a..b", "A-Z_0.9", "x.y.z"})
  void validKeysAreAccepted(String key) {
    assertThat(ConfigMapContent.builder().putData(key, "v").build().data()).containsKey(key);
  }

  @Test
  void fileWithInvalidKeyNameIsRejected() throws IOException {
    Path file = Files.writeString(dir.resolve("bad name.conf"), "x");
    assertThatThrownBy(() -> ConfigMapContent.fromFile(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'bad name.conf'");
    assertThatThrownBy(() -> ConfigMapContent.fromFolder(dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'bad name.conf'");
  }

  @Test
  void oneMebibyteLimitIsExactAndCountsAllValues() throws IOException {
    String half = "x".repeat(ConfigMapContent.MAX_TOTAL_BYTES / 2);
    ConfigMapContent exactly =
        ConfigMapContent.builder()
            .putData("a", half)
            .putBinaryData("b", half.getBytes(StandardCharsets.UTF_8))
            .build();
    assertThat(exactly.totalBytes()).isEqualTo(1_048_576);
    assertThatThrownBy(
            () -> ConfigMapContent.builder().putData("a", half).putData("b", half + "y").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1048577 bytes");
    Files.writeString(dir.resolve("one"), half);
    Files.writeString(dir.resolve("two"), half + "y");
    assertThatThrownBy(() -> ConfigMapContent.fromFolder(dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exceed the ConfigMap limit");
  }

  @Test
  void keyInBothMapsIsRejected() {
    assertThatThrownBy(
            () ->
                ConfigMapContent.builder()
                    .putData("k", "v")
                    .putBinaryData("k", new byte[] {1})
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("both data and binaryData");
  }
}
