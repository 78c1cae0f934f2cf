package io.batchgrid.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class CommandLineTest {

  @Test
  void splitsOnBlanks() {
    assertEquals(List.of("/bin/echo", "a", "b"), CommandLine.split("  /bin/echo \t a\nb  "));
  }

  @Test
  void singleQuotesKeepEverythingLiterally() {
    assertEquals(List.of("sh", "-c", "echo $HOME \"x\" \\n"), CommandLine.split("sh -c 'echo $HOME \"x\" \\n'"));
  }

  @Test
  void doubleQuotesEscapeOnlyWhatPosixShEscapes() {
    assertEquals(List.of("a \"b\" \\ $c `d` \\e"), CommandLine.split("\"a \\\"b\\\" \\\\ \\$c \\`d\\` \\e\""));
  }

  @Test
  void backslashOutsideQuotesEscapesTheNextCharacter() {
    assertEquals(List.of("a b", "'", "\""), CommandLine.split("a\\ b \\' \\\""));
  }

  @Test
  void backslashNewlineContinuesTheLine() {
    assertEquals(List.of("ab", "cd"), CommandLine.split("a\\\nb \"c\\\nd\""));
  }

  @Test
  void adjacentPartsFormOneWord() {
    assertEquals(List.of("abc def", "x"), CommandLine.split("a'bc'\" def\" x"));
  }

  @Test
  void emptyQuotesAreAnEmptyArgument() {
    assertEquals(List.of("prog", "", "", "z"), CommandLine.split("prog '' \"\" z"));
  }

  @Test
  void nothingIsExpanded() {
    assertEquals(List.of("echo", "$PATH", "*", "~", "a;b", "|", ">out"), CommandLine.split("echo $PATH * ~ a;b | >out"));
  }

  @Test
  void rejectsUnbalancedSingleQuote() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CommandLine.split("echo 'abc"));
    assertTrue(e.getMessage().contains("unbalanced single quote at position 5"), e.getMessage());
  }

  @Test
  void rejectsUnbalancedDoubleQuote() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CommandLine.split("echo \"ab\\\""));
    assertTrue(e.getMessage().contains("unbalanced double quote at position 5"), e.getMessage());
  }

  @Test
  void rejectsTrailingBackslash() {
    assertThrows(IllegalArgumentException.class, () -> CommandLine.split("echo \\"));
  }

  @Test
  void rejectsEmptyCommandLine() {
    assertThrows(IllegalArgumentException.class, () -> CommandLine.split("   "));
    assertThrows(IllegalArgumentException.class, () -> CommandLine.split(""));
    assertThrows(IllegalArgumentException.class, () -> CommandLine.split(null));
  }
}
