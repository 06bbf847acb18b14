package io.distributedcache.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The node command lines {@link LocalClusterCommand} builds, and its data directories. */
class LocalClusterCommandTest {

  @TempDir Path temp;

  @Test
  void eachNodeGetsItsOwnDataDirectoryUnderTheBase() {
    LocalClusterCommand command = new LocalClusterCommand();
    new CommandLine(command).parseArgs("--nodes", "3", "--base-port", "7100", "--", "--maxmemory",
        "1gb");
    String members = command.members();

    List<String> n2 = command.nodeArguments(2, members, temp);

    assertThat(members)
        .isEqualTo("n1@127.0.0.1:17100,n2@127.0.0.1:17101,n3@127.0.0.1:17102");
    assertThat(String.join(" ", n2))
        .startsWith("server --node-id n2 --port 7101 --cluster-port 17101 --members " + members
            + " --replication-factor 3 --consistency QUORUM --data-dir " + temp.resolve("n2")
            + " --io-threads ")
        .endsWith(" --maxmemory 1gb");
    assertThat(command.nodeArguments(1, members, temp))
        .containsSubsequence("--data-dir", temp.resolve("n1").toString());
  }

  @Test
  void anIoThreadsFlagPassedThroughReplacesTheShare() {
    LocalClusterCommand command = new LocalClusterCommand();
    new CommandLine(command).parseArgs("--", "--io-threads", "2");

    assertThat(command.nodeArguments(1, command.members(), temp))
        .containsOnlyOnce("--io-threads")
        .endsWith("--io-threads", "2");
  }

  @Test
  void dataDirAfterTheDashesIsRefusedWithAHint() {
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new LocalClusterCommand());
    cli.setErr(new PrintWriter(err, true));

    int code = cli.execute("--", "--data-dir", temp.toString());

    assertThat(code).isEqualTo(2);
    assertThat(err.toString())
        .contains("pass --data-dir to local-cluster itself (before --): each node gets BASE/n<i>");
  }

  @Test
  void deleteRecursivelyRemovesTheWholeTree() throws IOException {
    Path base = temp.resolve("base");
    Files.createDirectories(base.resolve("n1/raft"));
    Files.writeString(base.resolve("n1/raft/log"), "entries");
    Files.createDirectories(base.resolve("n2"));
    ByteArrayOutputStream log = new ByteArrayOutputStream();

    LocalClusterCommand.deleteRecursively(base, new PrintStream(log, true, StandardCharsets.UTF_8));
    LocalClusterCommand.deleteRecursively(base, new PrintStream(log, true, StandardCharsets.UTF_8));

    assertThat(base).doesNotExist();
    assertThat(temp).exists();
    assertThat(log.toString(StandardCharsets.UTF_8)).isEmpty();
  }
}
