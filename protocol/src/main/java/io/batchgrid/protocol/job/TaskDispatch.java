package io.batchgrid.protocol.job;

/** One task given to a node: {@code attempt} numbers the dispatch, so a report of an older one is recognised and ignored. */
public record TaskDispatch(String taskId, String nodeId, int attempt, String taskRootDirectory) {}
