package dev.opskit.cluster;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.opskit.cluster.internal.calico.JsonCall;
import dev.opskit.cluster.internal.calico.YamlText;
import dev.opskit.core.internal.IpLiterals;
import dev.opskit.core.internal.OpskitStyle;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.immutables.value.Value;

/**
 * A Calico-native NodePort allowlist: a {@code GlobalNetworkPolicy} with {@code preDNAT: true} and
 * {@code applyOnForward: true} that allows the listed source CIDRs to the listed NodePorts and then
 * denies everyone else on those ports, plus the {@code HostEndpoint}s it needs to apply to.
 *
 * <pre>{@code
 * CalicoNodePortPolicy policy = CalicoNodePortPolicy.builder()
 *     .addPorts(30001, 30002)
 *     .addAllowedCidrs("198.18.0.0/24", "10.0.0.0/8")
 *     .putNodes("node-a", List.of("198.18.0.10"))
 *     .build();
 * Files.writeString(path, policy.renderYaml());   // calicoctl apply -f path
 * }</pre>
 *
 * <p>Why pre-DNAT: kube-proxy rewrites a NodePort's destination to {@code podIP:targetPort} before
 * normal host policy runs, so a rule on the NodePort must match before DNAT; Calico requires {@code
 * applyOnForward} for pre-DNAT policy, since the DNAT-ed traffic to a pod on another host is
 * forwarded. Pre-DNAT policy applies to host endpoints only, so one {@code HostEndpoint} per node
 * is rendered with {@code interfaceName: "*"} (all interfaces), the node's addresses as {@code
 * expectedIPs}, the selector label, and the {@code projectcalico-default-allow} profile: without
 * that profile a new host endpoint denies all traffic to the node that no policy allows (apart from
 * Calico's failsafe ports). Traffic to other ports matches no rule here and continues to normal
 * policy. Include node and pod CIDRs in the allowlist when in-cluster clients use the NodePorts.
 * Resources use {@code projectcalico.org/v3} for {@code calicoctl} or the Calico API server.
 *
 * <p>Rendered within Calico's own limits: CIDRs must be strictly masked ({@code 198.18.0.0/24}, not
 * {@code 198.18.0.1/24}) and are refused otherwise; duplicate CIDRs, ports and node addresses are
 * dropped (Calico keeps them in sets); IPv4 and IPv6 sources go to separate rules with {@code
 * ipVersion}, since Calico refuses a rule that mixes families; more than {@value
 * #MAX_PORTS_PER_RULE} ports or {@value #MAX_NETS_PER_RULE} CIDRs are split across rules, and an
 * allowlist that would need more than {@value #MAX_RULES} rules is refused. The policy name is a
 * lower-case DNS label with at most one dot, as Calico's validator requires.
 */
@Value.Immutable
@OpskitStyle
public abstract class CalicoNodePortPolicy {
  /** The most ports one Calico rule takes ({@code maxItems} of {@code ports}). */
  public static final int MAX_PORTS_PER_RULE = 50;

  /** The most networks one Calico rule takes ({@code maxItems} of {@code nets}). */
  public static final int MAX_NETS_PER_RULE = 256;

  /** The most ingress rules one Calico policy takes ({@code maxItems} of {@code ingress}). */
  public static final int MAX_RULES = 1024;

  private static final String LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
  private static final Pattern POLICY_NAME = Pattern.compile("(" + LABEL + "\\.)?" + LABEL);
  private static final Pattern NAME = Pattern.compile(LABEL + "(\\." + LABEL + ")*");

  CalicoNodePortPolicy() {}

  /** A builder; ports and allowed CIDRs are required. */
  public static Builder builder() {
    return new Builder();
  }

  /** The policy's name. */
  @Value.Default
  public String name() {
    return "opskit-nodeport-allowlist";
  }

  /** The NodePorts to guard (1-65535; Kubernetes' default range is 30000-32767). */
  public abstract List<Integer> ports();

  /** The protocol of the NodePorts: {@code TCP} (default), {@code UDP} or {@code SCTP}. */
  @Value.Default
  public String protocol() {
    return "TCP";
  }

