package dev.opskit.cluster;

import dev.opskit.cluster.internal.image.Tabular;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Output formats for the inventory's views: an aligned text {@link #TABLE}, {@link #JSON} (an array
 * of objects) and {@link #CSV} (RFC 4180: a header line, CRLF line ends, fields with commas, quotes
 * or line breaks quoted, inner quotes doubled). Every format has the same columns.
 *
 * <pre>{@code
 * ImageReportFormat.CSV.writeContainers(inventory.list(), writer);
 * ImageReportFormat.TABLE.writeImages(views.images(), System.out);
 * }</pre>
 */
public enum ImageReportFormat {
  /** Aligned columns for a terminal. */
  TABLE,
  /** A JSON array of objects; lists are arrays and counts are numbers. */
  JSON,
  /** RFC 4180 comma-separated values; lists are joined with commas inside one quoted field. */
  CSV;

  private static final List<String> CONTAINER_COLUMNS =
      List.of(
          "namespace",
          "pod",
          "node",
          "container",
          "kind",
          "image",
          "reference",
          "imageId",
          "runningDigest");
  private static final List<String> IMAGE_COLUMNS =
      List.of("image", "registry", "pods", "containers", "namespaces", "runningDigests");
  private static final List<String> FINDING_COLUMNS = List.of("kind", "image", "pods", "detail");

  /** Writes the per-container view: spec image and running image ID side by side. */
  public void writeContainers(Iterable<ContainerImage> containers, Appendable out)
      throws IOException {
    List<List<Object>> rows = new ArrayList<>();
    for (ContainerImage c : containers) {
      rows.add(
          List.of(
              c.namespace(),
              c.pod(),
              c.node().orElse(""),
              c.container(),
              c.kind().name().toLowerCase(Locale.ROOT),
              c.image(),
              c.reference().map(ImageReference::toString).orElse(""),
              c.imageId(),
              c.runningDigest().orElse("")));
    }
    write(CONTAINER_COLUMNS, rows, out);
  }

  /** Writes the per-image view with pod and container counts. */
  public void writeImages(Iterable<ImageSummary> images, Appendable out) throws IOException {
    List<List<Object>> rows = new ArrayList<>();
    for (ImageSummary s : images) {
      rows.add(
          List.of(
              s.image(),
              s.reference().map(ImageReference::registry).orElse(""),
              s.pods(),
              s.containers(),
              s.namespaces(),
              s.runningDigests()));
    }
    write(IMAGE_COLUMNS, rows, out);
  }

  /** Writes the findings. */
  public void writeFindings(Iterable<ImageFinding> findings, Appendable out) throws IOException {
    List<List<Object>> rows = new ArrayList<>();
    for (ImageFinding f : findings) {
      rows.add(List.of(f.kind().name(), f.image(), f.pods(), f.detail()));
    }
    write(FINDING_COLUMNS, rows, out);
  }

  private void write(List<String> columns, List<List<Object>> rows, Appendable out)
      throws IOException {
    switch (this) {
      case TABLE:
        Tabular.table(columns, rows, out);
        break;
      case JSON:
        Tabular.json(columns, rows, out);
        break;
      case CSV:
        Tabular.csv(columns, rows, out);
        break;
      default:
        throw new IllegalStateException("unknown format " + this);
    }
  }
}
