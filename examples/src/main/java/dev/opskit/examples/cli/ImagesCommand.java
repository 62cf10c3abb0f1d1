package dev.opskit.examples.cli;

import com.google.gson.stream.JsonWriter;
import dev.opskit.cluster.ClusterRequestException;
import dev.opskit.cluster.ContainerImage;
import dev.opskit.cluster.ImageFinding;
import dev.opskit.cluster.ImageInventory;
import dev.opskit.cluster.ImagePolicy;
import dev.opskit.cluster.ImageReference;
import dev.opskit.cluster.ImageReportFormat;
import dev.opskit.cluster.ImageViews;
import dev.opskit.cluster.RequestPolicy;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code opskit images}: every container's image (init, regular and ephemeral), the spec's image
 * and the running image ID side by side; or one row per unique image; or the findings.
 */
@Command(
    mixinStandardHelpOptions = true,
    name = "images",
    description = {
      "List the images pods run, or the findings about them.",
      "One row per container (default), per unique image (--unique), or the findings",
      "(--findings: :latest or untagged, one tag under several digests, invalid)."
    })
final class ImagesCommand implements Callable<Integer> {
  static final List<String> COLUMNS =
      List.of(
          "namespace",
          "pod",
          "container",
          "containerType",
          "image",
          "imageId",
          "registry",
          "repository",
          "tag",
          "digest");

  @Spec CommandSpec spec;
  @Mixin ClusterOptions cluster;
  @Mixin ClusterScope scope;

  @Option(names = "--unique", description = "One row per unique image, with pod counts.")
  boolean unique;

  @Option(names = "--findings", description = "The findings only.")
  boolean findings;

  @Option(
      names = "--chunk-size",
      paramLabel = "N",
      defaultValue = "500",
      description = "Pods per list request, as kubectl's (default ${DEFAULT-VALUE}; 1..10000).")
  int chunkSize;

  @Option(
      names = {"-o", "--output"},
      paramLabel = "table|json|csv",
      defaultValue = "table",
      description = "Output format (default ${DEFAULT-VALUE}).")
  String output;

  @Override
  public Integer call() throws Exception {
    ClusterOutput.Format format =
        ClusterOutput.format(
            output,
            ClusterOutput.Format.TABLE,
            ClusterOutput.Format.JSON,
            ClusterOutput.Format.CSV);
    if (unique && findings) {
      throw new IllegalArgumentException(
          "--unique and --findings are two different views; choose one");
    }
    RequestPolicy requests = cluster.requestPolicy();
    ClusterOptions.Cluster connected = cluster.connect();
    ImageInventory inventory =
        ImageInventory.builder(connected.client)
            .namespaces(scope.resolve(connected.namespace))
            .requestPolicy(requests)
            .pageSize(ClusterOutput.chunkSize(chunkSize))
            .build();
    PrintWriter out = spec.commandLine().getOut();
    ImageViews views = ImageViews.create(ImagePolicy.defaults());
    ProgressBar progress = ProgressBar.onTerminal(spec.commandLine().getErr());
    // Rows stream straight out unless a table needs every width first or the progress bar shares
    // the terminal with them.
    boolean stream = format != ClusterOutput.Format.TABLE && !progress.enabled();
    RowWriter rows = unique || findings ? null : new RowWriter(format, out, stream);
    String failure = null;
    try (progress) {
      inventory.forEach(
          container -> {
            views.add(container);
            if (rows != null) {
              rows.add(container);
            }
            progress.update("containers listed", views.containers(), 0);
          });
    } catch (ClusterRequestException | IOException e) {
      failure = e.getMessage();
    } catch (RuntimeException e) {
      failure = CliErrors.describe(e);
    }
    // What was listed before a failure is still printed whole (a JSON array closed, a CSV with its
    // header), so stdout stays one valid document; the exit status and stderr say it is partial.
    if (rows != null) {
      rows.finish();
    }
    ImageReportFormat sdkFormat = ImageReportFormat.valueOf(format.name());
    if (unique) {
      sdkFormat.writeImages(views.images(), out);
    } else if (findings) {
      List<ImageFinding> list = views.findings();
      if (format == ClusterOutput.Format.TABLE && list.isEmpty() && failure == null) {
        out.println("no findings in " + views.images().size() + " images");
      } else {
        sdkFormat.writeFindings(list, out);
      }
    }
    out.flush();
    if (failure != null) {
      spec.commandLine()
          .getErr()
          .println(
              "opskit: images: listing pods failed after "
                  + views.containers()
                  + " containers: "
                  + failure);
      return OpskitCli.FAILED;
    }
    return 0;
  }

  /** Writes the per-container rows, streaming them or holding them until {@link #finish()}. */
  static final class RowWriter {
    private final ClusterOutput.Format format;
    private final PrintWriter out;
    private final boolean stream;
    private final List<List<String>> held = new ArrayList<>();
    private JsonWriter json;
    private boolean started;

    RowWriter(ClusterOutput.Format format, PrintWriter out, boolean stream) {
      this.format = format;
      this.out = out;
      this.stream = stream;
    }

    void add(ContainerImage container) {
      List<String> cells = cells(container);
      if (stream) {
        write(cells);
      } else {
        held.add(cells);
      }
    }

    void finish() {
      if (format == ClusterOutput.Format.TABLE) {
        List<List<String>> shown = new ArrayList<>();
        for (List<String> r : held) {
          shown.add(Arrays.asList(r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(9)));
        }
        ClusterOutput.table(
            out, List.of("namespace", "pod", "container", "type", "image", "digest"), shown);
        return;
      }
      for (List<String> cells : held) {
        write(cells);
      }
      start();
      if (format == ClusterOutput.Format.JSON) {
        try {
          json.endArray();
          json.flush();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        out.println();
      }
    }

    private void start() {
      if (started) {
        return;
      }
      started = true;
      if (format == ClusterOutput.Format.CSV) {
        ClusterOutput.csv(out, COLUMNS, List.of());
      } else {
        try {
          json = ClusterOutput.GSON.newJsonWriter(out);
          json.beginArray();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }

    private void write(List<String> cells) {
      start();
      if (format == ClusterOutput.Format.CSV) {
        ClusterOutput.csv(out, null, List.of(cells));
        return;
      }
      try {
        json.beginObject();
        for (int i = 0; i < COLUMNS.size(); i++) {
          json.name(COLUMNS.get(i));
          if (cells.get(i) == null) {
            json.nullValue();
          } else {
            json.value(cells.get(i));
          }
        }
        json.endObject();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /**
   * One row: registry, repository and tag come from the normalised spec image (null when it is not
   * a valid reference); digest is the one the container runs, else the one the spec pins.
   */
  static List<String> cells(ContainerImage container) {
    Optional<ImageReference> reference = container.reference();
    String digest =
        container.runningDigest().or(() -> reference.flatMap(ImageReference::digest)).orElse(null);
    List<String> cells = new ArrayList<>();
    cells.add(container.namespace());
    cells.add(container.pod());
    cells.add(container.container());
    cells.add(container.kind().name().toLowerCase(Locale.ROOT));
    cells.add(container.image());
    cells.add(container.imageId().isEmpty() ? null : container.imageId());
    cells.add(reference.map(ImageReference::registry).orElse(null));
    cells.add(reference.map(ImageReference::repository).orElse(null));
    cells.add(reference.flatMap(ImageReference::effectiveTag).orElse(null));
    cells.add(digest);
    return cells;
  }
}
