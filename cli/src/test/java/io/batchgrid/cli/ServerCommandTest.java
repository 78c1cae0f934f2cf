package io.batchgrid.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import io.batchgrid.config.Settings;
import io.batchgrid.config.SettingsException;
import io.batchgrid.config.TlsSettings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

class ServerCommandTest {

  /** A config file that sets every option's key, over the defaults, without the real environment. */
  private static final Config CONFIG_FILE = ConfigFactory.parseString("""
          batchgrid {
            data-dir = "/srv/from-config"
            api { bind = "127.0.0.2", port = 1234 }
            account.name = fromconfig
          }
          """)
      .withFallback(ConfigFactory.parseResources("reference.conf"))
      .resolve(ConfigResolveOptions.noSystem());

  private static ServerCommand parse(String... args) {
    ParseResult result = Main.commandLine().parseArgs(args);
    assertTrue(result.hasSubcommand());
    return assertInstanceOf(ServerCommand.class,
        result.subcommand().commandSpec().userObject());
  }

  @Test
  void optionsOverrideTheConfig() {
    Settings s = parse("server", "--port", "9000", "--data", "/tmp/bg-data",
        "--bind", "0.0.0.0", "--account-name", "fromcli").settings(CONFIG_FILE);
    assertEquals(9000, s.port());
    assertEquals(Path.of("/tmp/bg-data"), s.dataDir());
    assertEquals("0.0.0.0", s.bind());
    assertEquals("fromcli", s.accountName());
    assertEquals("in-process", s.nodeProvider());
  }

  @Test
  void withoutOptionsTheConfigWins() {
    Settings s = parse("server").settings(CONFIG_FILE);
    assertEquals(1234, s.port());
    assertEquals(Path.of("/srv/from-config"), s.dataDir());
    assertEquals("127.0.0.2", s.bind());
    assertEquals("fromconfig", s.accountName());
  }

  @Test
  void onlyGivenOptionsOverride() {
    Settings s = parse("server", "--port=0").settings(CONFIG_FILE);
    assertEquals(0, s.port());
    assertEquals("127.0.0.2", s.bind());
    assertEquals("fromconfig", s.accountName());
  }

  @Test
  void aRelativeDataDirIsResolvedFromTheWorkingDirectory() {
    Settings s = parse("server", "--data", "rel/dir").settings(CONFIG_FILE);
    assertEquals(Path.of("rel/dir").toAbsolutePath().normalize(), s.dataDir());
  }

  private record Run(int code, String out, String err) {}

  private static Run execute(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void aPortThatIsNotANumberIsOneLineAndExit2() {
    Run run = execute("server", "--port", "http");
    assertEquals(Main.EXIT_USAGE, run.code());
    assertTrue(run.err().startsWith("batchgrid: "), run.err());
    assertTrue(run.err().contains("--port"), run.err());
    assertEquals(1, run.err().strip().lines().count(), run.err());
  }

  @Test
  void anUnknownOptionIsRefused() {
    Run run = execute("server", "--prot", "1");
    assertEquals(Main.EXIT_USAGE, run.code());
    assertEquals(1, run.err().strip().lines().count(), run.err());
  }

  @Test
  void badSettingsExitWithTheKeyNamed() {
    // Validation happens before anything starts, so this never opens a port or a data directory.
    ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    int code = new CommandLine(new ServerCommand(System.out, new PrintStream(errBytes, true)))
        .execute("--port", "70000");
    assertEquals(Main.EXIT_USAGE, code);
    String message = errBytes.toString();
    assertTrue(message.startsWith("batchgrid: bad setting batchgrid.api.port: "), message);
    assertEquals(1, message.strip().lines().count(), message);

    errBytes.reset();
    code = new CommandLine(new ServerCommand(System.out, new PrintStream(errBytes, true)))
        .execute("--account-name", "Not_Valid");
    assertEquals(Main.EXIT_USAGE, code);
    assertTrue(errBytes.toString().contains("batchgrid.account.name"), errBytes.toString());
  }

  @Test
  void noSubcommandPrintsUsage() {
    Run run = execute();
    assertEquals(Main.EXIT_USAGE, run.code());
  }

  @Test
  void tlsOptionsOverrideTheConfig(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path keystore = java.nio.file.Files.write(dir.resolve("server.p12"), new byte[] {1});
    Config withPassword = ConfigFactory.parseString("batchgrid.api.tls.keystore-password = pw").withFallback(CONFIG_FILE);
    TlsSettings tls = parse("server", "--tls-keystore", keystore.toString(), "--allow-plain-http").tls(withPassword);
    assertTrue(tls.enabled());
    assertEquals(keystore, tls.keystore());
    assertEquals("pw", tls.password());
    assertTrue(tls.allowPlainHttp());
    TlsSettings none = parse("server").tls(CONFIG_FILE);
    assertFalse(none.enabled());
    assertFalse(none.allowPlainHttp());
    SettingsException e = assertThrows(SettingsException.class,
        () -> parse("server", "--tls-keystore", keystore.toString()).tls(CONFIG_FILE));
    assertEquals(TlsSettings.PASSWORD, e.key());
    Settings s = new Settings(Path.of("/d"), "0.0.0.0", 0, "acct", "", "in-process");
    assertEquals("batchgrid ready: api https://0.0.0.0:8443 account=acct data=/d",
        ServerCommand.readyLine(s, true, new InetSocketAddress("0.0.0.0", 8443)));
  }

  @Test
  void readyLineNamesTheBoundPort() {
    Settings s = new Settings(Path.of("/d"), "127.0.0.1", 0, "acct", "", "in-process");
    assertEquals("batchgrid ready: api http://127.0.0.1:43210 account=acct data=/d",
        ServerCommand.readyLine(s, new InetSocketAddress("127.0.0.1", 43210)));
    Settings v6 = new Settings(Path.of("/d"), "::1", 0, "acct", "", "in-process");
    assertEquals("http://[::1]:8280",
        ServerCommand.apiUrl(v6, new InetSocketAddress("::1", 8280)));
  }
}