  /**
   * Source CIDRs allowed to reach the ports, strictly masked; IPv4 and IPv6 may be mixed (they are
   * rendered as one rule per family).
   */
  public abstract List<String> allowedCidrs();

  /** Nodes to render host endpoints for: node name to its addresses ({@code expectedIPs}). */
  public abstract Map<String, List<String>> nodes();

  /** The policy's order; lower runs first. */
  @Value.Default
  public int order() {
    return 10;
  }

  /** The label put on the host endpoints and selected by the policy. */
  @Value.Default
  public String selectorLabel() {
    return "opskit.dev/nodeport-allowlist";
  }

  /**
   * Every node's {@code InternalIP} and {@code ExternalIP} addresses, read from the API (paged), in
   * the shape {@link Builder#putAllNodes(Map)} takes, so each node gets its {@code HostEndpoint}.
   *
   * <pre>{@code
   * CalicoNodePortPolicy.builder().putAllNodes(CalicoNodePortPolicy.nodeAddresses(client))…
   * }</pre>
   *
   * @throws ClusterRequestException when the API answers with an error status
   * @throws IOException when the API cannot be reached
   */
  public static Map<String, List<String>> nodeAddresses(ApiClient client) throws IOException {
    CoreV1Api api = new CoreV1Api(client);
    Map<String, List<String>> nodes = new TreeMap<>();
    String token = null;
    for (int page = 0; page < 100_000; page++) {
      String next = token;
      JsonObject list =
          JsonCall.execute(
              client, () -> api.listNode().limit(500)._continue(next).buildCall(null), null);
      JsonElement items = list.get("items");
      if (items != null && items.isJsonArray()) {
        for (JsonElement item : items.getAsJsonArray()) {
          addNode(item, nodes);
        }
      }
      token = JsonCall.string(list, "metadata", "continue").filter(t -> !t.isEmpty()).orElse(null);
      if (token == null || token.equals(next)) {
        break;
      }
    }
    return nodes;
  }

  private static void addNode(JsonElement item, Map<String, List<String>> nodes) {
    if (!item.isJsonObject()) {
      return;
    }
    JsonObject node = item.getAsJsonObject();
    String name = JsonCall.string(node, "metadata", "name").orElse("");
    List<String> addresses = new ArrayList<>();
    JsonElement status = node.get("status");
    JsonElement list =
        status != null && status.isJsonObject() ? status.getAsJsonObject().get("addresses") : null;
    if (list != null && list.isJsonArray()) {
      for (JsonElement address : list.getAsJsonArray()) {
        if (address.isJsonObject()) {
          String type = JsonCall.string(address.getAsJsonObject(), "type").orElse("");
          String value = JsonCall.string(address.getAsJsonObject(), "address").orElse("");
          if ((type.equals("InternalIP") || type.equals("ExternalIP"))
              && IpLiterals.isLiteral(value)
              && !addresses.contains(value)) {
            addresses.add(value);
          }
        }
      }
    }
    if (!name.isEmpty()) {
      nodes.put(name, addresses);
    }
  }

  /** The {@code GlobalNetworkPolicy} object. */
  public String policyJson() {
    return json(policy());
  }

  /** The GlobalNetworkPolicy and every HostEndpoint as a multi-document YAML stream. */
  public String renderYaml() {
    StringBuilder out = new StringBuilder();
    for (JsonObject resource : resources()) {
      out.append("---\n").append(YamlText.of(resource));
    }
    return out.toString();
  }

  /** The GlobalNetworkPolicy and every HostEndpoint as one JSON {@code List}. */
  public String renderJson() {
    JsonObject list = new JsonObject();
    list.addProperty("apiVersion", "v1");
    list.addProperty("kind", "List");
    JsonArray items = new JsonArray();
    resources().forEach(items::add);
    list.add("items", items);
    return json(list);
  }

  private List<JsonObject> resources() {
    List<JsonObject> resources = new ArrayList<>();
    resources.add(policy());
    nodes().forEach((node, addresses) -> resources.add(hostEndpoint(node, addresses)));
    return resources;
  }

