package io.batchgrid.worker.staging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilePatternsTest {
  @TempDir Path root;
  Path taskDir;
  Path wd;

  @BeforeEach
  void files() throws Exception {
    taskDir = root.resolve("workitems/j/job-1/t");
    wd = taskDir.resolve("wd");
    for (String f : List.of("a.txt", "b.txt", "ab.log", "cd.log", "x.bin", "sub/c.txt", "sub/deep/d.txt", "sub/e.bin")) {
      Files.createDirectories(wd.resolve(f).getParent());
      Files.writeString(wd.resolve(f), f);
    }
    Files.writeString(taskDir.resolve("stdout.txt"), "out");
    Files.writeString(taskDir.resolve("stderr.txt"), "err");
  }

  private List<String> names(String pattern) throws Exception {
    return FilePatterns.expand(wd, root, pattern).stream().map(FilePatterns.Match::name).toList();
  }

  @Test
  void azureGlobRules() throws Exception {
    assertEquals(List.of("a.txt", "b.txt"), names("*.txt"));
    assertEquals(List.of("a.txt", "b.txt", "sub/c.txt", "sub/deep/d.txt"), names("**/*.txt"));
    assertEquals(List.of("c.txt", "deep/d.txt"), names("sub/**/*.txt"));
    assertEquals(List.of("c.txt", "deep/d.txt", "e.bin"), names("sub/**"));
    assertEquals(List.of("a.txt"), names("?.txt").subList(0, 1));
    assertEquals(List.of("ab.log"), names("[ab]?.log"));
    assertEquals(List.of("cd.log"), names("[!ab]?.log"));
    assertEquals(List.of("ab.log", "cd.log"), names("[a-c]*.log"));
    assertEquals(List.of("stderr.txt", "stdout.txt"), names("../std*.txt"));
    assertEquals(List.of("stdout.txt"), names("..\\stdout.txt"));
    assertEquals(List.of("d.txt"), names("sub/deep/d.txt"));
    assertEquals(List.of(), names("missing.txt"));
    assertEquals(List.of(), names("nodir/*.txt"));
  }

  @Test
  void patternsCannotLeaveTheNodeRoot() {
    assertThrows(IllegalArgumentException.class, () -> names("../../../../../../etc/*"));
    assertThrows(IllegalArgumentException.class, () -> names("/etc/passwd"));
  }

  @Test
  void blobNamesFollowAzure() {
    FilePatterns.Match m = new FilePatterns.Match(Path.of("/x/sub/c.txt"), "sub/c.txt");
    assertEquals("sub/c.txt", FileStaging.blobName("", true, m));
    assertEquals("out/sub/c.txt", FileStaging.blobName("out/", true, m));
    FilePatterns.Match single = new FilePatterns.Match(Path.of("/x/result.bin"), "result.bin");
    assertEquals("result.bin", FileStaging.blobName("", false, single));
    assertEquals("renamed/r.bin", FileStaging.blobName("renamed/r.bin", false, single));
  }
}
