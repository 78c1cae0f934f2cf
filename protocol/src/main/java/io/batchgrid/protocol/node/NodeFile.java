package io.batchgrid.protocol.node;

/** A file or directory on a node, {@code name} relative to the directory that was listed. */
public record NodeFile(String name, boolean directory, long size, long creationTimeMs, long lastModifiedMs, String fileMode) {}
