package io.batchgrid.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code batchgrid} command. */
@Command(
    name = "batchgrid",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Self-hosted batch compute service speaking the Azure Batch REST API.",
    subcommands = {ServerCommand.class, CoordinatorCommand.class, ApiCommand.class, WorkerCommand.class,
        AppCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {

  /** Exit code for bad command lines and bad settings. */
  public static final int EXIT_USAGE = 2;

  @Spec CommandSpec spec;

  public static void main(String[] args) {
    // Initialize logging before Pekko's threads race to do it (SLF4J would warn about replaying).
    org.slf4j.LoggerFactory.getILoggerFactory();
    int code = commandLine().execute(args);
    System.exit(code);
  }

  /** The command tree, ready to parse or execute. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    // A bad command line is one line on stderr, not the whole usage text.
    cli.setParameterExceptionHandler((e, args) -> {
      CommandLine failed = e.getCommandLine();
      failed.getErr().println("batchgrid: " + e.getMessage()
          + " (see: " + failed.getCommandSpec().qualifiedName() + " --help)");
      return EXIT_USAGE;
    });
    return cli;
  }

  @Override
  public Integer call() {
    // No subcommand given.
    spec.commandLine().usage(spec.commandLine().getErr());
    return EXIT_USAGE;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"batchgrid " + (v == null ? "(development build)" : v)};
    }
  }
}
