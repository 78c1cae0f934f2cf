package io.batchgrid.api.routes;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.japi.function.Function;
import org.apache.pekko.pattern.StatusReply;

import io.batchgrid.coordinator.application.ApplicationStore;
import io.batchgrid.coordinator.catalog.Catalog;
import io.batchgrid.coordinator.job.JobEntity;
import io.batchgrid.coordinator.pool.PoolEntity;
import io.batchgrid.coordinator.schedule.JobScheduleEntity;
import io.batchgrid.protocol.node.NodeMessage;
import io.batchgrid.protocol.node.NodeStatus;

/**
 * The API's only contact with actors: typed asks to the entities through sharding. Failures come
 * back as the entity's {@code BatchException} or a {@code TimeoutException}; the handler maps both.
 */
public final class Coordinator {
  private final ActorSystem<?> system;
  private final ApplicationStore applications;

  public Coordinator(ActorSystem<?> system) {
    this(system, null);
  }

  /** With the application packages of {@code applications} (null: none). */
  public Coordinator(ActorSystem<?> system, ApplicationStore applications) {
    this.system = system;
    this.applications = applications;
  }

  /** The application packages the API lists and takes uploads into, or null. */
  public ApplicationStore applications() {
    return applications;
  }

  public ActorSystem<?> system() {
    return system;
  }

  public <T> CompletionStage<T> job(String jobId, Function<ActorRef<StatusReply<T>>, JobEntity.Command> command,
      Duration timeout) {
    return AskPattern.askWithStatus(JobEntity.ref(system, jobId), command, timeout, system.scheduler());
  }

  public <T> CompletionStage<T> pool(String poolId, Function<ActorRef<StatusReply<T>>, PoolEntity.Command> command,
      Duration timeout) {
    return AskPattern.askWithStatus(PoolEntity.ref(system, poolId), command, timeout, system.scheduler());
  }

  public <T> CompletionStage<T> schedule(String scheduleId,
      Function<ActorRef<StatusReply<T>>, JobScheduleEntity.Command> command, Duration timeout) {
    return AskPattern.askWithStatus(JobScheduleEntity.ref(system, scheduleId), command, timeout, system.scheduler());
  }

  public CompletionStage<List<String>> ids(Catalog.Kind kind, Duration timeout) {
    return AskPattern.ask(Catalog.ref(system), r -> new Catalog.ListIds(kind, r), timeout, system.scheduler());
  }

  public <T> CompletionStage<T> node(ActorRef<NodeMessage> agent,
      Function<ActorRef<StatusReply<T>>, NodeMessage> command, Duration timeout) {
    return AskPattern.askWithStatus(agent, command, timeout, system.scheduler());
  }

  public CompletionStage<NodeStatus> nodeStatus(ActorRef<NodeMessage> agent, Duration timeout) {
    return AskPattern.ask(agent, NodeMessage.GetStatus::new, timeout, system.scheduler());
  }
}
