package io.batchgrid.worker;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a task's command line into a program and its arguments.
 *
 * <p>Azure Batch runs a command line on Linux without a shell: there is no variable expansion, no
 * globbing, no redirection or pipes (a task that wants them runs {@code /bin/sh -c '...'}). The
 * words are still split the way a shell splits them, so quoting behaves as users expect:
 * <ul>
 *   <li>blanks (space, tab, newline) separate words outside quotes;
 *   <li>{@code '...'} keeps everything literally;
 *   <li>{@code "..."} keeps everything literally except {@code \"}, {@code \\}, {@code \$},
 *       {@code \`} and backslash-newline, as in POSIX sh;
 *   <li>outside quotes a backslash makes the next character literal (backslash-newline is removed);
 *   <li>adjacent quoted and unquoted parts form one word; {@code ''} is an empty argument.
 * </ul>
 */
public final class CommandLine {
  private CommandLine() {}

  /**
   * Returns the words of {@code commandLine}, never empty.
   *
   * @throws IllegalArgumentException when a quote is not closed, the line ends in an escaping
   *     backslash, or there is no word at all; the message says what and where
   */
  public static List<String> split(String commandLine) {
    if (commandLine == null) {
      throw new IllegalArgumentException("The command line is empty");
    }
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    // A word can be empty yet present (''), so "in a word" is tracked apart from its length.
    boolean inWord = false;
    int n = commandLine.length();
    int i = 0;
    while (i < n) {
      char c = commandLine.charAt(i);
      switch (c) {
        case ' ', '\t', '\n', '\r' -> {
          if (inWord) {
            words.add(word.toString());
            word.setLength(0);
            inWord = false;
          }
          i++;
        }
        case '\'' -> {
          int close = commandLine.indexOf('\'', i + 1);
          if (close < 0) {
            throw new IllegalArgumentException(
                "The command line has an unbalanced single quote at position " + i);
          }
          word.append(commandLine, i + 1, close);
          inWord = true;
          i = close + 1;
        }
        case '"' -> {
          i = appendDoubleQuoted(commandLine, i, word);
          inWord = true;
        }
        case '\\' -> {
          if (i + 1 >= n) {
            throw new IllegalArgumentException("The command line ends with an unescaped backslash");
          }
          char next = commandLine.charAt(i + 1);
          if (next != '\n') { // backslash-newline continues the line
            word.append(next);
            inWord = true;
          }
          i += 2;
        }
        default -> {
          word.append(c);
          inWord = true;
          i++;
        }
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    if (words.isEmpty()) {
      throw new IllegalArgumentException("The command line is empty");
    }
    return words;
  }

  /** Appends the double-quoted part opening at {@code open}; returns the index after its closing quote. */
  private static int appendDoubleQuoted(String s, int open, StringBuilder word) {
    int n = s.length();
    int i = open + 1;
    while (i < n) {
      char c = s.charAt(i);
      if (c == '"') {
        return i + 1;
      }
      if (c == '\\' && i + 1 < n) {
        char next = s.charAt(i + 1);
        switch (next) {
          case '"', '\\', '$', '`' -> {
            word.append(next);
            i += 2;
            continue;
          }
          case '\n' -> {
            i += 2;
            continue;
          }
          default -> {
            // POSIX: any other backslash inside double quotes is kept as it is.
          }
        }
      }
      word.append(c);
      i++;
    }
    throw new IllegalArgumentException("The command line has an unbalanced double quote at position " + open);
  }

  /**
   * True when {@code program} can be started: a path (with a '/') to an executable file, or a name
   * found as one in a directory of {@code path}, as execvp looks it up.
   */
  public static boolean isRunnable(String program, String path) {
    if (program.contains("/")) {
      return java.nio.file.Files.isExecutable(java.nio.file.Path.of(program))
          && !java.nio.file.Files.isDirectory(java.nio.file.Path.of(program));
    }
    for (String dir : (path == null || path.isEmpty() ? "/usr/bin:/bin" : path).split(":")) {
      java.nio.file.Path candidate = java.nio.file.Path.of(dir.isEmpty() ? "." : dir, program);
      if (java.nio.file.Files.isExecutable(candidate) && !java.nio.file.Files.isDirectory(candidate)) {
        return true;
      }
    }
    return false;
  }
}
