package dev.opskit.examples.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

/** Runs the command line in-process and captures its exit status and output. */
final class CliRun {
  final int exitCode;
  final String out;
  final String err;
  final byte[] outBytes;

  private CliRun(int exitCode, String out, String err, byte[] outBytes) {
    this.exitCode = exitCode;
    this.out = out;
    this.err = err;
    this.outBytes = outBytes;
  }

  static CliRun of(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exitCode = OpskitCli.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new CliRun(
        exitCode, out.toString(), err.toString(), out.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** Runs on byte streams, with {@code stdin} as standard input (as when it is not a terminal). */
  static CliRun withStdin(byte[] stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exitCode = OpskitCli.run(args, new ByteArrayInputStream(stdin), out, err);
    return new CliRun(
        exitCode,
        out.toString(StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8),
        out.toByteArray());
  }

  @Override
  public String toString() {
    return "exit " + exitCode + "\n--- out\n" + out + "--- err\n" + err;
  }
}
