package dev.opskit.iptables.internal;

import dev.opskit.iptables.AddrtypeMatch;
import dev.opskit.iptables.ConntrackMatch;
import dev.opskit.iptables.CtTarget;
import dev.opskit.iptables.HashlimitMatch;
import dev.opskit.iptables.IpFamily;
import dev.opskit.iptables.IptablesParseException;
import dev.opskit.iptables.LimitMatch;
import dev.opskit.iptables.LogTarget;
import dev.opskit.iptables.MarkMatch;
import dev.opskit.iptables.MarkTarget;
import dev.opskit.iptables.Match;
import dev.opskit.iptables.MatchExtension;
import dev.opskit.iptables.MultiportMatch;
import dev.opskit.iptables.NatTarget;
import dev.opskit.iptables.NfacctMatch;
import dev.opskit.iptables.PhysdevMatch;
import dev.opskit.iptables.PortMatch;
import dev.opskit.iptables.RecentMatch;
import dev.opskit.iptables.Rule;
import dev.opskit.iptables.SetMatch;
import dev.opskit.iptables.StateMatch;
import dev.opskit.iptables.StatisticMatch;
import dev.opskit.iptables.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Parses one rule specification in any option order iptables accepts: matches' options may follow a
 * later {@code -p} ({@code -m tcp -p tcp --dport 80}), a port option may load the protocol's module
 * implicitly ({@code -p tcp --dport 80}), long option names are accepted. The result is ordered as
 * iptables-save prints it; each module is typed when opskit models it, and kept as written
 * otherwise.
 */
final class RuleParser {
  private static final Map<String, String> LONG =
      Map.ofEntries(
          Map.entry("--source", "-s"),
          Map.entry("--src", "-s"),
          Map.entry("--destination", "-d"),
          Map.entry("--dst", "-d"),
          Map.entry("--in-interface", "-i"),
          Map.entry("--out-interface", "-o"),
          Map.entry("--protocol", "-p"),
          Map.entry("--fragment", "-f"),
          Map.entry("--match", "-m"),
          Map.entry("--jump", "-j"),
          Map.entry("--goto", "-g"));
  private static final Set<String> BASIC = Set.of("-s", "-d", "-i", "-o", "-p");

  /** A short option glued to its value, as getopt accepts it: {@code -ptcp}. */
  private static final Pattern GLUED = Pattern.compile("-[sdiopmjg][^-\\s].*");

  /** Modules typed only when written exactly as iptables-save prints them. */
  private static final Set<String> STRICT = Set.of("hashlimit");

  private static final Map<String, String> PROTOCOL_NUMBERS =
      Map.of("1", "icmp", "6", "tcp", "17", "udp", "58", "ipv6-icmp", "132", "sctp");
  private static final Set<String> PORT_OPTIONS =
      Set.of(
          "--sport",
          "--source-port",
          "--dport",
          "--destination-port",
          "--tcp-flags",
          "--syn",
          "--tcp-option",
          "--chunk-types");
  private static final Map<String, Predicate<String>> KNOWS =
      Map.ofEntries(
          Map.entry("tcp", PORT_OPTIONS::contains),
          Map.entry("udp", PORT_OPTIONS::contains),
          Map.entry("sctp", PORT_OPTIONS::contains),
          Map.entry("multiport", o -> o.endsWith("ports")),
          Map.entry("conntrack", o -> o.startsWith("--ct")),
          Map.entry("comment", "--comment"::equals),
          Map.entry("addrtype", o -> o.endsWith("-type") || o.startsWith("--limit-iface")),
          Map.entry("set", o -> !o.startsWith("--ct") && !PORT_OPTIONS.contains(o)),
          Map.entry("state", "--state"::equals),
          Map.entry("mark", "--mark"::equals),
          Map.entry("connmark", "--mark"::equals),
          Map.entry(
              "statistic", Set.of("--mode", "--probability", "--every", "--packet")::contains),
          Map.entry(
              "recent",
              Set.of(
                      "--set",
                      "--rcheck",
                      "--update",
                      "--remove",
                      "--seconds",
                      "--reap",
                      "--hitcount",
                      "--rttl",
                      "--name",
                      "--mask",
                      "--rsource",
                      "--rdest")
                  ::contains),
          Map.entry("physdev", o -> o.startsWith("--physdev")),
          Map.entry("limit", o -> o.startsWith("--limit")),
          Map.entry("nfacct", "--nfacct-name"::equals),
          Map.entry("hashlimit", o -> o.startsWith("--hashlimit")));

  private RuleParser() {}

  /** A module segment being collected: {@code -m NAME} and its option tokens. */
  private record Segment(String name, List<String> options) {}

