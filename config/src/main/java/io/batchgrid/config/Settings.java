package io.batchgrid.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Every setting batchgrid reads, read once at start from HOCON ({@code batchgrid { ... }}) with
 * environment overrides. Validation names the bad key.
 *
 * @param dataDir journal, snapshots, node directories and the generated account key live here
 *     (absolute and normalized when made by {@link #load})
 * @param bind address the API listens on
 * @param port port the API listens on (0: any free port)
 * @param accountName the Azure Batch account name clients sign with
 * @param accountKey the base64 SharedKey clients sign with; empty until {@link AccountKeys} has
 *     read or generated the key of the data directory
 * @param nodeProvider how compute nodes are provided: "in-process", "local-process" or "static"
 */
public record Settings(
    Path dataDir,
    String bind,
    int port,
    String accountName,
    String accountKey,
    String nodeProvider) {

  public static final String DATA_DIR = "batchgrid.data-dir";
  public static final String BIND = "batchgrid.api.bind";
  public static final String PORT = "batchgrid.api.port";
  public static final String ACCOUNT_NAME = "batchgrid.account.name";
  public static final String ACCOUNT_KEY = "batchgrid.account.key";
  public static final String NODE_PROVIDER = "batchgrid.node-provider";

  /** Node providers this build knows. */
  public static final Set<String> NODE_PROVIDERS = Set.of("in-process", "local-process", "static");

  /** Azure Batch account names: 3 to 24 lowercase letters and digits. */
  private static final Pattern ACCOUNT_NAME_PATTERN = Pattern.compile("[a-z0-9]{3,24}");

  /**
   * Reads and validates the {@code batchgrid} section of a resolved config (normally
   * {@code ConfigFactory.load()}, which layers this module's {@code reference.conf}, the
   * application's config, {@code -D} properties and the environment).
   *
   * @throws SettingsException naming the first missing or invalid key
   */
  public static Settings load(Config config) {
    String dataDirText = string(config, DATA_DIR);
    if (dataDirText.isBlank()) {
      throw new SettingsException(DATA_DIR, "must not be empty");
    }
    Path dataDir;
    try {
      dataDir = Path.of(dataDirText).toAbsolutePath().normalize();
    } catch (InvalidPathException e) {
      throw new SettingsException(DATA_DIR, "not a valid path: " + e.getMessage(), e);
    }

    String bind = string(config, BIND).trim();
    if (bind.isEmpty()) {
      throw new SettingsException(BIND, "must not be empty");
    }

    int port;
    try {
      port = config.getInt(PORT);
    } catch (ConfigException.Missing e) {
      throw new SettingsException(PORT, "missing", e);
    } catch (ConfigException.WrongType e) {
      throw new SettingsException(
          PORT, "must be a number from 0 to 65535, got '" + rawValue(config, PORT) + "'", e);
    }
    if (port < 0 || port > 65535) {
      throw new SettingsException(PORT, "must be a number from 0 to 65535, got " + port);
    }

    String accountName = string(config, ACCOUNT_NAME);
    if (!ACCOUNT_NAME_PATTERN.matcher(accountName).matches()) {
      throw new SettingsException(
          ACCOUNT_NAME,
          "must be 3 to 24 lowercase letters and digits, got '" + accountName + "'");
    }

    String accountKey = string(config, ACCOUNT_KEY).trim();
    if (!accountKey.isEmpty()) {
      validateKey(ACCOUNT_KEY, accountKey);
    }

    String nodeProvider = string(config, NODE_PROVIDER).trim();
    if (!NODE_PROVIDERS.contains(nodeProvider)) {
      throw new SettingsException(
          NODE_PROVIDER, "unknown provider '" + nodeProvider + "', known: " + NODE_PROVIDERS);
    }

    // Read where it is used (the worker); validated here so a bad value stops the server at start.
    AutoStorage.load(config);

    return new Settings(dataDir, bind, port, accountName, accountKey, nodeProvider);
  }

  /** The same settings with the given account key. */
  public Settings withAccountKey(String key) {
    return new Settings(dataDir, bind, port, accountName, key, nodeProvider);
  }

  /** Where {@link AccountKeys} keeps the generated key. */
  public Path accountKeyFile() {
    return dataDir.resolve(AccountKeys.FILE_NAME);
  }

  /** The decoded account key, for computing HMAC signatures. */
  public byte[] accountKeyBytes() {
    if (accountKey == null || accountKey.isEmpty()) {
      throw new IllegalStateException("the account key has not been resolved yet (AccountKeys)");
    }
    return Base64.getDecoder().decode(accountKey);
  }

  /** Checks that {@code key} is non-empty standard base64; the exception names {@code keyName}. */
  static byte[] validateKey(String keyName, String key) {
    byte[] bytes;
    try {
      bytes = Base64.getDecoder().decode(key);
    } catch (IllegalArgumentException e) {
      throw new SettingsException(keyName, "not valid base64: " + e.getMessage(), e);
    }
    if (bytes.length == 0) {
      throw new SettingsException(keyName, "must not be empty");
    }
    return bytes;
  }

  private static String string(Config config, String key) {
    try {
      return config.getString(key);
    } catch (ConfigException.Missing e) {
      throw new SettingsException(key, "missing", e);
    } catch (ConfigException.WrongType e) {
      throw new SettingsException(key, "must be a string", e);
    }
  }

  private static String rawValue(Config config, String key) {
    try {
      return String.valueOf(config.getValue(key).unwrapped());
    } catch (ConfigException e) {
      return "?";
    }
  }

  @Override
  public String toString() {
    // Never print the key.
    return "Settings[dataDir=" + dataDir + ", bind=" + bind + ", port=" + port
        + ", accountName=" + accountName + ", accountKey=" + (accountKey == null || accountKey.isEmpty() ? "" : "***")
        + ", nodeProvider=" + nodeProvider + "]";
  }
}
