package io.batchgrid.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;
import io.batchgrid.protocol.node.NodeFile;

class NodeFilesTest {
  @TempDir Path root;
  @TempDir Path outside;

  @BeforeEach
  void files() throws Exception {
    Path task = Files.createDirectories(root.resolve("workitems/j/job-1/t/wd/sub"));
    Files.writeString(task.getParent().getParent().resolve("stdout.txt"), "hello");
    Files.writeString(task.resolve("deep.txt"), "x");
    Files.setPosixFilePermissions(task.resolve("deep.txt"), PosixFilePermissions.fromString("rwxr-x---"));
    Files.writeString(outside.resolve("secret"), "s");
  }

  @Test
  void listsADirectoryFlatOrRecursively() {
    List<String> flat = names(NodeFiles.list(root, "workitems/j/job-1/t", false));
    assertEquals(List.of("stdout.txt", "wd"), flat);
    List<NodeFile> deep = NodeFiles.list(root, "workitems/j/job-1/t", true);
    assertEquals(List.of("stdout.txt", "wd", "wd/sub", "wd/sub/deep.txt"), names(deep));
    NodeFile stdout = deep.get(0);
    assertEquals(5, stdout.size());
    assertTrue(!stdout.directory() && stdout.lastModifiedMs() > 0);
    assertTrue(deep.get(1).directory());
    assertEquals("0750", deep.get(3).fileMode());
  }

  @Test
  void aFileListsAsItself() {
    List<NodeFile> one = NodeFiles.list(root, "workitems/j/job-1/t/stdout.txt", false);
    assertEquals(List.of("stdout.txt"), names(one));
  }

  @Test
  void theRootListsWithAnEmptyPath() {
    assertEquals(List.of("workitems"), names(NodeFiles.list(root, "", false)));
  }

  @Test
  void refusesPathsOutsideTheRoot() throws Exception {
    assertCode(ErrorCode.INVALID_PROPERTY_VALUE, () -> NodeFiles.list(root, "../x", false));
    assertCode(ErrorCode.INVALID_PROPERTY_VALUE, () -> NodeFiles.list(root, "workitems/../../x", false));
    assertCode(ErrorCode.INVALID_PROPERTY_VALUE, () -> NodeFiles.list(root, "/etc", false));
    Path link = Files.createSymbolicLink(root.resolve("escape"), outside.resolve("secret"));
    try {
      assertCode(ErrorCode.FILE_NOT_FOUND, () -> NodeFiles.regularFile(root, "escape"));
    } finally {
      Files.delete(link);
    }
  }

  @Test
  void deletesFilesAndDirectoriesButANonEmptyOneOnlyRecursively() throws Exception {
    NodeFiles.delete(root, "workitems/j/job-1/t/stdout.txt", false);
    assertTrue(Files.notExists(root.resolve("workitems/j/job-1/t/stdout.txt")));
    assertCode(ErrorCode.DIRECTORY_NOT_EMPTY, () -> NodeFiles.delete(root, "workitems/j/job-1/t/wd", false));
    // A link inside goes with the directory; what it points to stays.
    Files.createSymbolicLink(root.resolve("workitems/j/job-1/t/wd/sub/link"), outside);
    NodeFiles.delete(root, "workitems/j/job-1/t/wd", true);
    assertTrue(Files.notExists(root.resolve("workitems/j/job-1/t/wd")));
    assertTrue(Files.exists(outside.resolve("secret")));
    NodeFiles.delete(root, "workitems/j/job-1/t", false); // empty now
    assertCode(ErrorCode.FILE_NOT_FOUND, () -> NodeFiles.delete(root, "workitems/j/job-1/t", false));
    assertCode(ErrorCode.INVALID_PROPERTY_VALUE, () -> NodeFiles.delete(root, "", true));
    assertCode(ErrorCode.INVALID_PROPERTY_VALUE, () -> NodeFiles.delete(root, "../x", true));
    assertTrue(Files.exists(root.resolve("workitems")));
  }

  @Test
  void aMissingPathIsFileNotFound() {
    assertCode(ErrorCode.FILE_NOT_FOUND, () -> NodeFiles.list(root, "workitems/nope", true));
    assertCode(ErrorCode.FILE_NOT_FOUND, () -> NodeFiles.regularFile(root, "workitems/j/job-1/t/stderr.txt"));
    assertCode(ErrorCode.FILE_NOT_FOUND, () -> NodeFiles.regularFile(root, "workitems"));
  }

  @Test
  void octalModes() {
    assertEquals("0644", NodeFiles.octalMode(PosixFilePermissions.fromString("rw-r--r--")));
    assertEquals("0777", NodeFiles.octalMode(PosixFilePermissions.fromString("rwxrwxrwx")));
    assertEquals("0000", NodeFiles.octalMode(PosixFilePermissions.fromString("---------")));
  }

  private static void assertCode(ErrorCode code, Runnable call) {
    BatchException e = assertThrows(BatchException.class, call::run);
    assertEquals(code, e.code());
  }

  private static List<String> names(List<NodeFile> files) {
    return files.stream().map(NodeFile::name).toList();
  }
}
