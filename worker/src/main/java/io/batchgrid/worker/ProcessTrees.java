package io.batchgrid.worker;

import java.util.List;

/** Killing a process together with everything it started. */
final class ProcessTrees {
  private ProcessTrees() {}

  /**
   * Kills {@code root} and its descendants with SIGKILL. Blocking (it walks the process table):
   * call it on the blocking dispatcher.
   *
   * <p>The descendants are listed first because they can only be found from a living root: once
   * the root dies they are re-parented to init. The root dies next, before its descendants, so that
   * a script cannot react to a killed child by running its next command. Java cannot freeze a
   * tree, so a process forked in the microseconds between the listing and the kills can escape.
   */
  static void killTree(ProcessHandle root) {
    List<ProcessHandle> descendants = root.descendants().toList();
    root.destroyForcibly();
    descendants.forEach(ProcessHandle::destroyForcibly);
  }

  /**
   * Kills every process of process group {@code pgid} with SIGKILL: what a command started in the
   * background survives it, re-parented, but keeps its group. Linux only (reads {@code /proc}); a
   * process that made itself a group of its own escapes. Blocking.
   */
  static void killGroup(long pgid) {
    try (java.util.stream.Stream<java.nio.file.Path> procs = java.nio.file.Files.list(java.nio.file.Path.of("/proc"))) {
      procs.forEach(dir -> {
        String name = dir.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          return;
        }
        try {
          String stat = java.nio.file.Files.readString(dir.resolve("stat"));
          // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so read after the last ')'.
          String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          if (Long.parseLong(rest[2]) == pgid) {
            ProcessHandle.of(Long.parseLong(name)).ifPresent(ProcessHandle::destroyForcibly);
          }
        } catch (java.io.IOException | RuntimeException e) {
          // gone meanwhile, or not ours to read
        }
      });
    } catch (java.io.IOException e) {
      // no /proc: nothing to find
    }
  }
}
