package dev.opskit.iptables.internal;

import dev.opskit.iptables.Chain;
import dev.opskit.iptables.ConntrackState;
import dev.opskit.iptables.IpFamily;
import dev.opskit.iptables.IptablesParseException;
import dev.opskit.iptables.IptablesRuleSet;
import dev.opskit.iptables.Match;
import dev.opskit.iptables.PortRange;
import dev.opskit.iptables.Rule;
import dev.opskit.iptables.Table;
import dev.opskit.iptables.Target;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/** Parses iptables-save output into the typed model, keeping unknown parts as written. */
public final class RuleSetParser {
  private static final Set<String> BASIC = Set.of("-s", "-d", "-i", "-o", "-p");
  private static final Pattern V6_RULE = Pattern.compile(".* -[sd] [0-9a-fA-F:]*:[0-9a-fA-F:]*/.*");
  private static final Pattern COUNTERS = Pattern.compile("\\[[0-9]+:[0-9]+\\]");

  private RuleSetParser() {}

  /** Parses {@code text}; {@code family} may be null to infer it. */
  public static IptablesRuleSet parse(IpFamily family, String text) {
    return parse(family, text, Map.of());
  }

  /**
   * Parses {@code text}, taking a rule line found in {@code known} (as made by {@link #knownLines})
   * from there instead of parsing it again. Exact, because {@code known} holds only rules built
   * from typed matches and targets, whose rendered line parses back to an equal rule.
   */
  public static IptablesRuleSet parse(IpFamily family, String text, Map<String, Rule> known) {
    String[] lines = text.split("\n", -1);
    IpFamily effective = family != null ? family : inferFamily(lines);
    List<Table> tables = new ArrayList<>();
    String table = null;
    int tableLine = 0;
    Map<String, Chain.Builder> chains = new LinkedHashMap<>();
    Map<String, Optional<String>> policies = new LinkedHashMap<>();
    for (int i = 0; i < lines.length; i++) {
      int number = i + 1;
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      try {
        if (line.startsWith("*")) {
          if (table != null) {
            throw new IptablesParseException(number, line, "table " + table + " lacks COMMIT");
          }
          table = line.substring(1);
          Table.builtinChains(table);
          tableLine = number;
          chains.clear();
          policies.clear();
        } else if (table == null) {
          throw new IptablesParseException(number, line, "expected *table before this line");
        } else if (line.equals("COMMIT")) {
          Table.Builder builder = Table.builder().name(table);
          for (Map.Entry<String, Chain.Builder> chain : chains.entrySet()) {
            builder.addChains(chain.getValue().build());
          }
          tables.add(builder.build());
          table = null;
        } else if (line.startsWith(":")) {
          String[] parts = line.substring(1).split("\\s+");
          if (parts.length < 2 || parts.length > 3) {
            throw new IptablesParseException(number, line, "expected :CHAIN POLICY [pkts:bytes]");
          }
          String name = parts[0];
          if (chains.containsKey(name)) {
            throw new IptablesParseException(number, line, "chain " + name + " declared twice");
          }
          Chain.Builder chain = Chain.builder().name(name);
          if (!parts[1].equals("-")) {
            chain.policy(parts[1]);
          }
          chains.put(name, chain);
        } else {
          String body = line;
          if (body.startsWith("[")) {
            int end = body.indexOf(']');
            if (end < 0 || !COUNTERS.matcher(body.substring(0, end + 1)).matches()) {
              throw new IptablesParseException(number, line, "malformed counters");
            }
            body = body.substring(end + 1).strip();
          }
          Rule hinted = known.isEmpty() ? null : known.get(body);
          if (hinted != null) {
            String name =
                body.substring(3, body.indexOf(' ', 3) < 0 ? body.length() : body.indexOf(' ', 3));
            chainFor(chains, table, name, number, line).addRules(hinted);
            continue;
          }
          List<String> tokens = Tokens.split(body);
          if (tokens.size() < 2 || !tokens.get(0).equals("-A")) {
            throw new IptablesParseException(number, line, "expected -A CHAIN RULE");
          }
          chainFor(chains, table, tokens.get(1), number, line)
              .addRules(parseRule(tokens.subList(2, tokens.size()), number, line));
        }
      } catch (IllegalArgumentException e) {
        throw new IptablesParseException(number, line, e.getMessage());
      }
    }
    if (table != null) {
      throw new IptablesParseException(tableLine, "*" + table, "table has no COMMIT");
    }
    try {
      return IptablesRuleSet.builder().family(effective).addAllTables(tables).build();
    } catch (IllegalArgumentException e) {
      throw new IptablesParseException(1, lines.length > 0 ? lines[0] : "", e.getMessage());
    }
  }

