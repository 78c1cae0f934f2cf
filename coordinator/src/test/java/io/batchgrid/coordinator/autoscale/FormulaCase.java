package io.batchgrid.coordinator.autoscale;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One corpus case read from a {@code .case} file: the pool's state and sample history, the formula, and
 * what evaluating it must give. The format, one header per line, then the formula after {@code formula:}:
 *
 * <pre>
 * # a comment
 * now: 2024-03-04T10:00:00Z
 * period: 30s                                   (optional, default 30s)
 * scalar: $CurrentDedicatedNodes = 5
 * series: $PendingTasks every 30s count 7 [ending 2m ago] [nodes 3] = 10, 12, 14   (values cycle, oldest first)
 * seed: 42                                      (optional, for rand())
 * results: $TargetDedicatedNodes=16;...         (the exact results string)
 * error: InsufficientSampleData Line 3, Col 30: Insufficient data ...   (or "error: none", the default)
 * stopped: true                                 (optional)
 * formula:
 * ...the formula, verbatim, to the end of the file...
 * </pre>
 */
record FormulaCase(String name, InMemorySampleSource source, long seed, String formula, Optional<String> results,
                   Optional<String> error, boolean stopped) {

    private static final Pattern SERIES = Pattern.compile(
            "(\\$\\w+) every (\\S+) count (\\d+)(?: ending (\\S+) ago)?(?: nodes (\\d+))? = (.*)");
    private static final Pattern SCALAR = Pattern.compile("(\\$\\w+) = (\\S+)");

    static List<FormulaCase> loadAll(Path directory) {
        try (var files = Files.list(directory)) {
            return files.filter(p -> p.toString().endsWith(".case")).sorted().map(FormulaCase::load).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static FormulaCase load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int marker = text.indexOf("\nformula:\n");
        if (marker < 0) {
            throw new IllegalArgumentException(file + ": no 'formula:' line");
        }
        String formula = text.substring(marker + "\nformula:\n".length());
        Instant now = null;
        Duration period = Duration.ofSeconds(30);
        long seed = 1;
        Optional<String> results = Optional.empty();
        Optional<String> error = Optional.empty();
        boolean stopped = false;
        List<String[]> scalars = new ArrayList<>();
        List<Matcher> series = new ArrayList<>();
        for (String line : text.substring(0, marker).split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            String key = line.substring(0, colon).trim();
            String value = line.substring(colon + 1).trim();
            switch (key) {
                case "now" -> now = Instant.parse(value);
                case "period" -> period = duration(value);
                case "seed" -> seed = Long.parseLong(value);
                case "results" -> results = Optional.of(value);
                case "error" -> error = value.equals("none") ? Optional.empty() : Optional.of(value);
                case "stopped" -> stopped = Boolean.parseBoolean(value);
                case "scalar" -> {
                    Matcher m = SCALAR.matcher(value);
                    if (!m.matches()) {
                        throw new IllegalArgumentException(file + ": bad scalar " + value);
                    }
                    scalars.add(new String[] {m.group(1), m.group(2)});
                }
                case "series" -> {
                    Matcher m = SERIES.matcher(value);
                    if (!m.matches()) {
                        throw new IllegalArgumentException(file + ": bad series " + value);
                    }
                    series.add(m);
                }
                default -> throw new IllegalArgumentException(file + ": unknown header " + key);
            }
        }
        if (now == null) {
            throw new IllegalArgumentException(file + ": no 'now'");
        }
        InMemorySampleSource.Builder source = InMemorySampleSource.at(now).samplePeriod(period);
        for (String[] s : scalars) {
            source.scalar(variable(s[0]), Double.parseDouble(s[1]));
        }
        for (Matcher m : series) {
            Duration every = duration(m.group(2));
            int count = Integer.parseInt(m.group(3));
            Instant newest = m.group(4) == null ? now : now.minus(duration(m.group(4)));
            int nodes = m.group(5) == null ? 1 : Integer.parseInt(m.group(5));
            double[] values = Arrays.stream(m.group(6).split(",")).map(String::trim)
                    .mapToDouble(Double::parseDouble).toArray();
            ArraySampleSeries.Builder b = ArraySampleSeries.builder();
            for (int i = 0; i < count; i++) {
                double[] perNode = new double[nodes];
                Arrays.fill(perNode, values[i % values.length]);
                b.add(newest.minus(every.multipliedBy(count - 1 - i)), perNode);
            }
            source.series(variable(m.group(1)), b.build());
        }
        String name = file.getFileName().toString().replace(".case", "");
        return new FormulaCase(name, source.build(), seed, formula, results, error, stopped);
    }

    private static ServiceVariable variable(String name) {
        return ServiceVariable.byName(name).orElseThrow(() -> new IllegalArgumentException("no variable " + name));
    }

    static Duration duration(String text) {
        long n = Long.parseLong(text.substring(0, text.length() - 1));
        return switch (text.charAt(text.length() - 1)) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            case 'h' -> Duration.ofHours(n);
            case 'd' -> Duration.ofDays(n);
            default -> throw new IllegalArgumentException("bad duration " + text);
        };
    }

    @Override
    public String toString() {
        return name;
    }
}
