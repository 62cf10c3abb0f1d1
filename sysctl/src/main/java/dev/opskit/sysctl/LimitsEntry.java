package dev.opskit.sysctl;

import dev.opskit.core.internal.OpskitStyle;
import dev.opskit.sysctl.internal.Values;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.immutables.value.Value;

/**
 * One line of {@code /etc/security/limits.conf} or a {@code limits.d} file, as pam_limits reads it:
 * {@code <domain> <type> <item> <value>}, such as {@code * soft nofile 1048576}, or the two-field
 * line {@code <domain> -} that exempts a domain from all limits ({@link #noLimits(String)}).
 *
 * <pre>{@code
 * LimitsEntry entry = LimitsEntry.of("*", LimitsEntry.Type.HARD, LimitsEntry.Item.NOFILE, "1048576");
 * }</pre>
 *
 * <p>Validated as pam_limits does: the domain is {@code *}, a user, {@code @group}, a {@code
 * uid:uid} / {@code @gid:gid} range (either end may be left out), or {@code %}, {@code %group} or
 * {@code %:gid}, which only {@code maxlogins} and {@code maxsyslogins} take (pam ignores them with
 * other items); the value is an integer, or {@code unlimited}, {@code infinity}, {@code -1} or
 * {@code -} (all meaning no limit, see {@link #isUnlimited()}) for items that allow it ({@code
 * nice} and {@code priority} take -20 to 19 and {@code nonewprivs} 0 or 1, none of them unlimited).
 * Type, item and value are case-insensitive in files and kept lower-case. Note that {@code *} does
 * not match root: root needs its own lines.
 */
@Value.Immutable
@OpskitStyle
public abstract class LimitsEntry {
  private static final Pattern DOMAIN =
      Pattern.compile(
          "\\*|%|[@%]?[A-Za-z_][A-Za-z0-9_.-]{0,31}\\$?|@?[0-9]+:[0-9]*|@?:[0-9]+|%:[0-9]+");
  private static final Pattern INTEGER = Pattern.compile("-?[0-9]{1,19}");

  /** Which limit a line sets. */
  public enum Type {
    /** The soft limit (the default a process starts with; it may raise it up to the hard one). */
    SOFT("soft"),
    /** The hard limit (the ceiling; only root raises it). */
    HARD("hard"),
    /** Both soft and hard ({@code -} in the file). */
    BOTH("-");

    private final String token;

    Type(String token) {
      this.token = token;
    }

    /** The word in the file: {@code soft}, {@code hard} or {@code -}. */
    public String token() {
      return token;
    }

    /** The type written as {@code token}, in any case. */
    public static Type parse(String token) {
      for (Type type : values()) {
        if (type.token.equalsIgnoreCase(token)) {
          return type;
        }
      }
      throw new IllegalArgumentException(
          "limit type " + Values.quote(token) + " must be soft, hard or -");
    }
  }

  /** The resource limited (limits.conf(5) items). */
  public enum Item {
    /** Core file size (KB). */
    CORE,
    /** Data segment size (KB). */
    DATA,
    /** File size (KB). */
    FSIZE,
    /** Locked-in-memory address space (KB). */
    MEMLOCK,
    /** Open file descriptors. */
    NOFILE,
    /** Resident set size (KB). */
    RSS,
    /** Stack size (KB). */
    STACK,
    /** CPU time (minutes). */
    CPU,
    /** Number of processes. */
    NPROC,
    /** Address space (KB). */
    AS,
    /** Logins of this user. */
    MAXLOGINS,
    /** Logins on the system. */
    MAXSYSLOGINS,
    /** No new privileges (0 or 1). */
    NONEWPRIVS,
    /** Process priority. */
    PRIORITY,
    /** File locks. */
    LOCKS,
    /** Pending signals. */
    SIGPENDING,
    /** POSIX message queue bytes. */
    MSGQUEUE,
    /** Highest nice priority allowed to raise to. */
    NICE,
    /** Highest real-time priority. */
    RTPRIO,
    /** CPU time a real-time process may use without blocking (microseconds). */
    RTTIME;

    /** The word in the file, such as {@code nofile}. */
    public String token() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** The item written as {@code token}, in any case. */
    public static Item parse(String token) {
      for (Item item : values()) {
        if (item.token().equalsIgnoreCase(token)) {
          return item;
        }
      }
      throw new IllegalArgumentException(
          "limit item " + Values.quote(token) + " is not a limits.conf(5) item");
    }
  }

  LimitsEntry() {}

