package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.core.OpskitException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigMapUpdaterIT {
  private static final String PATH = "/api/v1/namespaces/web/configmaps/nginx-conf";
  private static final byte[] BINARY = {(byte) 0x89, 'P', 'N', 'G', 0, (byte) 0xfe};

  @TempDir Path dir;
  private KubernetesApiFixture fixture;

  @BeforeEach
  void start() throws IOException {
    fixture = KubernetesApiFixture.start();
    Files.writeString(dir.resolve("nginx.conf"), "server { listen 80; }\n");
    Files.writeString(dir.resolve("mime.types"), "types { text/html html; }\n");
    Files.write(dir.resolve("logo.png"), BINARY);
  }

  @AfterEach
  void stop() {
    fixture.close();
  }

  private JsonObject stored() {
    return JsonParser.parseString(fixture.json(PATH).orElseThrow()).getAsJsonObject();
  }

  @Test
  void createsThenLeavesUnchangedThenUpdates() throws IOException {
    ConfigMapUpdater updater = ConfigMapUpdater.on(fixture.apiClient());

    ConfigMapResult created =
        updater.createOrUpdate("web", "nginx-conf", ConfigMapContent.fromFolder(dir));
    assertThat(created.action()).isEqualTo(ConfigMapResult.Action.CREATED);
    assertThat(created.added()).containsExactly("logo.png", "mime.types", "nginx.conf");
    JsonObject object = stored();
    assertThat(object.getAsJsonObject("data").get("nginx.conf").getAsString())
        .isEqualTo("server { listen 80; }\n");
    assertThat(
            Base64.getDecoder()
                .decode(object.getAsJsonObject("binaryData").get("logo.png").getAsString()))
        .isEqualTo(BINARY);

    ConfigMapResult same =
        updater.createOrUpdate("web", "nginx-conf", ConfigMapContent.fromFolder(dir));
    assertThat(same.action()).isEqualTo(ConfigMapResult.Action.UNCHANGED);
    assertThat(fixture.requests("PUT", PATH)).isEmpty();

    // a label someone else added survives the update
    fixture.deleteObject(PATH);
    JsonObject labelled = object.deepCopy();
    labelled
        .getAsJsonObject("metadata")
        .add("labels", JsonParser.parseString("{\"team\":\"web\"}"));
    labelled.getAsJsonObject("metadata").remove("resourceVersion");
    fixture.createJson("/api/v1/namespaces/web/configmaps", labelled.toString());

    Files.writeString(dir.resolve("nginx.conf"), "server { listen 8080; }\n");
    Files.delete(dir.resolve("mime.types"));
    ConfigMapResult updated =
        updater.createOrUpdate("web", "nginx-conf", ConfigMapContent.fromFolder(dir));
    assertThat(updated.action()).isEqualTo(ConfigMapResult.Action.UPDATED);
    assertThat(updated.changed()).containsExactly("nginx.conf");
    assertThat(updated.removed()).containsExactly("mime.types");
    assertThat(updated.added()).isEmpty();
    JsonObject after = stored();
    assertThat(after.getAsJsonObject("data").keySet()).containsExactly("nginx.conf");
    assertThat(after.getAsJsonObject("data").get("nginx.conf").getAsString())
        .isEqualTo("server { listen 8080; }\n");
    assertThat(
            after.getAsJsonObject("metadata").getAsJsonObject("labels").get("team").getAsString())
        .isEqualTo("web");
    assertThat(fixture.requests("PUT", PATH))
        .singleElement()
        .satisfies(c -> assertThat(c.body()).contains("\"resourceVersion\""));
  }

  @Test
  void concurrentChangeIsAConflictNotAnOverwrite() throws IOException {
    ConfigMapUpdater updater = ConfigMapUpdater.on(fixture.apiClient());
    updater.createOrUpdate("web", "nginx-conf", ConfigMapContent.fromFolder(dir));
    String other =
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"nginx-conf\","
            + "\"namespace\":\"web\"},\"data\":{\"written-by\":\"someone else\"}}";
    fixture.beforeRequest(
        call -> {
          if (call.method().equals("PUT")) {
            fixture.deleteObject(PATH);
            fixture.createJson("/api/v1/namespaces/web/configmaps", other);
          }
        });
    Files.writeString(dir.resolve("nginx.conf"), "changed\n");
    assertThatThrownBy(
            () -> updater.createOrUpdate("web", "nginx-conf", ConfigMapContent.fromFolder(dir)))
        .isInstanceOf(ClusterRequestException.class)
        .satisfies(e -> assertThat(((ClusterRequestException) e).statusCode()).isEqualTo(409));
    assertThat(stored().getAsJsonObject("data").get("written-by").getAsString())
        .isEqualTo("someone else");
  }

  @Test
  void immutableConfigMapIsRefused() {
    fixture.createJson(
        "/api/v1/namespaces/web/configmaps",
        "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"nginx-conf\","
            + "\"namespace\":\"web\"},\"immutable\":true,\"data\":{\"a\":\"1\"}}");
    assertThatThrownBy(
            () ->
                ConfigMapUpdater.on(fixture.apiClient())
                    .createOrUpdate("web", "nginx-conf", ConfigMapContent.fromFolder(dir)))
        .isInstanceOf(OpskitException.class)
        .hasMessageContaining("immutable");
  }

  @Test
  void invalidNamesAreRejectedBeforeAnyRequest() {
    ConfigMapContent content = ConfigMapContent.builder().putData("a", "1").build();
    ConfigMapUpdater updater = ConfigMapUpdater.on(fixture.apiClient());
    assertThatThrownBy(() -> updater.createOrUpdate("Web", "x", content))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'Web'");
    assertThatThrownBy(() -> updater.createOrUpdate("web", "bad_name", content))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'bad_name'");
    assertThat(fixture.requests()).isEmpty();
  }
}
