package dev.opskit.cluster.testing.internal;

import dev.opskit.cluster.testing.RequestFault;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback HTTP/1.1 proxy in front of the fixture's server that injects transport faults: it
 * reads one request per client connection, forwards it (with {@code Connection: close}) unless a
 * fault says otherwise, and relays the answer, reset or cut short as the fault says. Status faults
 * are left to the server. WebSocket upgrades are not supported.
 */
public final class FaultyProxy implements Closeable {
  private static final int MAX_HEAD = 64 * 1024;

  private final InetSocketAddress backend;
  private final ServerSocket server;
  private final List<Fault> faults = new CopyOnWriteArrayList<>();
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private static final class Fault {
    final RequestFault fault;
    final AtomicInteger remaining;

    Fault(RequestFault fault) {
      this.fault = fault;
      this.remaining = new AtomicInteger(fault.times());
    }
  }

  /** Starts a proxy on a free loopback port forwarding to {@code host:port}. */
  public FaultyProxy(String host, int port) throws IOException {
    this.backend = new InetSocketAddress(host, port);
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "api-fixture-proxy");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The port clients connect to. */
  public int port() {
    return server.getLocalPort();
  }

  /** Adds a transport fault. */
  public void inject(RequestFault fault) {
    faults.add(new Fault(fault));
  }

  /** Removes every fault. */
  public void clearFaults() {
    faults.clear();
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      open.add(client);
      Thread handler = new Thread(() -> serve(client), "api-fixture-proxy-conn");
      handler.setDaemon(true);
      handler.start();
    }
  }

  private void serve(Socket client) {
    try (client) {
      InputStream in = client.getInputStream();
      byte[] head = readHead(in);
      if (head == null) {
        return;
      }
      String headText = new String(head, StandardCharsets.ISO_8859_1);
      String[] lines = headText.split("\r\n");
      String[] requestLine = lines[0].split(" ");
      if (requestLine.length < 2) {
        return;
      }
      String method = requestLine[0].toUpperCase(Locale.ROOT);
      String target = requestLine[1];
      int question = target.indexOf('?');
      String path = question < 0 ? target : target.substring(0, question);
      Map<String, List<String>> query =
          question < 0 ? Map.of() : FaithfulDispatcher.parseQuery(target.substring(question + 1));
      long length = 0;
      StringBuilder forwarded = new StringBuilder(lines[0]).append("\r\n");
      for (int i = 1; i < lines.length; i++) {
        String line = lines[i];
        int colon = line.indexOf(':');
        String name = colon < 0 ? line : line.substring(0, colon).strip();
        if (name.equalsIgnoreCase("Content-Length")) {
          length = Long.parseLong(line.substring(colon + 1).strip());
        }
        if (name.equalsIgnoreCase("Connection")) {
          continue;
        }
        forwarded.append(line).append("\r\n");
      }
      forwarded.append("Connection: close\r\n\r\n");
      byte[] body = in.readNBytes((int) length);
      RequestFault.Kind kind = RequestFault.Kind.STATUS;
      for (Fault fault : faults) {
        if (fault.fault.matches(method, path, query) && fault.remaining.getAndDecrement() > 0) {
          kind = fault.fault.kind();
          break;
        }
      }
      if (kind == RequestFault.Kind.RESET) {
        reset(client);
        return;
      }
      if (kind == RequestFault.Kind.HANG) {
        while (!closed && in.read() >= 0) {
          // wait until the client gives up
        }
        return;
      }
      byte[] response;
      try (Socket upstream = new Socket()) {
        upstream.connect(backend, 10_000);
        OutputStream up = upstream.getOutputStream();
        up.write(forwarded.toString().getBytes(StandardCharsets.ISO_8859_1));
        up.write(body);
        up.flush();
        response = readResponse(upstream.getInputStream());
      }
      if (kind == RequestFault.Kind.RESET_AFTER_HANDLING) {
        reset(client);
        return;
      }
      OutputStream out = client.getOutputStream();
      if (kind == RequestFault.Kind.TRUNCATED_BODY) {
        int bodyStart = indexOfBlankLine(response) + 4;
        int cut = bodyStart + Math.max(1, (response.length - bodyStart) / 2);
        out.write(response, 0, Math.min(cut, response.length - 1));
      } else {
        out.write(response);
      }
      out.flush();
    } catch (IOException | RuntimeException e) {
      // the client went away or sent something this proxy does not speak; drop the connection
    } finally {
      open.remove(client);
    }
  }

  private static void reset(Socket client) throws IOException {
    client.setSoLinger(true, 0);
    client.close();
  }

  private static byte[] readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int last4 = 0;
    while (head.size() < MAX_HEAD) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      head.write(b);
      last4 = (last4 << 8) | b;
      if (last4 == 0x0d0a0d0a) {
        byte[] bytes = head.toByteArray();
        return Arrays.copyOf(bytes, bytes.length - 4);
      }
    }
    return null;
  }

  /** Reads one response, framed by Content-Length, chunks or the end of the stream. */
  private static byte[] readResponse(InputStream in) throws IOException {
    byte[] head = readHead(in);
    if (head == null) {
      throw new IOException("the server closed the connection without an answer");
    }
    String[] lines = new String(head, StandardCharsets.ISO_8859_1).split("\r\n");
    StringBuilder rewritten = new StringBuilder(lines[0]).append("\r\n");
    long length = -1;
    boolean chunked = false;
    for (int i = 1; i < lines.length; i++) {
      String line = lines[i];
      int colon = line.indexOf(':');
      String name = colon < 0 ? line : line.substring(0, colon).strip();
      String value = colon < 0 ? "" : line.substring(colon + 1).strip();
      if (name.equalsIgnoreCase("Content-Length")) {
        length = Long.parseLong(value);
      } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
        chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
      } else if (name.equalsIgnoreCase("Connection")) {
        continue;
      }
      rewritten.append(line).append("\r\n");
    }
    rewritten.append("Connection: close\r\n\r\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(rewritten.toString().getBytes(StandardCharsets.ISO_8859_1));
    if (chunked) {
      while (true) {
        String sizeLine = readLine(in);
        out.write((sizeLine + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        int semicolon = sizeLine.indexOf(';');
        int size =
            Integer.parseInt(
                (semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).strip(), 16);
        if (size == 0) {
          String trailer;
          do {
            trailer = readLine(in);
            out.write((trailer + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
          } while (!trailer.isEmpty());
          break;
        }
        out.write(in.readNBytes(size + 2));
      }
    } else if (length >= 0) {
      out.write(in.readNBytes((int) length));
    } else {
      out.write(in.readAllBytes());
    }
    return out.toByteArray();
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int previous = -1;
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("the server's answer ended in the middle of a chunk");
      }
      if (previous == '\r' && b == '\n') {
        byte[] bytes = line.toByteArray();
        return new String(bytes, 0, bytes.length - 1, StandardCharsets.ISO_8859_1);
      }
      line.write(b);
      previous = b;
    }
  }

  private static int indexOfBlankLine(byte[] response) {
    for (int i = 0; i + 3 < response.length; i++) {
      if (response[i] == '\r'
          && response[i + 1] == '\n'
          && response[i + 2] == '\r'
          && response[i + 3] == '\n') {
        return i;
      }
    }
    return response.length - 4;
  }

  /** Stops accepting and drops every open connection. */
  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException ignored) {
      // already closed
    }
    for (Socket socket : open) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // already closed
      }
    }
  }
}