  static Rule parse(IpFamily family, List<String> raw, int number, String line) {
    List<String> tokens = new ArrayList<>(raw);
    List<Object> parts = new ArrayList<>(); // Match (basic) or Segment, in order
    List<String> target = null;
    String protocol = null;
    Segment open = null;
    int i = 0;
    int n = tokens.size();
    while (i < n) {
      normalize(tokens, i);
      if (i + 1 < n && tokens.get(i).equals("!")) {
        normalize(tokens, i + 1);
      }
      n = tokens.size();
      String token = tokens.get(i);
      boolean negated = token.equals("!") && i + 1 < n;
      String option = negated ? tokens.get(i + 1) : token;
      if (BASIC.contains(option) || option.equals("-f")) {
        int end = i + (negated ? 1 : 0) + (option.equals("-f") ? 1 : 2);
        if (end > n) {
          throw new IptablesParseException(number, line, option + " needs a value");
        }
        Match match = basic(tokens.subList(i, end));
        if (match.kind() == Match.Kind.PROTOCOL && !match.isNegated()) {
          protocol = match.value().orElseThrow();
        }
        parts.add(match);
        open = null;
        i = end;
      } else if (option.equals("-m") && !negated) {
        if (i + 1 >= n) {
          throw new IptablesParseException(number, line, "-m needs a module name");
        }
        open = new Segment(tokens.get(i + 1), new ArrayList<>());
        parts.add(open);
        i += 2;
      } else if ((option.equals("-j") || option.equals("-g")) && !negated) {
        if (i + 1 >= n || target != null) {
          throw new IptablesParseException(number, line, option + " needs one target");
        }
        int end = i + 2;
        while (end < n && !startsMatch(tokens, end)) {
          end++;
        }
        target = tokens.subList(i, end);
        open = null;
        i = end;
      } else if (option.startsWith("--") || (open != null && !option.startsWith("-"))) {
        int end = i + (negated ? 2 : 1);
        while (end < n
            && !tokens.get(end).startsWith("--")
            && !tokens.get(end).equals("!")
            && !startsMatch(tokens, end)
            && !tokens.get(end).equals("-j")
            && !tokens.get(end).equals("-g")) {
          end++;
        }
        Segment owner = owner(parts, open, option, protocol);
        if (owner == null) {
          throw new IptablesParseException(number, line, "unexpected token '" + option + "'");
        }
        if (owner != open && !parts.contains(owner)) {
          parts.add(owner);
        }
        owner.options().addAll(tokens.subList(i, end));
        open = owner;
        i = end;
      } else {
        throw new IptablesParseException(number, line, "unexpected token '" + token + "'");
      }
    }
    Rule.Builder rule = Rule.builder();
    for (Object part : parts) {
      rule.addMatches(part instanceof Match m ? m : module((Segment) part, family, protocol));
    }
    if (target != null) {
      rule.target(target(family, target));
    }
    return rule.build();
  }

  /**
   * Rewrites the option at {@code index} as iptables-save spells it: a long name to its short form,
   * {@code --name=value} and a glued {@code -ptcp} to two tokens (as getopt reads them).
   */
  private static void normalize(List<String> tokens, int index) {
    String token = tokens.get(index);
    int equals = token.indexOf('=');
    if (token.startsWith("--") && equals > 2 && token.indexOf('"') < 0) {
      String name = token.substring(0, equals);
      tokens.set(index, LONG.getOrDefault(name, name));
      tokens.add(index + 1, token.substring(equals + 1));
    } else if (token.length() > 2 && GLUED.matcher(token).matches()) {
      tokens.set(index, token.substring(0, 2));
      tokens.add(index + 1, token.substring(2));
    } else {
      tokens.set(index, LONG.getOrDefault(token, token));
    }
  }

  private static boolean startsMatch(List<String> tokens, int index) {
    String token = tokens.get(index);
    String next = token.equals("!") && index + 1 < tokens.size() ? tokens.get(index + 1) : token;
    return BASIC.contains(next) || next.equals("-f") || token.equals("-m");
  }

  /**
   * The module an option belongs to: the open one or the latest that knows it, else the protocol's
   * own module loaded implicitly (as {@code -p tcp --dport 80} does); null when none.
   */
  private static Segment owner(List<Object> parts, Segment open, String option, String protocol) {
    if (open != null && knows(open.name(), option)) {
      return open;
    }
    for (int i = parts.size() - 1; i >= 0; i--) {
      if (parts.get(i) instanceof Segment segment && knows(segment.name(), option)) {
        return segment;
      }
    }
    if (protocol != null && KNOWS.containsKey(protocol) && knows(protocol, option)) {
      return new Segment(protocol, new ArrayList<>());
    }
    return null;
  }

  private static boolean knows(String module, String option) {
    Predicate<String> known = KNOWS.get(module);
    return known == null || known.test(option);
  }

