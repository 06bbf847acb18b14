package io.distributedcache.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class SeedUsageExampleTest {

  @Test
  @Timeout(60)
  void mainPrintsTheValueItWrote() throws Exception {
    PrintStream original = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      SeedUsageExample.main(new String[0]);
    } finally {
      System.setOut(original);
    }
    String out = captured.toString(StandardCharsets.UTF_8);
    System.out.print(out);
    assertThat(out)
        .contains("Value: User[name=Alice, age=30]")
        .contains("Raw value: Alice")
        .contains("Verify: healthy")
        .contains("After invalidate: (missing)")
        .containsPattern("TTL: PT(59M[0-9.]+S|1H)");
  }
}
