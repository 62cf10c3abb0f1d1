package dev.opskit.iptables.internal;

import dev.opskit.iptables.IpFamily;
import dev.opskit.iptables.IpsetSpec;
import dev.opskit.iptables.IptablesRuleSet;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a multi-step apply leaves on the host while it runs: the owned state it is going to (the
 * target) and the owned state it came from (before), each as owned rule sets per family plus the
 * ipsets' entries. Either can be applied again from any point of an interrupted apply, since an
 * apply plans from what the host holds: the next call finishes the apply (or, when that fails,
 * rolls it back) from the journal alone.
 *
 * <p>The text is line-based: a header, sections {@code KIND ruleset FAMILY OWNER LINES}, {@code
 * KIND ipset NAME FAMILY ENTRIES}, {@code KIND absent NAME}, each followed by its lines, and an
 * {@code end} line; a text without it was cut short and holds nothing to act on.
 */
public record Journal(Instant begun, State target, State before) {
  private static final String HEADER = "opskit-iptables-journal 1";

  /**
   * An owned state: rule sets (each with an owner), ipsets with their entries, ipsets that must not
   * exist.
   */
  public record State(List<IptablesRuleSet> ruleSets, List<IpsetSpec> ipsets, List<String> absent) {
    /** Copies the lists. */
    public State {
      ruleSets = List.copyOf(ruleSets);
      ipsets = List.copyOf(ipsets);
      absent = List.copyOf(absent);
    }

    /** The owners of the rule sets, in order, each once. */
    public List<String> owners() {
      return ruleSets.stream().map(s -> s.owner().orElseThrow()).distinct().toList();
    }
  }

  /** The address families of the rule sets in either state. */
  public Set<IpFamily> families() {
    Set<IpFamily> families = ApplyEngine.families(target.ruleSets());
    families.addAll(ApplyEngine.families(before.ruleSets()));
    return families;
  }

  /** The ipsets either state names, to fill or to be absent, each once. */
  public List<String> ipsetNames() {
    Set<String> names = new LinkedHashSet<>();
    for (State state : List.of(target, before)) {
      names.addAll(IpsetSync.names(state.ipsets()));
      names.addAll(state.absent());
    }
    return List.copyOf(names);
  }

  /** The journal's text. */
  public String render() {
    StringBuilder text = new StringBuilder(HEADER).append('\n');
    text.append("begun ").append(begun).append('\n');
    render(text, "target", target);
    render(text, "before", before);
    return text.append("end\n").toString();
  }

  private static void render(StringBuilder text, String kind, State state) {
    for (IptablesRuleSet set : state.ruleSets()) {
      String rendered = set.render();
      List<String> lines = rendered.lines().toList();
      text.append(kind)
          .append(" ruleset ")
          .append(set.family().name())
          .append(' ')
          .append(set.owner().orElseThrow())
          .append(' ')
          .append(lines.size())
          .append('\n');
      lines.forEach(l -> text.append(l).append('\n'));
    }
    for (IpsetSpec spec : state.ipsets()) {
      text.append(kind)
          .append(" ipset ")
          .append(spec.name())
          .append(' ')
          .append(spec.family().name())
          .append(' ')
          .append(spec.entries().size())
          .append('\n');
      spec.entries().forEach(e -> text.append(e).append('\n'));
    }
    for (String name : state.absent()) {
      text.append(kind).append(" absent ").append(name).append('\n');
    }
  }

  /**
   * Reads a journal's text.
   *
   * @throws IllegalArgumentException when the text is not a complete journal (cut short, garbled)
   */
  public static Journal parse(String text) {
    List<String> lines = text.lines().toList();
    if (lines.size() < 3 || !lines.get(0).equals(HEADER) || !lines.get(1).startsWith("begun ")) {
      throw new IllegalArgumentException("not an opskit journal");
    }
    if (!lines.get(lines.size() - 1).equals("end")) {
      throw new IllegalArgumentException("journal cut short (no end line)");
    }
    Instant begun;
    try {
      begun = Instant.parse(lines.get(1).substring("begun ".length()));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("journal has a bad start time: " + lines.get(1), e);
    }
    Builder target = new Builder();
    Builder before = new Builder();
    int at = 2;
    while (at < lines.size() - 1) {
      String[] head = lines.get(at++).split(" ");
      if (head.length < 3 || !(head[0].equals("target") || head[0].equals("before"))) {
        throw new IllegalArgumentException("bad journal line " + at + ": " + lines.get(at - 1));
      }
      Builder state = head[0].equals("target") ? target : before;
      try {
        switch (head[1]) {
          case "ruleset":
            {
              IpFamily family = IpFamily.valueOf(head[2]);
              int count = Integer.parseInt(head[4]);
              String body = String.join("\n", lines.subList(at, at + count));
              at += count;
              IptablesRuleSet set =
                  count == 0
                      ? IptablesRuleSet.empty(family, head[3])
                      : IptablesRuleSet.builder()
                          .from(IptablesRuleSet.parse(family, body + "\n"))
                          .owner(head[3])
                          .build();
              state.ruleSets.add(set);
              break;
            }
          case "ipset":
            {
              int count = Integer.parseInt(head[4]);
              state.ipsets.add(
                  IpsetSpec.of(head[2], IpFamily.valueOf(head[3]), lines.subList(at, at + count)));
              at += count;
              break;
            }
          case "absent":
            state.absent.add(head[2]);
            break;
          default:
            throw new IllegalArgumentException("bad journal line " + at + ": " + head[1]);
        }
      } catch (IndexOutOfBoundsException e) {
        throw new IllegalArgumentException("journal cut short at line " + at, e);
      }
    }
    return new Journal(begun, target.build(), before.build());
  }

  private static final class Builder {
    final List<IptablesRuleSet> ruleSets = new ArrayList<>();
    final List<IpsetSpec> ipsets = new ArrayList<>();
    final List<String> absent = new ArrayList<>();

    State build() {
      return new State(ruleSets, ipsets, absent);
    }
  }
}
