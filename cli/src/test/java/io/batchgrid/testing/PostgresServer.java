package io.batchgrid.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL cluster for a test: {@code initdb} in a temporary directory, {@code pg_ctl
 * start} on a free loopback port (trust authentication, user {@value #USER}), and on {@link #close}
 * an immediate stop and the directory removed. Real PostgreSQL from the machine's packages
 * ({@code scripts/test} installs Debian's {@code postgresql} when it is missing); the binaries are
 * found in {@code $BATCHGRID_PG_BIN}, {@code /usr/lib/postgresql/<newest>/bin} or on the PATH.
 *
 * <p>PostgreSQL refuses to run as root: when the test runs as root, the server runs as the
 * {@code postgres} system user (which the Debian package creates) through {@code runuser}.
 */
public final class PostgresServer implements AutoCloseable {
  public static final String USER = "batchgrid";

  private final Path dir;
  private final Path bin;
  private final int port;
  private final boolean asPostgresUser;
  private boolean running;

  private PostgresServer(Path dir, Path bin, int port, boolean asPostgresUser) {
    this.dir = dir;
    this.bin = bin;
    this.port = port;
    this.asPostgresUser = asPostgresUser;
  }

  /** Creates and starts a cluster; fails with the tool's output when it cannot. */
  public static PostgresServer start() throws IOException, InterruptedException {
    Path bin = binDir();
    boolean root = "root".equals(System.getProperty("user.name"));
    Path dir = Files.createTempDirectory("batchgrid-pg");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    PostgresServer pg = new PostgresServer(dir, bin, port, root);
    try {
      if (root) {
        pg.run(List.of("chown", "postgres:postgres", dir.toString()), false);
      }
      pg.run(List.of(bin.resolve("initdb").toString(), "-D", dir.resolve("data").toString(), "-U", USER,
          "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"), true);
      pg.run(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-l",
          dir.resolve("server.log").toString(), "-w", "-t", "60",
          "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1", "start"), true);
      pg.running = true;
      return pg;
    } catch (IOException | RuntimeException e) {
      pg.close();
      throw e;
    }
  }

  /** The JDBC URL of {@code database}. */
  public String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  public int port() {
    return port;
  }

  /** Creates a database of its own for one test; returns its JDBC URL. */
  public String createDatabase(String name) throws SQLException {
    try (Connection c = DriverManager.getConnection(url("postgres"), USER, "");
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE \"" + name + "\"");
    }
    return url(name);
  }

  /** Runs one query returning a single number (for checks on what the journal holds). */
  public long queryLong(String database, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(url(database), USER, "");
        Statement s = c.createStatement();
        var rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Override
  public void close() throws IOException, InterruptedException {
    if (running) {
      running = false;
      try {
        run(List.of(bin.resolve("pg_ctl").toString(), "-D", dir.resolve("data").toString(), "-m", "immediate",
            "-w", "stop"), true);
      } catch (IOException | RuntimeException e) {
        // the directory goes anyway; a server left behind dies with its socket directory
      }
    }
    if (Files.exists(dir)) {
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private void run(List<String> command, boolean asServerUser) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    if (asServerUser && asPostgresUser) {
      cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    cmd.addAll(command);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] output = p.getInputStream().readAllBytes();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("timed out: " + cmd);
    }
    if (p.exitValue() != 0) {
      String log = Files.exists(dir.resolve("server.log")) ? Files.readString(dir.resolve("server.log")) : "";
      throw new IOException(String.join(" ", cmd) + " exited " + p.exitValue() + ":\n"
          + new String(output, StandardCharsets.UTF_8) + log);
    }
  }

  private static Path binDir() throws IOException {
    String env = System.getenv("BATCHGRID_PG_BIN");
    if (env != null && !env.isBlank()) {
      return Path.of(env);
    }
    Path debian = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(debian)) {
      try (Stream<Path> versions = Files.list(debian)) {
        var newest = versions.filter(v -> Files.isExecutable(v.resolve("bin/pg_ctl")))
            .max(Comparator.comparingInt(v -> parseVersion(v.getFileName().toString())));
        if (newest.isPresent()) {
          return newest.get().resolve("bin");
        }
      }
    }
    for (String p : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(p, "pg_ctl")) && Files.isExecutable(Path.of(p, "initdb"))) {
        return Path.of(p);
      }
    }
    throw new IllegalStateException("PostgreSQL is not installed (no initdb/pg_ctl): run scripts/test, which installs it");
  }

  private static int parseVersion(String s) {
    try {
      return Integer.parseInt(s);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
