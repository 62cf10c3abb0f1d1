package dev.opskit.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Random argument lists full of characters that break naive shell quoting. */
final class HostileStrings {
  private static final String[] PIECES = {
    "'",
    "\"",
    "$",
    "`",
    "\\",
    "\n",
    "\r",
    "\t",
    " ",
    "*",
    "?",
    "[",
    "]",
    "{",
    "}",
    "~",
    "!",
    "#",
    "&",
    "|",
    ";",
    "<",
    ">",
    "(",
    ")",
    "$(id)",
    "`id`",
    "${HOME}",
    "'\"'",
    "--",
    "-n",
    "-e",
    "%s",
    "ü",
    "日本",
    "\uD83D\uDE00",
    "\u00a0",
    "\u202e",
    "a",
    "Z",
    "0",
    "=",
    ",",
    "%",
  };

  private HostileStrings() {}

  static List<String> randomArguments(Random random) {
    int count = random.nextInt(6) + 1;
    List<String> args = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      args.add(randomArgument(random));
    }
    return args;
  }

  static String randomArgument(Random random) {
    if (random.nextInt(8) == 0) {
      return "";
    }
    StringBuilder arg = new StringBuilder();
    int pieces = random.nextInt(8) + 1;
    for (int i = 0; i < pieces; i++) {
      arg.append(PIECES[random.nextInt(PIECES.length)]);
    }
    return arg.toString();
  }
}