  private static Chain.Builder chainFor(
      Map<String, Chain.Builder> chains, String table, String name, int number, String line) {
    Chain.Builder chain = chains.get(name);
    if (chain == null) {
      if (!Table.builtinChains(table).contains(name)) {
        throw new IptablesParseException(number, line, "chain " + name + " not declared");
      }
      chain = Chain.builder().name(name);
      chains.put(name, chain);
    }
    return chain;
  }

  /**
   * The {@code -A CHAIN SPEC} lines of the sets' rules that are built only from typed matches and
   * targets, mapped to their rule: a save line equal to one of them parses to that very rule.
   */
  public static Map<String, Rule> knownLines(List<IptablesRuleSet> sets) {
    Map<String, Rule> known = new HashMap<>();
    for (IptablesRuleSet set : sets) {
      for (Table table : set.tables()) {
        for (Chain chain : table.chains()) {
          for (Rule rule : chain.rules()) {
            if (isTyped(rule)) {
              known.put(RuleSetRenderer.ruleLine("-A", chain.name(), rule), rule);
            }
          }
        }
      }
    }
    return known;
  }

  private static boolean isTyped(Rule rule) {
    for (Match match : rule.matches()) {
      if (match.kind() == Match.Kind.OTHER) {
        return false;
      }
    }
    return rule.target().map(t -> t.kind() != Target.Kind.OTHER).orElse(true);
  }

  private static IpFamily inferFamily(String[] lines) {
    for (String line : lines) {
      if (line.startsWith("# Generated by ip6tables")) {
        return IpFamily.IPV6;
      }
      if (line.startsWith("# Generated by iptables")) {
        return IpFamily.IPV4;
      }
    }
    for (String line : lines) {
      if (line.startsWith("-A") && (line.contains(" -s ") || line.contains(" -d "))) {
        return V6_RULE.matcher(line).matches() ? IpFamily.IPV6 : IpFamily.IPV4;
      }
    }
    return IpFamily.IPV4;
  }

  static Rule parseRule(List<String> tokens, int number, String line) {
    Rule.Builder rule = Rule.builder();
    String protocol = null;
    int i = 0;
    int n = tokens.size();
    while (i < n) {
      String token = tokens.get(i);
      boolean negated = token.equals("!");
      String option = negated && i + 1 < n ? tokens.get(i + 1) : token;
      if (BASIC.contains(option)) {
        int end = i + (negated ? 3 : 2);
        if (end > n) {
          throw new IptablesParseException(number, line, option + " needs a value");
        }
        Match match = basic(tokens.subList(i, end));
        if (match.kind() == Match.Kind.PROTOCOL) {
          protocol = match.tokens().get(1);
        }
        rule.addMatches(match);
        i = end;
      } else if (option.equals("-f")) {
        int end = i + (negated ? 2 : 1);
        rule.addMatches(Match.other(tokens.subList(i, end)));
        i = end;
      } else if (option.equals("-m") && !negated) {
        if (i + 1 >= n) {
          throw new IptablesParseException(number, line, "-m needs a module name");
        }
        int end = i + 2;
        while (end < n && !segmentStart(tokens, end)) {
          end++;
        }
        rule.addMatches(module(tokens.subList(i, end), protocol));
        i = end;
      } else if ((option.equals("-j") || option.equals("-g")) && !negated) {
        if (i + 1 >= n) {
          throw new IptablesParseException(number, line, option + " needs a target");
        }
        rule.target(target(tokens.subList(i, n)));
        i = n;
      } else {
        throw new IptablesParseException(number, line, "unexpected token '" + token + "'");
      }
    }
    return rule.build();
  }

  private static boolean segmentStart(List<String> tokens, int index) {
    String token = tokens.get(index);
    if (token.equals("-m") || token.equals("-j") || token.equals("-g") || token.equals("-f")) {
      return true;
    }
    if (BASIC.contains(token)) {
      return true;
    }
    if (token.equals("!") && index + 1 < tokens.size()) {
      String next = tokens.get(index + 1);
      return BASIC.contains(next) || next.equals("-f");
    }
    return false;
  }

  private static Match basic(List<String> tokens) {
    if (tokens.get(0).equals("!")) {
      return Match.other(tokens);
    }
    String value = tokens.get(1);
    switch (tokens.get(0)) {
      case "-s":
        return typed(tokens, () -> Match.source(value));
      case "-d":
        return typed(tokens, () -> Match.destination(value));
      case "-i":
        return typed(tokens, () -> Match.inInterface(value));
      case "-o":
        return typed(tokens, () -> Match.outInterface(value));
      default:
        return typed(tokens, () -> Match.protocol(value));
    }
  }