  /** A builder; domain and type are required, item and value unless it is a no-limits line. */
  public static Builder builder() {
    return new Builder();
  }

  /** An entry from its four fields. */
  public static LimitsEntry of(String domain, Type type, Item item, String value) {
    return builder().domain(domain).type(type).item(item).value(value).build();
  }

  /** The line {@code <domain> -}: no limits at all for {@code domain}. */
  public static LimitsEntry noLimits(String domain) {
    return builder().domain(domain).type(Type.BOTH).build();
  }

  /** Who the line applies to: {@code *}, a user, {@code @group}, a uid range... */
  public abstract String domain();

  /** Soft, hard or both. */
  public abstract Type type();

  /** The resource; empty for a no-limits line. */
  public abstract Optional<Item> item();

  /**
   * The limit, lower-case: an integer, or {@code unlimited} / {@code infinity} / {@code -1} /
   * {@code -} where allowed; empty for a no-limits line.
   */
  public abstract Optional<String> value();

  /** True for the two-field line {@code <domain> -}, which lifts every limit of the domain. */
  public boolean isNoLimits() {
    return item().isEmpty();
  }

  /**
   * True when the value means no limit ({@code unlimited}, {@code infinity}, {@code -1}, {@code
   * -}).
   */
  public boolean isUnlimited() {
    return value().map(v -> isUnlimitedWord(v, item().orElseThrow())).orElse(true);
  }

  private static boolean isUnlimitedWord(String value, Item item) {
    boolean numeric = item == Item.NICE || item == Item.PRIORITY || item == Item.NONEWPRIVS;
    return value.equals("unlimited")
        || value.equals("infinity")
        || value.equals("-")
        || (value.equals("-1") && !numeric);
  }

  /** The line as limits.conf(5) reads it, columns separated by a tab. */
  public String render() {
    if (isNoLimits()) {
      return domain() + "\t" + type().token();
    }
    return domain() + "\t" + type().token() + "\t" + item().get().token() + "\t" + value().get();
  }

  @Value.Check
  LimitsEntry check() {
    if (!DOMAIN.matcher(domain()).matches()) {
      throw new IllegalArgumentException(
          "limits domain " + Values.quote(domain()) + " must match " + DOMAIN.pattern());
    }
    if (item().isEmpty() || value().isEmpty()) {
      if (item().isPresent() || value().isPresent() || type() != Type.BOTH) {
        throw new IllegalArgumentException(
            "limits line for " + domain() + " needs an item and a value unless it is '-' alone");
      }
      return this;
    }
    String written = value().get();
    String value = written.toLowerCase(Locale.ROOT);
    if (!value.equals(written)) {
      return builder().from(this).value(value).build();
    }
    Item item = item().get();
    if (domain().startsWith("%") && item != Item.MAXLOGINS && item != Item.MAXSYSLOGINS) {
      throw new IllegalArgumentException(
          "limits domain "
              + domain()
              + " ('%' group matching) is valid only for maxlogins and maxsyslogins, not "
              + item.token());
    }
    boolean unlimited =
        value.equals("unlimited")
            || value.equals("infinity")
            || value.equals("-1")
            || value.equals("-");
    boolean signed = item == Item.NICE || item == Item.PRIORITY;
    if (signed && value.equals("-1")) {
      return this;
    }
    if (unlimited && (signed || item == Item.NONEWPRIVS)) {
      throw new IllegalArgumentException(
          "limit " + item.token() + " cannot be " + value + "; it needs a number");
    }
    if (unlimited) {
      return this;
    }
    if (!INTEGER.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "limit value "
              + Values.quote(value)
              + " for "
              + item.token()
              + " must be an integer, unlimited, infinity or -1");
    }
    long number;
    try {
      number = Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "limit value " + value + " for " + item.token() + " must be at most " + Long.MAX_VALUE,
          e);
    }
    if (signed && (number < -20 || number > 19)) {
      throw new IllegalArgumentException(
          "limit " + item.token() + " must be between -20 and 19, was " + value);
    }
    if (!signed && number < 0) {
      throw new IllegalArgumentException(
          "limit " + item.token() + " must not be negative (other than -1), was " + value);
    }
    if (item == Item.NONEWPRIVS && number > 1) {
      throw new IllegalArgumentException("limit nonewprivs must be 0 or 1, was " + value);
    }
    return this;
  }

  /** Builds a {@link LimitsEntry}. */
  public static final class Builder extends ImmutableLimitsEntry.Builder {
    Builder() {}
  }
}
