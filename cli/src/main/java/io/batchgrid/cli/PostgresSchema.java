package io.batchgrid.cli;

import io.batchgrid.config.JournalSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Creates the shared journal's tables ({@code postgres-schema.sql}) before a coordinator starts.
 * Every statement is idempotent; an advisory lock keeps two coordinators starting at once from
 * racing in PostgreSQL's catalog (concurrent CREATE ... IF NOT EXISTS can still collide there).
 */
final class PostgresSchema {
  static final String RESOURCE = "postgres-schema.sql";
  /** Any constant shared by every batchgrid coordinator: the advisory lock's key. */
  private static final long LOCK_KEY = 0x62617463686772L; // "batchgr"

  private PostgresSchema() {}

  /** Applies the schema; the exception says what the database answered. */
  static void create(JournalSettings journal) throws SQLException {
    String ddl = ddl();
    try (Connection c = DriverManager.getConnection(journal.url(), journal.user(), journal.password())) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.execute("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")");
        for (String statement : ddl.replaceAll("(?m)^--.*$", "").split(";")) {
          String sql = statement.trim();
          if (!sql.isEmpty()) {
            s.execute(sql);
          }
        }
      }
      c.commit();
    }
  }

  static String ddl() {
    try (InputStream in = PostgresSchema.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
