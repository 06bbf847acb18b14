package io.distributedcache.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A configuration file in redis.conf style: one {@code name value} per line, {@code #} comments,
 * names are the long flag names without dashes ({@code port 7000}, {@code maxmemory 1gb}). A value may
 * be written in double quotes. Unknown names are an error, so a typo never passes silently.
 */
final class ConfigFile {

  static final Set<String> KNOWN =
      Set.of(
          "port",
          "bind",
          "maxmemory",
          "requirepass",
          "io-threads",
          "proto-max-bulk-len",
          "node-id",
          "members",
          "cluster-port",
          "replication-factor",
          "virtual-nodes",
          "consistency",
          "request-timeout",
          "anti-entropy-interval");

  private ConfigFile() {}

  static Map<String, String> read(Path path) {
    List<String> lines;
    try {
      lines = Files.readAllLines(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read config file " + path + ": " + e.getMessage());
    }
    Map<String, String> values = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).trim();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\\s+", 2);
      String name = parts[0].toLowerCase(Locale.ROOT);
      if (!KNOWN.contains(name)) {
        throw new IllegalArgumentException(
            path + ":" + (i + 1) + ": unknown setting '" + parts[0] + "' (known: "
                + String.join(", ", KNOWN.stream().sorted().toList()) + ")");
      }
      if (parts.length < 2) {
        throw new IllegalArgumentException(path + ":" + (i + 1) + ": '" + name + "' needs a value");
      }
      String value = parts[1].trim();
      if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
        value = value.substring(1, value.length() - 1);
      }
      values.put(name, value);
    }
    return values;
  }
}
