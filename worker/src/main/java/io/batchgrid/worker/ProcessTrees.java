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
}
