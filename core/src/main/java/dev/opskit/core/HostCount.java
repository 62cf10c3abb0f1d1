package dev.opskit.core;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A number of hosts given either as a count ({@code 5}) or as a percentage of the fleet ({@code
 * 10%}), as used by {@link RolloutPolicy} for batch sizes and failure budgets. Immutable.
 *
 * <pre>{@code
 * HostCount five = HostCount.of(5);
 * HostCount tenth = HostCount.parse("10%");
 * }</pre>
 */
public final class HostCount {
  private static final Pattern FORM = Pattern.compile("([0-9]{1,9})(%?)");

  private final int value;
  private final boolean percent;

  private HostCount(int value, boolean percent) {
    this.value = value;
    this.percent = percent;
  }

  /**
   * Exactly {@code count} hosts.
   *
   * @throws IllegalArgumentException when negative
   */
  public static HostCount of(int count) {
    if (count < 0) {
      throw new IllegalArgumentException("host count " + count + " must be >= 0");
    }
    return new HostCount(count, false);
  }

  /**
   * {@code percent} percent of the fleet.
   *
   * @throws IllegalArgumentException when not from 0 to 100
   */
  public static HostCount percent(int percent) {
    if (percent < 0 || percent > 100) {
      throw new IllegalArgumentException("percentage " + percent + " must be from 0 to 100");
    }
    return new HostCount(percent, true);
  }

  /**
   * Parses {@code N} or {@code P%}.
   *
   * @throws IllegalArgumentException naming the value when it is neither
   */
  public static HostCount parse(String text) {
    Matcher matcher = text == null ? null : FORM.matcher(text.strip());
    if (matcher == null || !matcher.matches()) {
      throw new IllegalArgumentException(
          "host count '" + text + "' must be a number N or a percentage P%");
    }
    int value = Integer.parseInt(matcher.group(1));
    return matcher.group(2).isEmpty() ? of(value) : percent(value);
  }

  /** The count, or the percentage when {@link #isPercent()}. */
  public int value() {
    return value;
  }

  /** True when {@link #value()} is a percentage of the fleet. */
  public boolean isPercent() {
    return percent;
  }

  /** This many hosts out of {@code total}, a percentage rounded up. */
  public int ceilOf(int total) {
    return percent ? (int) ((total * (long) value + 99) / 100) : value;
  }

  /** This many hosts out of {@code total}, a percentage rounded down. */
  public int floorOf(int total) {
    return percent ? (int) (total * (long) value / 100) : value;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof HostCount
        && ((HostCount) other).value == value
        && ((HostCount) other).percent == percent;
  }

  @Override
  public int hashCode() {
    return percent ? -value - 1 : value;
  }

  /** {@code N} or {@code P%}, which {@link #parse} reads back. */
  @Override
  public String toString() {
    return percent ? value + "%" : Integer.toString(value);
  }
}
