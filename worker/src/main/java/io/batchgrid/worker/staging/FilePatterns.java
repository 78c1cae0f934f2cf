package io.batchgrid.worker.staging;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * An output file's {@code filePattern}, with Azure Batch's rules: relative to the task's working
 * directory (absolute paths are allowed too), {@code /} or {@code \} between segments, {@code *}
 * any characters within a segment, {@code **} any number of directories, {@code ?} one character,
 * {@code [abc]}, {@code [a-z]} and {@code [!a]} classes; a pattern without wildcards names one file.
 * {@code ../std*.txt} reaches the task directory, where stdout.txt and stderr.txt are.
 *
 * <p>A match's {@link Match#name} is its path relative to the pattern's base directory (the
 * leading segments without wildcards), which is what the blob name keeps under the destination
 * path. Only regular files match; symbolic links are not followed.
 */
final class FilePatterns {
  private FilePatterns() {}

  /** One file the pattern matches and its name relative to the pattern's base directory. */
  record Match(Path file, String name) {}

  static boolean hasWildcards(String pattern) {
    return pattern.indexOf('*') >= 0 || pattern.indexOf('?') >= 0 || pattern.indexOf('[') >= 0;
  }

  /**
   * The regular files {@code pattern} matches, sorted by name.
   *
   * @param confinement no file outside this directory (the node's root) can match
   * @throws IllegalArgumentException when the pattern is empty or its base directory lies outside
   *     {@code confinement}
   */
  static List<Match> expand(Path workingDir, Path confinement, String pattern) throws IOException {
    String normalized = pattern.trim().replace('\\', '/');
    if (normalized.isEmpty()) {
      throw new IllegalArgumentException("the file pattern is empty");
    }
    boolean absolute = normalized.startsWith("/");
    List<String> segments = new ArrayList<>(Arrays.asList(normalized.split("/")));
    segments.removeIf(String::isEmpty);
    Path base = absolute ? Path.of("/") : workingDir;
    int i = 0;
    while (i < segments.size() && !hasWildcards(segments.get(i))) {
      base = base.resolve(segments.get(i));
      i++;
    }
    base = base.normalize();
    Path root = confinement.toAbsolutePath().normalize();
    if (!base.startsWith(root)) {
      throw new IllegalArgumentException("the file pattern '" + pattern + "' reaches outside the node's directories");
    }
    if (i == segments.size()) {
      // No wildcard: one file, named by its own file name.
      return Files.isRegularFile(base, java.nio.file.LinkOption.NOFOLLOW_LINKS)
          ? List.of(new Match(base, base.getFileName().toString()))
          : List.of();
    }
    if (!Files.isDirectory(base)) {
      return List.of();
    }
    List<String> rest = segments.subList(i, segments.size());
    Pattern regex = Pattern.compile(toRegex(rest));
    int depth = rest.contains("**") ? Integer.MAX_VALUE : rest.size();
    Path walkBase = base;
    List<Match> matches = new ArrayList<>();
    try (Stream<Path> files = Files.find(base, depth, (p, attrs) -> attrs.isRegularFile())) {
      files.forEach(p -> {
        String name = walkBase.relativize(p).toString().replace('\\', '/');
        if (regex.matcher(name).matches()) {
          matches.add(new Match(p, name));
        }
      });
    }
    matches.sort(Comparator.comparing(Match::name));
    return matches;
  }

  /** The regular expression for the wildcard part of a pattern, over '/'-separated relative paths. */
  static String toRegex(List<String> segments) {
    StringBuilder re = new StringBuilder();
    for (int i = 0; i < segments.size(); i++) {
      String segment = segments.get(i);
      boolean last = i == segments.size() - 1;
      if (segment.equals("**")) {
        re.append(last ? ".+" : "(?:[^/]+/)*");
        continue;
      }
      appendSegment(re, segment);
      if (!last) {
        re.append('/');
      }
    }
    return re.toString();
  }

  private static void appendSegment(StringBuilder re, String segment) {
    for (int i = 0; i < segment.length(); i++) {
      char c = segment.charAt(i);
      switch (c) {
        case '*' -> {
          re.append("[^/]*");
          while (i + 1 < segment.length() && segment.charAt(i + 1) == '*') {
            i++; // "a**b" within a segment is the same as "a*b"
          }
        }
        case '?' -> re.append("[^/]");
        case '[' -> {
          int close = segment.indexOf(']', i + 2);
          if (close < 0) {
            re.append("\\[");
            break;
          }
          String body = segment.substring(i + 1, close);
          boolean negated = body.startsWith("!") || body.startsWith("^");
          if (negated) {
            body = body.substring(1);
          }
          re.append(negated ? "[^/" : "[");
          for (char k : body.toCharArray()) {
            if (k == '-') {
              re.append('-');
            } else if (Character.isLetterOrDigit(k)) {
              re.append(k);
            } else {
              re.append('\\').append(k);
            }
          }
          re.append(']');
          i = close;
        }
        default -> {
          if (Character.isLetterOrDigit(c)) {
            re.append(c);
          } else {
            re.append('\\').append(c);
          }
        }
      }
    }
  }
}
