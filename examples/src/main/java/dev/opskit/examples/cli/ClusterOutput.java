package dev.opskit.examples.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Output helpers shared by the cluster commands: {@code -o} formats, tables, CSV and JSON. */
final class ClusterOutput {
  /** Pretty JSON that keeps null fields, so every documented key is always present. */
  static final Gson GSON =
      new GsonBuilder().serializeNulls().setPrettyPrinting().disableHtmlEscaping().create();

  /** An {@code -o} value. */
  enum Format {
    TABLE,
    JSON,
    CSV;

    String text() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private ClusterOutput() {}

  /**
   * Parses {@code -o VALUE} among {@code allowed}.
   *
   * @throws IllegalArgumentException naming the value and the allowed ones
   */
  static Format format(String value, Format... allowed) {
    List<String> names = new ArrayList<>();
    for (Format format : allowed) {
      if (format.text().equals(value)) {
        return format;
      }
      names.add(format.text());
    }
    throw new IllegalArgumentException(
        "output format '" + value + "' is not one of " + String.join(", ", names));
  }

  /**
   * Checks {@code --chunk-size N}: pods per list request, 1..10000 (opskit always pages, so
   * kubectl's 0 for one unpaged list is refused).
   *
   * @throws IllegalArgumentException naming the value and the range
   */
  static int chunkSize(int value) {
    if (value < 1 || value > 10_000) {
      throw new IllegalArgumentException(
          "--chunk-size must be 1..10000 (pods per list request), was " + value);
    }
    return value;
  }

  /** An aligned table: upper-case headers, columns two spaces apart, line breaks flattened. */
  static void table(PrintWriter out, List<String> columns, List<List<String>> rows) {
    int[] widths = new int[columns.size()];
    List<List<String>> lines = new ArrayList<>();
    lines.add(columns.stream().map(c -> c.toUpperCase(Locale.ROOT)).toList());
    for (List<String> row : rows) {
      lines.add(row.stream().map(c -> c == null ? "" : c.replaceAll("[\r\n]+", " ")).toList());
    }
    for (List<String> line : lines) {
      for (int i = 0; i < line.size(); i++) {
        widths[i] = Math.max(widths[i], line.get(i).length());
      }
    }
    for (List<String> line : lines) {
      StringBuilder text = new StringBuilder();
      for (int i = 0; i < line.size(); i++) {
        text.append(line.get(i));
        if (i < line.size() - 1) {
          text.append(" ".repeat(widths[i] - line.get(i).length() + 2));
        }
      }
      out.println(text.toString().stripTrailing());
    }
  }

  /**
   * RFC 4180 CSV: a header line, CRLF line ends, a field holding a comma, double quote, CR or LF
   * enclosed in double quotes with inner quotes doubled; null is the empty field. Null {@code
   * columns} writes no header (rows continuing a table).
   */
  static void csv(PrintWriter out, List<String> columns, List<List<String>> rows) {
    if (columns != null) {
      csvLine(out, columns);
    }
    for (List<String> row : rows) {
      csvLine(out, row);
    }
  }

  private static void csvLine(PrintWriter out, List<String> fields) {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < fields.size(); i++) {
      if (i > 0) {
        line.append(',');
      }
      line.append(csvField(fields.get(i)));
    }
    out.print(line.append("\r\n"));
  }

  static String csvField(String value) {
    if (value == null) {
      return "";
    }
    if (value.indexOf(',') < 0
        && value.indexOf('"') < 0
        && value.indexOf('\r') < 0
        && value.indexOf('\n') < 0) {
      return value;
    }
    return '"' + value.replace("\"", "\"\"") + '"';
  }
}