  private JsonObject policy() {
    JsonObject spec = new JsonObject();
    spec.addProperty("order", order());
    spec.addProperty("selector", "has(" + selectorLabel() + ")");
    spec.addProperty("preDNAT", true);
    spec.addProperty("applyOnForward", true);
    JsonArray types = new JsonArray();
    types.add("Ingress");
    spec.add("types", types);
    JsonArray ingress = new JsonArray();
    List<List<Integer>> portChunks = chunks(uniquePorts(), MAX_PORTS_PER_RULE);
    for (List<Integer> ports : portChunks) {
      for (int family : new int[] {4, 6}) {
        for (List<String> nets : chunks(uniqueCidrs(family), MAX_NETS_PER_RULE)) {
          ingress.add(rule("Allow", family, nets, ports));
        }
      }
    }
    for (List<Integer> ports : portChunks) {
      ingress.add(rule("Deny", 0, List.of(), ports));
    }
    spec.add("ingress", ingress);
    return resource("GlobalNetworkPolicy", name(), spec, null);
  }

  private JsonObject rule(String action, int ipVersion, List<String> nets, List<Integer> ports) {
    JsonObject rule = new JsonObject();
    rule.addProperty("action", action);
    if (ipVersion != 0) {
      rule.addProperty("ipVersion", ipVersion);
    }
    rule.addProperty("protocol", protocol());
    if (!nets.isEmpty()) {
      JsonObject source = new JsonObject();
      JsonArray array = new JsonArray();
      nets.forEach(array::add);
      source.add("nets", array);
      rule.add("source", source);
    }
    JsonObject destination = new JsonObject();
    JsonArray array = new JsonArray();
    ports.forEach(array::add);
    destination.add("ports", array);
    rule.add("destination", destination);
    return rule;
  }

  private List<Integer> uniquePorts() {
    return List.copyOf(new LinkedHashSet<>(ports()));
  }

  /** The allowed CIDRs of one family (4 or 6), in canonical text, without duplicates. */
  private List<String> uniqueCidrs(int family) {
    Set<String> unique = new LinkedHashSet<>();
    for (String cidr : allowedCidrs()) {
      int slash = cidr.indexOf('/');
      InetAddress address = IpLiterals.forString(cidr.substring(0, slash));
      if ((address instanceof Inet4Address) == (family == 4)) {
        unique.add(IpLiterals.toText(address) + cidr.substring(slash));
      }
    }
    return List.copyOf(unique);
  }

  private int ruleCount() {
    int portChunks = (uniquePorts().size() + MAX_PORTS_PER_RULE - 1) / MAX_PORTS_PER_RULE;
    int netChunks = 0;
    for (int family : new int[] {4, 6}) {
      netChunks += (uniqueCidrs(family).size() + MAX_NETS_PER_RULE - 1) / MAX_NETS_PER_RULE;
    }
    return portChunks * (netChunks + 1);
  }

  private JsonObject hostEndpoint(String node, List<String> addresses) {
    JsonObject spec = new JsonObject();
    spec.addProperty("node", node);
    spec.addProperty("interfaceName", "*");
    JsonArray expected = new JsonArray();
    Set<String> unique = new LinkedHashSet<>();
    addresses.forEach(a -> unique.add(IpLiterals.toText(IpLiterals.forString(a))));
    unique.forEach(expected::add);
    spec.add("expectedIPs", expected);
    JsonArray profiles = new JsonArray();
    profiles.add("projectcalico-default-allow");
    spec.add("profiles", profiles);
    JsonObject labels = new JsonObject();
    labels.addProperty(selectorLabel(), "true");
    return resource("HostEndpoint", node + "-opskit", spec, labels);
  }

  private static JsonObject resource(String kind, String name, JsonObject spec, JsonObject labels) {
    JsonObject metadata = new JsonObject();
    metadata.addProperty("name", name);
    if (labels != null) {
      metadata.add("labels", labels);
    }
    JsonObject resource = new JsonObject();
    resource.addProperty("apiVersion", "projectcalico.org/v3");
    resource.addProperty("kind", kind);
    resource.add("metadata", metadata);
    resource.add("spec", spec);
    return resource;
  }

  private static String json(JsonObject object) {
    return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(object)
        + "\n";
  }

