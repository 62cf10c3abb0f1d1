package dev.opskit.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

class CalicoNodePortPolicyTest {
  private static CalicoNodePortPolicy policy() {
    return CalicoNodePortPolicy.builder()
        .addPorts(30001, 30002)
        .addAllowedCidrs("198.18.0.0/24", "fd00:198:18::/64")
        .putNodes("node-a", List.of("198.18.0.10"))
        .putNodes("node-b", List.of("198.18.0.11", "fd00:198:18::11"))
        .build();
  }

  @Test
  void jsonListHoldsPolicyThenHostEndpoints() {
    JsonObject list = JsonParser.parseString(policy().renderJson()).getAsJsonObject();
    JsonArray items = list.getAsJsonArray("items");
    assertThat(items.size()).isEqualTo(3);
    JsonObject gnp = items.get(0).getAsJsonObject();
    assertThat(gnp.get("kind").getAsString()).isEqualTo("GlobalNetworkPolicy");
    assertThat(gnp.get("apiVersion").getAsString()).isEqualTo("projectcalico.org/v3");
    JsonObject spec = gnp.getAsJsonObject("spec");
    assertThat(spec.get("preDNAT").getAsBoolean()).isTrue();
    assertThat(spec.get("applyOnForward").getAsBoolean()).isTrue();
    assertThat(spec.get("selector").getAsString()).isEqualTo("has(opskit.dev/nodeport-allowlist)");
    JsonArray ingress = spec.getAsJsonArray("ingress");
    assertThat(ingress.get(0).getAsJsonObject().get("action").getAsString()).isEqualTo("Allow");
    assertThat(ingress.get(0).toString())
        .contains("\"nets\":[\"198.18.0.0/24\",\"fd00:198:18::/64\"]")
        .contains("\"ports\":[30001,30002]");
    assertThat(ingress.get(1).getAsJsonObject().get("action").getAsString()).isEqualTo("Deny");
    assertThat(ingress.get(1).getAsJsonObject().has("source")).isFalse();
    assertThat(ingress.get(1).toString()).contains("\"ports\":[30001,30002]");

    JsonObject hep = items.get(2).getAsJsonObject();
    assertThat(hep.get("kind").getAsString()).isEqualTo("HostEndpoint");
    assertThat(hep.getAsJsonObject("metadata").get("name").getAsString())
        .isEqualTo("node-b-opskit");
    assertThat(
            hep.getAsJsonObject("metadata")
                .getAsJsonObject("labels")
                .get("opskit.dev/nodeport-allowlist")
                .getAsString())
        .isEqualTo("true");
    assertThat(hep.getAsJsonObject("spec").get("interfaceName").getAsString()).isEqualTo("*");
    assertThat(hep.getAsJsonObject("spec").getAsJsonArray("expectedIPs").size()).isEqualTo(2);
    assertThat(hep.getAsJsonObject("spec").getAsJsonArray("profiles").get(0).getAsString())
        .isEqualTo("projectcalico-default-allow");
  }

  @Test
  @SuppressWarnings("unchecked")
  void yamlParsesToTheSameObjectsAsJson() {
    Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
    List<Object> documents = new java.util.ArrayList<>();
    yaml.loadAll(policy().renderYaml()).forEach(documents::add);
    assertThat(documents).hasSize(3);
    Map<String, Object> json =
        new com.google.gson.Gson().fromJson(policy().renderJson(), Map.class);
    List<Object> items = (List<Object>) json.get("items");
    // Gson reads numbers as doubles; compare through JSON text of both
    for (int i = 0; i < 3; i++) {
      assertThat(normalise(documents.get(i))).isEqualTo(normalise(items.get(i)));
    }
    assertThat(policy().renderYaml())
        .startsWith("---\napiVersion: \"projectcalico.org/v3\"\nkind: \"GlobalNetworkPolicy\"\n")
        .contains("  preDNAT: true\n  applyOnForward: true\n");
  }

  private static String normalise(Object tree) {
    return JsonParser.parseString(new com.google.gson.Gson().toJson(tree))
        .toString()
        .replace(".0,", ",")
        .replace(".0]", "]")
        .replace(".0}", "}");
  }

  @Test
  void rejectsBadInput() {
    assertThatThrownBy(() -> CalicoNodePortPolicy.builder().addAllowedCidrs("10.0.0.0/8").build())
        .hasMessageContaining("at least one port");
    assertThatThrownBy(() -> CalicoNodePortPolicy.builder().addPorts(30001).build())
        .hasMessageContaining("at least one allowed CIDR");
    assertThatThrownBy(
            () ->
                CalicoNodePortPolicy.builder()
                    .addPorts(70000)
                    .addAllowedCidrs("10.0.0.0/8")
                    .build())
        .hasMessageContaining("port 70000");
    assertThatThrownBy(
            () ->
                CalicoNodePortPolicy.builder()
                    .addPorts(30001)
                    .addAllowedCidrs("10.0.0.0/33")
                    .build())
        .hasMessageContaining("'10.0.0.0/33'");
    assertThatThrownBy(
            () ->
                CalicoNodePortPolicy.builder().addPorts(30001).addAllowedCidrs("10.0.0.1").build())
        .hasMessageContaining("needs a prefix length");
    assertThatThrownBy(
            () ->
                CalicoNodePortPolicy.builder()
                    .addPorts(30001)
                    .addAllowedCidrs("10.0.0.0/8")
                    .protocol("ICMP")
                    .build())
        .hasMessageContaining("'ICMP'");
    assertThatThrownBy(
            () ->
                CalicoNodePortPolicy.builder()
                    .addPorts(30001)
                    .addAllowedCidrs("10.0.0.0/8")
                    .putNodes("node-a", List.of("not-an-ip"))
                    .build())
        .hasMessageContaining("'not-an-ip'");
  }
}
