package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.opskit.cluster.internal.image.Tabular;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImageReportFormatTest {
  private static final String SHA_A = ImageInventoryTest.SHA_A;

  private static List<ContainerImage> containers() {
    return List.of(
        ContainerImage.builder()
            .namespace("prod")
            .pod("web-1")
            .node("node-a")
            .container("app")
            .kind(ContainerKind.INIT)
            .image("nginx:1.27")
            .imageId("docker.io/library/nginx@" + SHA_A)
            .build(),
        ContainerImage.builder()
            .namespace("prod")
            .pod("odd, \"quoted\"\nname")
            .container("c")
            .kind(ContainerKind.EPHEMERAL)
            .image("bad image")
            .build());
  }

  @Test
  void csvQuotesPerRfc4180() throws IOException {
    StringBuilder out = new StringBuilder();
    ImageReportFormat.CSV.writeContainers(containers(), out);
    String[] lines = out.toString().split("\r\n", -1);
    assertThat(lines[0])
        .isEqualTo("namespace,pod,node,container,kind,image,reference,imageId,runningDigest");
    assertThat(lines[1])
        .isEqualTo(
            "prod,web-1,node-a,app,init,nginx:1.27,docker.io/library/nginx:1.27,"
                + "docker.io/library/nginx@"
                + SHA_A
                + ","
                + SHA_A);
    // the line break inside the quoted field is kept; the record ends with CRLF
    assertThat(out.toString())
        .contains("\r\nprod,\"odd, \"\"quoted\"\"\nname\",,c,ephemeral,bad image,,,\r\n");
    assertThat(out.toString()).endsWith("\r\n");
    assertThat(parseCsv(out.toString()).get(2))
        .containsExactly(
            "prod", "odd, \"quoted\"\nname", "", "c", "ephemeral", "bad image", "", "", "");
  }

  @Test
  void csvFieldQuotingRules() {
    assertThat(Tabular.csvField("plain")).isEqualTo("plain");
    assertThat(Tabular.csvField("")).isEqualTo("");
    assertThat(Tabular.csvField("a,b")).isEqualTo("\"a,b\"");
    assertThat(Tabular.csvField("say \"hi\"")).isEqualTo("\"say \"\"hi\"\"\"");
    assertThat(Tabular.csvField("a\rb")).isEqualTo("\"a\rb\"");
  }

  @Test
  void jsonIsAnArrayOfTypedObjects() throws IOException {
    StringBuilder out = new StringBuilder();
    ImageReportFormat.JSON.writeContainers(containers(), out);
    JsonArray array = JsonParser.parseString(out.toString()).getAsJsonArray();
    assertThat(array.size()).isEqualTo(2);
    JsonObject first = array.get(0).getAsJsonObject();
    assertThat(first.get("reference").getAsString()).isEqualTo("docker.io/library/nginx:1.27");
    assertThat(first.get("runningDigest").getAsString()).isEqualTo(SHA_A);
    assertThat(array.get(1).getAsJsonObject().get("pod").getAsString())
        .isEqualTo("odd, \"quoted\"\nname");

    ImageViews views = ImageViews.create(ImagePolicy.defaults());
    containers().forEach(views::add);
    StringBuilder images = new StringBuilder();
    ImageReportFormat.JSON.writeImages(views.images(), images);
    JsonObject nginx =
        JsonParser.parseString(images.toString()).getAsJsonArray().get(1).getAsJsonObject();
    assertThat(nginx.get("image").getAsString()).isEqualTo("docker.io/library/nginx:1.27");
    assertThat(nginx.get("pods").getAsLong()).isEqualTo(1);
    assertThat(nginx.get("registry").getAsString()).isEqualTo("docker.io");
    assertThat(nginx.get("runningDigests").getAsJsonArray().get(0).getAsString()).isEqualTo(SHA_A);
  }

  @Test
  void tableAlignsColumns() throws IOException {
    ImageViews views = ImageViews.create(ImagePolicy.defaults());
    containers().forEach(views::add);
    StringBuilder out = new StringBuilder();
    ImageReportFormat.TABLE.writeFindings(views.findings(), out);
    String[] lines = out.toString().split("\n");
    assertThat(lines[0]).startsWith("KIND").contains("IMAGE").contains("PODS").contains("DETAIL");
    assertThat(lines[1]).startsWith("INVALID_REFERENCE  bad image");
    assertThat(lines[0].indexOf("IMAGE")).isEqualTo(lines[1].indexOf("bad image"));
  }

  /** A small RFC 4180 reader, to prove the writer's output reads back to the same fields. */
  static List<List<String>> parseCsv(String text) {
    List<List<String>> records = new ArrayList<>();
    List<String> record = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
          field.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          field.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        record.add(field.toString());
        field.setLength(0);
      } else if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
        record.add(field.toString());
        field.setLength(0);
        records.add(record);
        record = new ArrayList<>();
        i++;
      } else {
        field.append(c);
      }
    }
    return records;
  }
}
