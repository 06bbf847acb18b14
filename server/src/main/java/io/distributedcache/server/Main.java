package io.distributedcache.server;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code bin/distributedcache}: dispatches to the subcommands. */
@Command(
    name = "distributedcache",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "DistributedCache: a distributed in-memory cache that speaks RESP.",
    subcommands = {
      ServerCommand.class,
      LocalClusterCommand.class,
      ClusterCliCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    // Exit explicitly: a stopped server leaves no threads behind, but the status must be ours.
    System.exit(new CommandLine(new Main()).execute(args));
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Reports the version baked into the jar. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"distributedcache " + io.distributedcache.resp.server.NodeContext.VERSION};
    }
  }
}