  @Value.Check
  void check() {
    if (!POLICY_NAME.matcher(name()).matches() || name().length() > 253) {
      throw new IllegalArgumentException(
          "policy name '"
              + name()
              + "' is not a Calico policy name: lower-case letters, digits and '-', at most 253"
              + " characters, with at most one '.'");
    }
    if (ports().isEmpty()) {
      throw new IllegalArgumentException("at least one port is required");
    }
    for (int port : ports()) {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port " + port + " is outside 1-65535");
      }
    }
    if (!List.of("TCP", "UDP", "SCTP").contains(protocol())) {
      throw new IllegalArgumentException("protocol '" + protocol() + "' is not TCP, UDP or SCTP");
    }
    if (allowedCidrs().isEmpty()) {
      throw new IllegalArgumentException(
          "at least one allowed CIDR is required (an empty allowlist would deny everyone)");
    }
    for (String cidr : allowedCidrs()) {
      checkCidr(cidr);
    }
    if (ruleCount() > MAX_RULES) {
      throw new IllegalArgumentException(
          "the allowlist needs "
              + ruleCount()
              + " rules ("
              + MAX_PORTS_PER_RULE
              + " ports and "
              + MAX_NETS_PER_RULE
              + " CIDRs per rule), over Calico's limit of "
              + MAX_RULES
              + " rules per policy; use fewer ports or aggregate CIDRs");
    }
    if (!selectorLabel().matches("([a-z0-9.-]+/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")) {
      throw new IllegalArgumentException("selector label '" + selectorLabel() + "' is invalid");
    }
    nodes()
        .forEach(
            (node, addresses) -> {
              if (!NAME.matcher(node).matches() || node.length() > 245) {
                throw new IllegalArgumentException("node name '" + node + "' is not a DNS name");
              }
              for (String address : addresses) {
                if (!IpLiterals.isLiteral(address) || address.contains("%")) {
                  throw new IllegalArgumentException(
                      "node " + node + " address '" + address + "' is not an IP address");
                }
              }
            });
  }

  private static void checkCidr(String cidr) {
    int slash = cidr.indexOf('/');
    String address = slash < 0 ? cidr : cidr.substring(0, slash);
    if (!IpLiterals.isLiteral(address) || address.contains("%")) {
      throw new IllegalArgumentException("allowed CIDR '" + cidr + "' is not ADDRESS/LENGTH");
    }
    int max = IpLiterals.forString(address) instanceof Inet4Address ? 32 : 128;
    String length = slash < 0 ? "" : cidr.substring(slash + 1);
    if (!length.matches("[0-9]{1,3}") || Integer.parseInt(length) > max) {
      throw new IllegalArgumentException(
          "allowed CIDR '" + cidr + "' needs a prefix length in 0.." + max);
    }
    int bits = Integer.parseInt(length);
    byte[] original = IpLiterals.forString(address).getAddress();
    byte[] bytes = original.clone();
    for (int bit = bits; bit < bytes.length * 8; bit++) {
      bytes[bit / 8] &= (byte) ~(0x80 >> (bit % 8));
    }
    if (!Arrays.equals(original, bytes)) {
      String network;
      try {
        network = IpLiterals.toText(InetAddress.getByAddress(bytes));
      } catch (UnknownHostException e) {
        throw new IllegalStateException(e);
      }
      throw new IllegalArgumentException(
          "allowed CIDR '"
              + cidr
              + "' has host bits set; Calico accepts only strictly masked networks: write '"
              + network
              + "/"
              + bits
              + "' if that network is meant");
    }
  }

  /** Builds a {@link CalicoNodePortPolicy}. */
  public static final class Builder extends ImmutableCalicoNodePortPolicy.Builder {
    Builder() {}
  }

  /**
   * {@code list} cut into consecutive pieces of {@code size} elements (the last may be shorter).
   */
  private static <T> List<List<T>> chunks(List<T> list, int size) {
    List<List<T>> chunks = new ArrayList<>();
    for (int from = 0; from < list.size(); from += size) {
      chunks.add(list.subList(from, Math.min(list.size(), from + size)));
    }
    return chunks;
  }
}