  private static Match module(List<String> tokens, String protocol) {
    String name = tokens.get(1);
    List<String> options = tokens.subList(2, tokens.size());
    if (options.contains("!")) {
      return Match.other(tokens);
    }
    switch (name) {
      case "tcp":
      case "udp":
      case "sctp":
        if (options.size() == 2 && options.get(0).equals("--dport")) {
          return typed(tokens, () -> Match.destinationPort(name, PortRange.parse(options.get(1))));
        }
        if (options.size() == 2 && options.get(0).equals("--sport")) {
          return typed(tokens, () -> Match.sourcePort(name, PortRange.parse(options.get(1))));
        }
        return Match.other(tokens);
      case "multiport":
        if (options.size() == 2 && protocol != null) {
          return typed(tokens, () -> multiport(protocol, options.get(0), options.get(1)));
        }
        return Match.other(tokens);
      case "conntrack":
        return typed(tokens, () -> conntrack(options));
      case "addrtype":
        if (options.size() == 2 && options.get(0).equals("--dst-type")) {
          return typed(tokens, () -> Match.destinationAddressType(options.get(1)));
        }
        if (options.size() == 2 && options.get(0).equals("--src-type")) {
          return typed(tokens, () -> Match.sourceAddressType(options.get(1)));
        }
        return Match.other(tokens);
      case "set":
        if (options.size() == 3 && options.get(0).equals("--match-set")) {
          return typed(tokens, () -> Match.matchSet(options.get(1), options.get(2)));
        }
        return Match.other(tokens);
      case "comment":
        if (options.size() == 2 && options.get(0).equals("--comment")) {
          return typed(tokens, () -> Match.comment(Tokens.unquote(options.get(1))));
        }
        return Match.other(tokens);
      default:
        return Match.other(tokens);
    }
  }

  private static Match multiport(String protocol, String option, String list) {
    List<PortRange> ports = new ArrayList<>();
    for (String part : list.split(",", -1)) {
      ports.add(PortRange.parse(part));
    }
    if (option.equals("--dports")) {
      return Match.destinationPorts(protocol, ports);
    }
    if (option.equals("--sports")) {
      return Match.sourcePorts(protocol, ports);
    }
    throw new IllegalArgumentException("not a plain multiport match");
  }

  private static Match conntrack(List<String> options) {
    Set<ConntrackState> states = EnumSet.noneOf(ConntrackState.class);
    Optional<PortRange> port = Optional.empty();
    Optional<Match.ConntrackDirection> direction = Optional.empty();
    if (options.size() % 2 != 0) {
      throw new IllegalArgumentException("odd conntrack options");
    }
    for (int i = 0; i < options.size(); i += 2) {
      String value = options.get(i + 1);
      switch (options.get(i)) {
        case "--ctstate":
          for (String state : value.split(",", -1)) {
            states.add(ConntrackState.valueOf(state));
          }
          break;
        case "--ctorigdstport":
          port = Optional.of(PortRange.parse(value));
          break;
        case "--ctdir":
          direction = Optional.of(Match.ConntrackDirection.valueOf(value));
          break;
        default:
          throw new IllegalArgumentException("conntrack option not modelled");
      }
    }
    return Match.conntrack(states, port, direction);
  }

  /** The typed match when it renders exactly {@code tokens}; the tokens as written otherwise. */
  private static Match typed(List<String> tokens, Supplier<Match> factory) {
    try {
      Match match = factory.get();
      if (match.tokens().equals(tokens)) {
        return match;
      }
    } catch (IllegalArgumentException e) {
      // not something the typed factory accepts: keep it as written
    }
    return Match.other(tokens);
  }

  private static Target target(List<String> tokens) {
    String verb = tokens.get(0);
    String name = tokens.get(1);
    List<String> options = tokens.subList(2, tokens.size());
    try {
      Target typed = null;
      if (verb.equals("-g") && options.isEmpty()) {
        typed = Target.goTo(name);
      } else if (name.equals("LOG")) {
        typed = log(options);
      } else if (options.isEmpty()) {
        switch (name) {
          case "ACCEPT":
            typed = Target.accept();
            break;
          case "DROP":
            typed = Target.drop();
            break;
          case "RETURN":
            typed = Target.returnToCaller();
            break;
          default:
            typed = isExtension(name) ? null : Target.jump(name);
        }
      } else if (name.equals("REJECT") && options.size() == 2) {
        typed = Target.reject(options.get(1));
      }
      if (typed != null && typed.tokens().equals(tokens)) {
        return typed;
      }
    } catch (IllegalArgumentException e) {
      // keep as written below
    }
    return Target.other(tokens);
  }

  private static boolean isExtension(String name) {
    try {
      Target.jump(name);
      return false;
    } catch (IllegalArgumentException e) {
      return true;
    }
  }

  private static Target log(List<String> options) {
    String prefix = "";
    int level = 4;
    if (options.size() % 2 != 0) {
      return null;
    }
    for (int i = 0; i < options.size(); i += 2) {
      switch (options.get(i)) {
        case "--log-prefix":
          prefix = Tokens.unquote(options.get(i + 1));
          break;
        case "--log-level":
          level = Integer.parseInt(options.get(i + 1));
          break;
        default:
          return null;
      }
    }
    return Target.log(prefix, level);
  }
}
