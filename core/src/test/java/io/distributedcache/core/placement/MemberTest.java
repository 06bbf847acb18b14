package io.distributedcache.core.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MemberTest {

  @Test
  void parsesIpv4HostNameAndBracketedIpv6() {
    assertThat(Member.parse("n1@127.0.0.1:7101")).isEqualTo(new Member("n1", "127.0.0.1", 7101));
    assertThat(Member.parse("  cache-2@cache-2.internal:65535 "))
        .isEqualTo(new Member("cache-2", "cache-2.internal", 65535));
    Member v6 = Member.parse("n3@[::1]:1");
    assertThat(v6).isEqualTo(new Member("n3", "::1", 1));
    assertThat(v6.address()).isEqualTo("[::1]:1");
    assertThat(v6.spec()).isEqualTo("n3@[::1]:1").isEqualTo(v6.toString());
    assertThat(Member.parse(v6.spec())).isEqualTo(v6);
    assertThat(Member.parse("n4@[fe80::1:2]:7101").host()).isEqualTo("fe80::1:2");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "n1|missing '@'",
        "@h:1|empty id before '@'",
        "n1@h|missing ':port'",
        "n1@:7101|empty host",
        "n1@h:|empty port",
        "n1@h:abc|port 'abc' is not a number",
        "n1@h:+7101|port '+7101' is not a number",
        "n1@h:99999999999999999999|is not a number",
        "n1@h:0|port 0 is outside 1..65535",
        "n1@h:65536|port 65536 is outside 1..65535",
        "n1@::1:7101|IPv6 address must be in brackets",
        "n1@[::1:7101|'[' without ']'",
        "n1@[::1]7101|missing ':port' after ']'",
        "n1@[]:7101|empty host between '[' and ']'",
        "n 1@h:1|must not contain '@', ',', whitespace or control characters (found U+0020",
        "n1@h@x:1|must not contain '@'",
        "n1@h/x:1|must not contain '/'",
      })
  void rejectsMalformedSpecsWithAClearMessage(String spec, String expected) {
    assertThatThrownBy(() -> Member.parse(spec))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("bad member '" + spec + "'")
        .hasMessageContaining(expected);
  }

  @Test
  void constructorValidates() {
    assertThatThrownBy(() -> new Member("", "h", 1)).hasMessageContaining("must not be empty");
    assertThatThrownBy(() -> new Member("a,b", "h", 1)).hasMessageContaining("','");
    assertThatThrownBy(() -> new Member("a\tb", "h", 1)).hasMessageContaining("U+0009");
    assertThatThrownBy(() -> new Member("a\u0000b", "h", 1)).hasMessageContaining("U+0000");
    assertThatThrownBy(() -> new Member("a", "", 1)).hasMessageContaining("host must not be empty");
    assertThatThrownBy(() -> new Member("a", "[::1]", 1)).hasMessageContaining("'['");
    assertThatThrownBy(() -> new Member("a", "h", 0)).hasMessageContaining("1..65535: 0");
    assertThatThrownBy(() -> new Member("a", "h", 65536)).hasMessageContaining("1..65535: 65536");
    assertThatThrownBy(() -> new Member(null, "h", 1)).isInstanceOf(NullPointerException.class);
    assertThat(new Member("ünïcode-ok", "h", 1).id()).isEqualTo("ünïcode-ok");
  }

  @Test
  void parsesAListInOrder() {
    List<Member> members = Member.parseList("n2@h:2, n1@h:1 ,n3@[::1]:3");
    assertThat(members)
        .containsExactly(
            new Member("n2", "h", 2), new Member("n1", "h", 1), new Member("n3", "::1", 3));
    assertThatThrownBy(() -> members.add(new Member("x", "h", 9)))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void listRejectsDuplicatesAndEmptyEntries() {
    assertThatThrownBy(() -> Member.parseList("n1@h:1,n1@h:2"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("duplicate member id 'n1': n1@h:1 and n1@h:2");
    assertThatThrownBy(() -> Member.parseList("n1@h:1,n2@H:1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("duplicate member address H:1: n1@h:1 and n2@H:1");
    assertThatThrownBy(() -> Member.parseList("n1@h:1,,n2@h:2"))
        .hasMessageContaining("empty entry at position 2");
    assertThatThrownBy(() -> Member.parseList("n1@h:1,"))
        .hasMessageContaining("empty entry at position 2");
    assertThatThrownBy(() -> Member.parseList("  ")).hasMessageContaining("member list is empty");
    assertThatThrownBy(() -> Member.parseList("n1@h:1,n2@h"))
        .hasMessageStartingWith("bad member 'n2@h'");
  }
}