  private static Match basic(List<String> tokens) {
    boolean negated = tokens.get(0).equals("!");
    List<String> plain = negated ? tokens.subList(1, tokens.size()) : tokens;
    if (plain.get(0).equals("-f")) {
      return Match.other(tokens);
    }
    String value = plain.get(1);
    try {
      Match match =
          switch (plain.get(0)) {
            case "-s" -> Match.source(value);
            case "-d" -> Match.destination(value);
            case "-i" -> Match.inInterface(value);
            case "-o" -> Match.outInterface(value);
            default -> Match.protocol(PROTOCOL_NUMBERS.getOrDefault(value, value));
          };
      return negated ? match.negate() : match;
    } catch (IllegalArgumentException e) {
      return Match.other(tokens);
    }
  }

  private static Match module(Segment segment, IpFamily family, String protocol) {
    List<String> tokens = new ArrayList<>(List.of("-m", segment.name()));
    tokens.addAll(segment.options());
    List<String> options = segment.options();
    try {
      if (segment.name().equals("comment")) {
        List<Options.Option> read = Options.read(options);
        if (read.size() == 1 && read.get(0).name().equals("--comment") && !read.get(0).negated()) {
          return Match.comment(Tokens.unquote(read.get(0).value()));
        }
        return Match.other(tokens);
      }
      MatchExtension typed = extension(segment.name(), options, family, protocol);
      if (typed == null) {
        return Match.other(tokens);
      }
      Match match = Match.of(typed);
      if (!match.tokens().equals(tokens) && STRICT.contains(segment.name())) {
        return Match.other(tokens);
      }
      if (!match.tokens().equals(tokens)) {
        // accepted in another spelling: typed only if its own printed form reads back the same
        MatchExtension again = extension(segment.name(), typed.options(), family, protocol);
        if (!match.equals(Match.of(again))) {
          return Match.other(tokens);
        }
      }
      return match;
    } catch (IllegalArgumentException e) {
      return Match.other(tokens);
    }
  }

  private static MatchExtension extension(
      String name, List<String> options, IpFamily family, String protocol) {
    return switch (name) {
      case "tcp", "udp", "sctp" -> PortMatch.parse(name, options);
      case "multiport" -> protocol == null ? null : MultiportMatch.parse(protocol, options);
      case "conntrack" -> ConntrackMatch.parse(options);
      case "addrtype" -> AddrtypeMatch.parse(options);
      case "set" -> SetMatch.parse(options);
      case "state" -> StateMatch.parse(options);
      case "mark", "connmark" -> MarkMatch.parse(name.equals("connmark"), options);
      case "statistic" -> StatisticMatch.parse(options);
      case "recent" -> RecentMatch.parse(family, options);
      case "physdev" -> PhysdevMatch.parse(options);
      case "limit" -> LimitMatch.parse(options);
      case "nfacct" -> NfacctMatch.parse(options);
      case "hashlimit" -> HashlimitMatch.parse(options);
      default -> null;
    };
  }

  private static Target target(IpFamily family, List<String> tokens) {
    String verb = tokens.get(0);
    String name = tokens.get(1);
    List<String> options = tokens.subList(2, tokens.size());
    try {
      Target typed = null;
      if (verb.equals("-g")) {
        typed = options.isEmpty() ? Target.goTo(name) : null;
      } else if (options.isEmpty() && name.equals("ACCEPT")) {
        typed = Target.accept();
      } else if (options.isEmpty() && name.equals("DROP")) {
        typed = Target.drop();
      } else if (options.isEmpty() && name.equals("RETURN")) {
        typed = Target.returnToCaller();
      } else if (name.equals("REJECT")) {
        typed = reject(family, options);
      } else {
        typed =
            switch (name) {
              case "LOG" -> Target.of(LogTarget.parse(options));
              case "DNAT", "SNAT", "MASQUERADE", "REDIRECT" ->
                  Target.of(NatTarget.parse(NatTarget.Kind.valueOf(name), options));
              case "MARK", "CONNMARK" ->
                  Target.of(MarkTarget.parse(name.equals("CONNMARK"), options));
              case "CT", "NOTRACK" -> Target.of(CtTarget.parse(name.equals("NOTRACK"), options));
              default -> options.isEmpty() && !isExtension(name) ? Target.jump(name) : null;
            };
      }
      if (typed != null) {
        return typed;
      }
    } catch (IllegalArgumentException e) {
      // keep as written below
    }
    return Target.other(tokens);
  }

  private static Target reject(IpFamily family, List<String> options) {
    if (options.isEmpty()) {
      return Target.reject(
          family == IpFamily.IPV6 ? "icmp6-port-unreachable" : "icmp-port-unreachable");
    }
    if (options.size() == 2 && options.get(0).equals("--reject-with")) {
      return Target.reject(options.get(1));
    }
    return null;
  }

  private static boolean isExtension(String name) {
    try {
      Target.jump(name);
      return false;
    } catch (IllegalArgumentException e) {
      return true;
    }
  }
}
