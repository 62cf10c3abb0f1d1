package dev.opskit.examples.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import dev.opskit.cluster.ContainerImage;
import dev.opskit.cluster.ImageInventory;
import dev.opskit.cluster.ImagePolicy;
import dev.opskit.cluster.ImageViews;
import dev.opskit.cluster.testing.KubernetesApiFixture;
import dev.opskit.cluster.testing.TestPods;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.models.V1Container;
import io.kubernetes.client.openapi.models.V1ContainerStatus;
import io.kubernetes.client.openapi.models.V1Pod;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Peak heap while paging 50,000 pods through {@link ImageInventory}. The API fixture runs in a
 * child JVM (so its stored pods do not count), this JVM lists through it over loopback HTTP and
 * records the peak used heap from GC notifications (heap used before each collection) and a 2 ms
 * sampler, for two consumers: streaming into {@link ImageViews} and collecting every row.
 *
 * <pre>{@code
 * java -Xmx256m -cp examples/target/opskit.jar dev.opskit.examples.bench.InventoryBenchmark [pods]
 * }</pre>
 */
public final class InventoryBenchmark {
  private static final AtomicLong PEAK = new AtomicLong();

  private InventoryBenchmark() {}

  /** Runs the benchmark; optional argument: number of pods (default 50,000). */
  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--serve")) {
      serve(Integer.parseInt(args[1]));
      return;
    }
    int pods = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
    Process server = startServer(pods);
    try {
      BufferedReader out =
          new BufferedReader(
              new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
      String url = null;
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        if (line.startsWith("URL ")) {
          url = line.substring(4);
          break;
        }
      }
      if (url == null) {
        throw new IllegalStateException("the API fixture process did not start");
      }
      ApiClient client = new ApiClient();
      client.setBasePath(url);
      listenToCollections();
      System.out.printf(
          "pods: %,d (fixture in a child JVM), max heap of this JVM: %,d MiB%n",
          pods, Runtime.getRuntime().maxMemory() >> 20);
      run(client, 500, false, true);
      for (int pageSize : new int[] {500, 2000}) {
        run(client, pageSize, false, false);
      }
      run(client, 500, true, false);
    } finally {
      server.destroy();
      server.waitFor();
    }
  }

  private static void run(ApiClient client, int pageSize, boolean keepRows, boolean warmup)
      throws Exception {
    ImageInventory inventory = ImageInventory.builder(client).pageSize(pageSize).build();
    System.gc();
    Thread.sleep(200);
    long baseline = used();
    PEAK.set(baseline);
    Thread sampler = new Thread(InventoryBenchmark::sample, "heap-sampler");
    sampler.setDaemon(true);
    sampler.start();
    long start = System.nanoTime();
    long rows;
    int images;
    Object kept;
    try {
      if (keepRows) {
        List<ContainerImage> all = inventory.list();
        rows = all.size();
        ImageViews views = ImageViews.create(ImagePolicy.defaults());
        all.forEach(views::add);
        images = views.images().size();
        kept = all;
      } else {
        ImageViews views = inventory.views(ImagePolicy.defaults());
        rows = views.containers();
        images = views.images().size();
        kept = views;
      }
    } catch (OutOfMemoryError e) {
      sampler.interrupt();
      sampler.join();
      System.out.printf(
          "measured %-22s page %5d: OutOfMemoryError with max heap %,d MiB%n",
          keepRows ? "list() all rows" : "forEach -> ImageViews",
          pageSize,
          Runtime.getRuntime().maxMemory() >> 20);
      return;
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    sampler.interrupt();
    sampler.join();
    System.gc();
    Thread.sleep(200);
    long retained = used() - baseline;
    System.out.printf(
        "%s %-22s page %5d: %,d containers, %d images in %,d ms; heap baseline %,d KiB,"
            + " peak %,d KiB (+%,d KiB), retained after GC %,d KiB%n",
        warmup ? "warm-up " : "measured",
        keepRows ? "list() all rows" : "forEach -> ImageViews",
        pageSize,
        rows,
        images,
        millis,
        baseline >> 10,
        PEAK.get() >> 10,
        (PEAK.get() - baseline) >> 10,
        retained >> 10);
    if (kept == null) {
      throw new IllegalStateException("nothing was kept");
    }
  }

  private static long used() {
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static void sample() {
    while (!Thread.currentThread().isInterrupted()) {
      PEAK.accumulateAndGet(used(), Math::max);
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static void listenToCollections() {
    NotificationListener listener =
        (notification, handback) -> {
          if (!notification
              .getType()
              .equals(GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION)) {
            return;
          }
          GarbageCollectionNotificationInfo info =
              GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
          long before = 0;
          for (MemoryUsage usage : info.getGcInfo().getMemoryUsageBeforeGc().values()) {
            before += usage.getUsed();
          }
          long heapBefore = before - nonHeap(info);
          PEAK.accumulateAndGet(heapBefore, Math::max);
        };
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      ((NotificationEmitter) gc).addNotificationListener(listener, null, null);
    }
  }

  /** Non-heap pools (metaspace, code cache) also appear in the GC info; subtract them. */
  private static long nonHeap(GarbageCollectionNotificationInfo info) {
    long total = 0;
    for (var entry : info.getGcInfo().getMemoryUsageBeforeGc().entrySet()) {
      String pool = entry.getKey();
      if (pool.contains("Metaspace") || pool.contains("Code") || pool.contains("Class")) {
        total += entry.getValue().getUsed();
      }
    }
    return total;
  }

  private static Process startServer(int pods) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(
            java,
            "-Xmx3g",
            "-cp",
            System.getProperty("java.class.path"),
            InventoryBenchmark.class.getName(),
            "--serve",
            String.valueOf(pods))
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
  }

  /** The child: an API fixture holding {@code count} pods, until its stdin closes. */
  private static void serve(int count) throws Exception {
    try (KubernetesApiFixture fixture = KubernetesApiFixture.start()) {
      List<V1Pod> pods = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        V1Pod pod = TestPods.running("ns-" + (i % 50), String.format("pod-%06d", i));
        String image = "registry.example.com/team-" + (i % 40) + "/app:" + (i % 7);
        pod.getSpec().getContainers().get(0).image(image);
        V1ContainerStatus status = pod.getStatus().getContainerStatuses().get(0);
        status.image(image).imageID(image.replaceAll(":[0-9]+$", "") + "@sha256:" + hex(i % 97));
        pod.getSpec()
            .addContainersItem(new V1Container().name("sidecar").image("envoyproxy/envoy:v1.31"));
        if (i % 3 == 0) {
          pod.getSpec().addInitContainersItem(new V1Container().name("init").image("busybox"));
        }
        pods.add(pod);
      }
      fixture.createPods(pods);
      System.out.println("URL " + fixture.url());
      System.out.flush();
      while (System.in.read() >= 0) {
        // wait until the parent closes our stdin or ends us
      }
    }
  }

  private static String hex(int seed) {
    StringBuilder text = new StringBuilder();
    while (text.length() < 64) {
      text.append(String.format("%08x", seed * 2654435761L & 0xffffffffL));
      seed++;
    }
    return text.substring(0, 64);
  }
}
