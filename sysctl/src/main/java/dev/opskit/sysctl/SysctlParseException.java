package dev.opskit.sysctl;

import dev.opskit.core.OpskitException;

/**
 * A sysctl or limits configuration file that does not parse. Carries the file's name and the
 * 1-based line, so tools can point at it without parsing the message.
 */
public final class SysctlParseException extends OpskitException {
  private static final long serialVersionUID = 1L;

  private final String file;
  private final int line;

  /** Creates the exception for {@code file} at {@code line} (1-based). */
  public SysctlParseException(String file, int line, String problem, Throwable cause) {
    super(file + ":" + line + ": " + problem, cause);
    this.file = file;
    this.line = line;
  }

  /** The file's path or name as given to the parser. */
  public String file() {
    return file;
  }

  /** The 1-based line number of the offending line. */
  public int line() {
    return line;
  }
}
