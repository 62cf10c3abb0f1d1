package dev.opskit.cluster;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.opskit.core.internal.IpLiterals;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The constraints Calico's {@code projectcalico.org/v3} CRD schemas and its validator put on the
 * GlobalNetworkPolicy and HostEndpoint fields opskit renders, restated here in our own words (the
 * schemas themselves are not copied). {@link #violations} lists every broken rule of one object.
 */
final class CalicoResourceRules {
  private static final String LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";

  private CalicoResourceRules() {}

  static List<String> violations(JsonObject resource) {
    List<String> out = new ArrayList<>();
    String kind = resource.get("kind").getAsString();
    String name = resource.getAsJsonObject("metadata").get("name").getAsString();
    JsonObject spec = resource.getAsJsonObject("spec");
    if (!resource.get("apiVersion").getAsString().equals("projectcalico.org/v3")) {
      out.add("apiVersion must be projectcalico.org/v3");
    }
    if (kind.equals("GlobalNetworkPolicy")) {
      // validator: a DNS label, optionally with one dot-separated prefix label; <= 253 chars
      if (name.length() > 253 || !name.matches("(" + LABEL + "\\.)?" + LABEL)) {
        out.add("policy name '" + name + "' is not a label with at most one dot");
      }
      globalNetworkPolicy(spec, out);
    } else if (kind.equals("HostEndpoint")) {
      if (name.length() > 253 || !name.matches(LABEL + "(\\." + LABEL + ")*")) {
        out.add("host endpoint name '" + name + "' is not a DNS-1123 subdomain");
      }
      hostEndpoint(spec, out);
    } else {
      out.add("unexpected kind " + kind);
    }
    return out;
  }

  private static void globalNetworkPolicy(JsonObject spec, List<String> out) {
    boolean preDnat = flag(spec, "preDNAT");
    // pre-DNAT needs applyOnForward, excludes doNotTrack, egress rules and the Egress type
    if (preDnat && !flag(spec, "applyOnForward")) {
      out.add("preDNAT requires applyOnForward");
    }
    if (preDnat && flag(spec, "doNotTrack")) {
      out.add("preDNAT and doNotTrack together");
    }
    if (preDnat && spec.has("egress") && spec.getAsJsonArray("egress").size() > 0) {
      out.add("preDNAT policy with egress rules");
    }
    JsonArray types = spec.getAsJsonArray("types");
    if (types == null || types.size() < 1 || types.size() > 2 || !unique(types)) {
      out.add("types must hold 1 or 2 distinct entries");
    } else if (preDnat && types.toString().contains("Egress")) {
      out.add("preDNAT policy with the Egress type");
    }
    if (spec.has("selector") && spec.get("selector").getAsString().length() > 1024) {
      out.add("selector longer than 1024");
    }
    JsonArray ingress = spec.getAsJsonArray("ingress");
    if (ingress.size() > 1024) {
      out.add("more than 1024 ingress rules: " + ingress.size());
    }
    for (int i = 0; i < ingress.size(); i++) {
      rule(ingress.get(i).getAsJsonObject(), "ingress[" + i + "]", out);
    }
  }

  private static void rule(JsonObject rule, String where, List<String> out) {
    String action = rule.get("action").getAsString();
    if (!Set.of("Allow", "Deny", "Log", "Pass").contains(action)) {
      out.add(where + " action " + action);
    }
    String protocol = rule.has("protocol") ? rule.get("protocol").getAsString() : "";
    Integer ipVersion = rule.has("ipVersion") ? rule.get("ipVersion").getAsInt() : null;
    if (ipVersion != null && ipVersion != 4 && ipVersion != 6) {
      out.add(where + " ipVersion " + ipVersion + " is not 4 or 6");
    }
    for (String side : List.of("source", "destination")) {
      if (!rule.has(side)) {
        continue;
      }
      JsonObject entity = rule.getAsJsonObject(side);
      Set<Integer> families = new HashSet<>();
      for (String field : List.of("nets", "notNets")) {
        if (!entity.has(field)) {
          continue;
        }
        JsonArray nets = entity.getAsJsonArray(field);
        // a set of at most 256 strictly masked networks
        if (nets.size() > 256) {
          out.add(where + "." + side + "." + field + " holds " + nets.size() + " (max 256)");
        }
        if (!unique(nets)) {
          out.add(where + "." + side + "." + field + " holds duplicates");
        }
        for (JsonElement net : nets) {
          String cidr = net.getAsString();
          int family = strictFamily(cidr);
          if (family == 0) {
            out.add(where + "." + side + " net '" + cidr + "' is not a strictly masked CIDR");
          } else {
            families.add(family);
          }
        }
      }
      // one family per rule, matching ipVersion when given
      if (families.size() > 1) {
        out.add(where + " rule contains both IPv4 and IPv6 CIDRs");
      }
      if (ipVersion != null && !families.isEmpty() && !families.contains(ipVersion)) {
        out.add(where + " nets do not match ipVersion " + ipVersion);
      }
      for (String field : List.of("ports", "notPorts")) {
        if (!entity.has(field)) {
          continue;
        }
        JsonArray ports = entity.getAsJsonArray(field);
        if (ports.size() > 50) {
          out.add(where + "." + side + "." + field + " holds " + ports.size() + " (max 50)");
        }
        // ports need a protocol that has them
        if (!Set.of("TCP", "UDP", "SCTP").contains(protocol)) {
          out.add(where + " has ports but protocol '" + protocol + "'");
        }
        for (JsonElement port : ports) {
          String text = port.getAsString();
          if (!text.matches("[0-9]{1,5}(:[0-9]{1,5})?")) {
            out.add(where + " port '" + text + "' is not N or N:M");
          } else {
            for (String part : text.split(":")) {
              int number = Integer.parseInt(part);
              if (number < 0 || number > 65535) {
                out.add(where + " port '" + text + "' out of range");
              }
            }
          }
        }
      }
    }
  }

  private static void hostEndpoint(JsonObject spec, List<String> out) {
    String iface = spec.has("interfaceName") ? spec.get("interfaceName").getAsString() : "";
    // an interface name of at most 15 characters, or "*" for all of them
    if (iface.length() > 15) {
      out.add("interfaceName longer than 15");
    }
    if (!spec.has("node") || spec.get("node").getAsString().length() > 253) {
      out.add("node missing or longer than 253");
    }
    JsonArray expected = spec.getAsJsonArray("expectedIPs");
    if (expected != null) {
      if (!unique(expected)) {
        out.add("expectedIPs holds duplicates");
      }
      for (JsonElement ip : expected) {
        if (!IpLiterals.isLiteral(ip.getAsString())) {
          out.add("expectedIPs entry '" + ip.getAsString() + "' is not an IP address");
        }
      }
    }
    if (iface.isEmpty() && (expected == null || expected.size() == 0)) {
      out.add("a host endpoint needs interfaceName or expectedIPs");
    }
    JsonArray profiles = spec.getAsJsonArray("profiles");
    if (profiles != null && !unique(profiles)) {
      out.add("profiles holds duplicates");
    }
  }

  /** 4 or 6 for a CIDR whose host bits are all zero, else 0. */
  private static int strictFamily(String cidr) {
    int slash = cidr.indexOf('/');
    if (slash < 0 || !IpLiterals.isLiteral(cidr.substring(0, slash))) {
      return 0;
    }
    InetAddress address = IpLiterals.forString(cidr.substring(0, slash));
    byte[] bytes = address.getAddress();
    int length;
    try {
      length = Integer.parseInt(cidr.substring(slash + 1));
    } catch (NumberFormatException e) {
      return 0;
    }
    if (length < 0 || length > bytes.length * 8) {
      return 0;
    }
    for (int bit = length; bit < bytes.length * 8; bit++) {
      if ((bytes[bit / 8] & (0x80 >> (bit % 8))) != 0) {
        return 0;
      }
    }
    return address instanceof Inet4Address ? 4 : 6;
  }

  private static boolean unique(JsonArray array) {
    Set<String> seen = new HashSet<>();
    for (JsonElement element : array) {
      if (!seen.add(element.toString())) {
        return false;
      }
    }
    return true;
  }

  private static boolean flag(JsonObject spec, String field) {
    return spec.has(field) && spec.get(field).getAsBoolean();
  }
}
