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
    // one Allow rule per family: Calico refuses a rule holding IPv4 and IPv6 CIDRs
    assertThat(ingress.size()).isEqualTo(3);
    assertThat(ingress.get(0).toString())
        .isEqualTo(
            "{\"action\":\"Allow\",\"ipVersion\":4,\"protocol\":\"TCP\",\"source\":{\"nets\":"
                + "[\"198.18.0.0/24\"]},\"destination\":{\"ports\":[30001,30002]}}");
    assertThat(ingress.get(1).toString())
        .isEqualTo(
            "{\"action\":\"Allow\",\"ipVersion\":6,\"protocol\":\"TCP\",\"source\":{\"nets\":"
                + "[\"fd00:198:18::/64\"]},\"destination\":{\"ports\":[30001,30002]}}");
    assertThat(ingress.get(2).getAsJsonObject().get("action").getAsString()).isEqualTo("Deny");
    assertThat(ingress.get(2).getAsJsonObject().has("source")).isFalse();
    assertThat(ingress.get(2).getAsJsonObject().has("ipVersion")).isFalse();
    assertThat(ingress.get(2).toString()).contains("\"ports\":[30001,30002]");

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

  private static JsonArray items(CalicoNodePortPolicy policy) {
    return JsonParser.parseString(policy.renderJson()).getAsJsonObject().getAsJsonArray("items");
  }

  private static void assertMeetsCalicoRules(CalicoNodePortPolicy policy) {
    for (var item : items(policy)) {
      assertThat(CalicoResourceRules.violations(item.getAsJsonObject()))
          .as(item.getAsJsonObject().get("kind") + " " + item.getAsJsonObject().get("metadata"))
          .isEmpty();
    }
  }

  private static List<String> v4Cidrs(int count) {
    List<String> cidrs = new java.util.ArrayList<>();
    for (int i = 0; i < count; i++) {
      cidrs.add("198." + (18 + i / 65536) + "." + (i / 256 % 256) + "." + (i % 256) + "/32");
    }
    return cidrs;
  }

  private static List<Integer> ports(int count) {
    List<Integer> ports = new java.util.ArrayList<>();
    for (int i = 0; i < count; i++) {
      ports.add(30000 + i);
    }
    return ports;
  }

  @Test
  void theRuleCheckerCatchesWhatCalicoRefuses() {
    // the checker below must be able to fail: a hand-written object breaking each rule
    JsonObject bad =
        JsonParser.parseString(
                "{\"apiVersion\":\"projectcalico.org/v3\",\"kind\":\"GlobalNetworkPolicy\","
                    + "\"metadata\":{\"name\":\"ops.nodeport.allowlist\"},\"spec\":{"
                    + "\"preDNAT\":true,\"types\":[\"Ingress\"],\"ingress\":[{\"action\":\"Allow\","
                    + "\"protocol\":\"TCP\",\"source\":{\"nets\":[\"198.18.0.0/24\",\"2001:db8::/32\","
                    + "\"1.2.3.4/16\",\"198.18.0.0/24\"]},\"destination\":{\"ports\":"
                    + ports(51)
                    + "}}]}}")
            .getAsJsonObject();
    assertThat(CalicoResourceRules.violations(bad))
        .anySatisfy(v -> assertThat(v).contains("at most one dot"))
        .anySatisfy(v -> assertThat(v).contains("preDNAT requires applyOnForward"))
        .anySatisfy(v -> assertThat(v).contains("both IPv4 and IPv6"))
        .anySatisfy(v -> assertThat(v).contains("'1.2.3.4/16' is not a strictly masked"))
        .anySatisfy(v -> assertThat(v).contains("holds duplicates"))
        .anySatisfy(v -> assertThat(v).contains("ports holds 51 (max 50)"));
  }

  @Test
  void everyRenderedObjectMeetsCalicoRules() {
    assertMeetsCalicoRules(policy());
    assertMeetsCalicoRules(
        CalicoNodePortPolicy.builder()
            .name("ops.nodeport-allowlist")
            .addAllPorts(ports(120))
            .addAllAllowedCidrs(v4Cidrs(600))
            .addAllowedCidrs("2001:db8::/32", "2001:DB8:0::/32", "198.18.0.0/32")
            .putNodes("node-a", List.of("198.18.0.10", "198.18.0.10", "2001:db8::a", "2001:DB8::A"))
            .build());
  }

  @Test
  void mixedFamiliesBecomeOneRulePerFamily() {
    JsonArray ingress =
        items(
                CalicoNodePortPolicy.builder()
                    .addPorts(30080)
                    .addAllowedCidrs("2001:db8::/32", "198.18.0.0/24", "198.19.0.0/16")
                    .build())
            .get(0)
            .getAsJsonObject()
            .getAsJsonObject("spec")
            .getAsJsonArray("ingress");
    assertThat(ingress.get(0).toString())
        .contains("\"ipVersion\":4")
        .contains("[\"198.18.0.0/24\",\"198.19.0.0/16\"]");
    assertThat(ingress.get(1).toString())
        .contains("\"ipVersion\":6")
        .contains("[\"2001:db8::/32\"]");
  }

  @Test
  void hostBitsAreRefusedNamingTheNetwork() {
    assertThatThrownBy(
            () ->
                CalicoNodePortPolicy.builder()
                    .addPorts(30001)
                    .addAllowedCidrs("1.2.3.4/16")
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'1.2.3.4/16' has host bits set")
        .hasMessageContaining("'1.2.0.0/16'");
    assertThatThrownBy(
            () ->
                CalicoNodePortPolicy.builder()
                    .addPorts(30001)
                    .addAllowedCidrs("2001:db8::1/32")
                    .build())
        .hasMessageContaining("'2001:db8::/32'");
    assertThat(
            CalicoNodePortPolicy.builder()
                .addPorts(30001)
                .addAllowedCidrs("198.18.0.1/32", "0.0.0.0/0")
                .build()
                .policyJson())
        .contains("198.18.0.1/32");
  }

  @Test
  void duplicatesAreRenderedOnce() {
    CalicoNodePortPolicy policy =
        CalicoNodePortPolicy.builder()
            .addPorts(30001, 30002, 30001)
            .addAllowedCidrs("198.18.0.0/24", "198.18.0.0/24", "2001:db8::/32", "2001:DB8:0::/32")
            .putNodes("node-a", List.of("198.18.0.10", "198.18.0.10", "2001:db8::a", "2001:DB8::A"))
            .build();
    JsonArray items = items(policy);
    String ingress =
        items.get(0).getAsJsonObject().getAsJsonObject("spec").getAsJsonArray("ingress").toString();
    assertThat(ingress)
        .contains("\"nets\":[\"198.18.0.0/24\"]")
        .contains("\"nets\":[\"2001:db8::/32\"]")
        .contains("\"ports\":[30001,30002]}")
        .doesNotContain("30001,30002,30001");
    assertThat(items.get(1).getAsJsonObject().getAsJsonObject("spec").get("expectedIPs").toString())
        .isEqualTo("[\"198.18.0.10\",\"2001:db8::a\"]");
  }

  @Test
  void listsOverCalicoLimitsAreSplitAcrossRules() {
    CalicoNodePortPolicy policy =
        CalicoNodePortPolicy.builder()
            .addAllPorts(ports(51))
            .addAllAllowedCidrs(v4Cidrs(257))
            .build();
    JsonArray ingress =
        items(policy).get(0).getAsJsonObject().getAsJsonObject("spec").getAsJsonArray("ingress");
    // 2 port chunks x 2 net chunks of Allow, then one Deny per port chunk
    assertThat(ingress.size()).isEqualTo(6);
    int allowedPairs = 0;
    for (var rule : ingress) {
      JsonObject r = rule.getAsJsonObject();
      int ports = r.getAsJsonObject("destination").getAsJsonArray("ports").size();
      assertThat(ports).isLessThanOrEqualTo(50);
      if (r.has("source")) {
        allowedPairs += ports * r.getAsJsonObject("source").getAsJsonArray("nets").size();
      }
    }
    assertThat(allowedPairs).as("every port x CIDR pair allowed exactly once").isEqualTo(51 * 257);
    assertMeetsCalicoRules(policy);
  }

  @Test
  void anAllowlistNeedingMoreThan1024RulesIsRefused() {
    assertThatThrownBy(
            () ->
                CalicoNodePortPolicy.builder()
                    .addAllPorts(ports(2500))
                    .addAllAllowedCidrs(v4Cidrs(256 * 20))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs 1050 rules")
        .hasMessageContaining("limit of 1024");
  }

  @Test
  void policyNamesFollowCalicosPattern() {
    assertThatThrownBy(
            () ->
                CalicoNodePortPolicy.builder()
                    .name("ops.nodeport.allowlist")
                    .addPorts(30001)
                    .addAllowedCidrs("198.18.0.0/24")
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'ops.nodeport.allowlist'")
        .hasMessageContaining("at most one '.'");
    assertThatThrownBy(
            () ->
                CalicoNodePortPolicy.builder()
                    .name("Ops")
                    .addPorts(30001)
                    .addAllowedCidrs("198.18.0.0/24")
                    .build())
        .hasMessageContaining("'Ops'");
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
