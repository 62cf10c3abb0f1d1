package dev.opskit.cluster.internal.image;

import com.google.gson.stream.JsonWriter;
import java.io.Flushable;
import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * Writes rows of cells as an aligned text table, RFC 4180 CSV or a JSON array of objects. Cells are
 * {@link String}s, {@link Number}s, {@link Collection}s of strings, or null.
 */
public final class Tabular {
  private Tabular() {}

  /** An aligned table with upper-case headers, columns separated by two spaces. */
  public static void table(List<String> columns, Iterable<List<Object>> rows, Appendable out)
      throws IOException {
    List<List<String>> lines = new ArrayList<>();
    List<String> header = new ArrayList<>();
    for (String column : columns) {
      header.add(column.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT));
    }
    lines.add(header);
    for (List<Object> row : rows) {
      List<String> line = new ArrayList<>();
      for (Object cell : row) {
        line.add(text(cell).replace('\n', ' ').replace('\r', ' '));
      }
      lines.add(line);
    }
    int[] widths = new int[columns.size()];
    for (List<String> line : lines) {
      for (int i = 0; i < line.size(); i++) {
        widths[i] = Math.max(widths[i], line.get(i).length());
      }
    }
    for (List<String> line : lines) {
      StringBuilder text = new StringBuilder();
      for (int i = 0; i < line.size(); i++) {
        String cell = line.get(i);
        text.append(cell);
        if (i < line.size() - 1) {
          text.append(" ".repeat(widths[i] - cell.length() + 2));
        }
      }
      out.append(text.toString().stripTrailing()).append('\n');
    }
  }

  /**
   * RFC 4180 CSV: a header line, CRLF line ends, fields holding a comma, a double quote, CR or LF
   * enclosed in double quotes with inner double quotes doubled.
   */
  public static void csv(List<String> columns, Iterable<List<Object>> rows, Appendable out)
      throws IOException {
    csvLine(new ArrayList<Object>(columns), out);
    for (List<Object> row : rows) {
      csvLine(row, out);
    }
  }

  private static void csvLine(List<Object> row, Appendable out) throws IOException {
    for (int i = 0; i < row.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      out.append(csvField(text(row.get(i))));
    }
    out.append("\r\n");
  }

  /** One CSV field, quoted when RFC 4180 requires it. */
  public static String csvField(String value) {
    if (value.indexOf(',') < 0
        && value.indexOf('"') < 0
        && value.indexOf('\r') < 0
        && value.indexOf('\n') < 0) {
      return value;
    }
    return '"' + value.replace("\"", "\"\"") + '"';
  }

  /** A JSON array of objects keyed by the column names, pretty-printed with two spaces. */
  public static void json(List<String> columns, Iterable<List<Object>> rows, Appendable out)
      throws IOException {
    JsonWriter json = new JsonWriter(new AppendableWriter(out));
    json.setIndent("  ");
    json.beginArray();
    for (List<Object> row : rows) {
      json.beginObject();
      for (int i = 0; i < columns.size(); i++) {
        json.name(columns.get(i));
        Object cell = row.get(i);
        if (cell == null) {
          json.nullValue();
        } else if (cell instanceof Number) {
          json.value((Number) cell);
        } else if (cell instanceof Boolean) {
          json.value((Boolean) cell);
        } else if (cell instanceof Collection) {
          json.beginArray();
          for (Object item : (Collection<?>) cell) {
            json.value(String.valueOf(item));
          }
          json.endArray();
        } else {
          json.value(cell.toString());
        }
      }
      json.endObject();
    }
    json.endArray();
    json.flush();
    out.append('\n');
  }

  private static String text(Object cell) {
    if (cell == null) {
      return "";
    }
    if (cell instanceof Collection) {
      List<String> items = new ArrayList<>();
      for (Object item : (Collection<?>) cell) {
        items.add(String.valueOf(item));
      }
      return String.join(",", items);
    }
    return cell.toString();
  }

  private static final class AppendableWriter extends Writer {
    private final Appendable out;

    AppendableWriter(Appendable out) {
      this.out = out;
    }

    @Override
    public void write(char[] buffer, int offset, int length) throws IOException {
      out.append(new String(buffer, offset, length));
    }

    @Override
    public void write(String text) throws IOException {
      out.append(text);
    }

    @Override
    public void flush() throws IOException {
      if (out instanceof Flushable flushable) {
        flushable.flush();
      }
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
