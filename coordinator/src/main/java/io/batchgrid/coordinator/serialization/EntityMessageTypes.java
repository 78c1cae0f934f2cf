package io.batchgrid.coordinator.serialization;

import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;

import com.google.protobuf.Message;

import io.batchgrid.coordinator.catalog.Catalog;
import io.batchgrid.coordinator.job.JobEntity;
import io.batchgrid.coordinator.pool.PoolEntity;
import io.batchgrid.coordinator.schedule.JobScheduleEntity;

/**
 * Which classes {@link EntityMessageSerializer} writes, found by walking the entities' commands: every
 * public variant of each sealed {@code Command} interface, the types of their record components
 * (generic arguments included), and the replies their {@code replyTo} references expect. A new command
 * or reply is covered as soon as it is declared; one that carries a type Kryo cannot write safely
 * ({@code Object}, an arbitrary exception, a mutable class) fails the walk, and with it the
 * serializer's start and {@code EntityMessageSerializerTest}.
 *
 * <p>Private variants are self-messages (timers, piped results) that never leave their entity's JVM.
 *
 * <p>The result is sorted by class name, so every member of a cluster running the same build
 * assigns the same Kryo registration ids.
 */
public final class EntityMessageTypes {

  /** The entities' command interfaces: what the API and the other entities send across the cluster. */
  public static final List<Class<?>> COMMANDS = List.of(
      Catalog.Command.class, JobEntity.Command.class, PoolEntity.Command.class, JobScheduleEntity.Command.class);

  /** How a class is written. */
  public enum Kind {
    /** A Java record: its components, by Kryo's record serializer. */
    RECORD,
    /** A Java enum, by name ordinal. */
    ENUM,
    /** A generated Protobuf message: its own bytes. */
    PROTOBUF,
    /** A class with a Pekko serialization binding of its own (Protobuf in the protocol module, Pekko's own). */
    DELEGATED
  }

  private final Predicate<Class<?>> hasOwnBinding;
  private final Map<String, Kind> found = new TreeMap<>();
  private final Map<String, Class<?>> classes = new TreeMap<>();
  private final List<Class<?>> replies = new ArrayList<>();

  private EntityMessageTypes(Predicate<Class<?>> hasOwnBinding) {
    this.hasOwnBinding = hasOwnBinding;
  }

  /**
   * Walks the commands.
   *
   * @param hasOwnBinding whether a class is written by another Pekko serializer (nested, by its binding)
   * @throws IllegalStateException naming the command component that cannot be written
   */
  public static EntityMessageTypes walk(Predicate<Class<?>> hasOwnBinding) {
    EntityMessageTypes t = new EntityMessageTypes(hasOwnBinding);
    for (Class<?> command : COMMANDS) {
      for (Class<?> variant : remoteVariants(command)) {
        t.visit(variant, variant.getName());
      }
    }
    return t;
  }

  /** The public permitted subclasses of a sealed command interface, in name order. */
  public static List<Class<?>> remoteVariants(Class<?> sealedInterface) {
    List<Class<?>> out = new ArrayList<>();
    for (Class<?> c : sealedInterface.getPermittedSubclasses()) {
      if (Modifier.isPublic(c.getModifiers())) {
        out.add(c);
      }
    }
    out.sort(Comparator.comparing(Class::getName));
    return out;
  }

  /** Every class Kryo registers, in registration order, with how it is written. */
  public Map<Class<?>, Kind> registrations() {
    Map<Class<?>, Kind> out = new java.util.LinkedHashMap<>();
    classes.forEach((name, c) -> out.put(c, found.get(name)));
    return out;
  }

  /**
   * The types the commands' {@code replyTo} references expect (inside a {@code StatusReply} or not),
   * in the order found. Each needs a serialization binding: the records are bound to
   * {@link EntityMessageSerializer}, lists to the protocol's list serializer.
   */
  public List<Class<?>> replies() {
    return List.copyOf(replies);
  }

  private void visit(Type type, String where) {
    if (type instanceof WildcardType w) {
      for (Type upper : w.getUpperBounds()) {
        visit(upper, where);
      }
      return;
    }
    if (type instanceof ParameterizedType p) {
      Class<?> raw = (Class<?>) p.getRawType();
      if (raw == ActorRef.class) {
        reply(p.getActualTypeArguments()[0], where);
        return;
      }
      if (raw == List.class || raw == Set.class || raw == Map.class || raw == Optional.class) {
        for (Type arg : p.getActualTypeArguments()) {
          visit(arg, where + "<>");
        }
        return;
      }
      throw new IllegalStateException(where + ": cannot write generic type " + type);
    }
    if (!(type instanceof Class<?> c)) {
      throw new IllegalStateException(where + ": cannot write type " + type);
    }
    if (c.isPrimitive() || c == String.class || c == Integer.class || c == Long.class || c == Boolean.class
        || c == Double.class) {
      return; // Kryo's defaults
    }
    if (c == ActorRef.class) {
      return;
    }
    if (found.containsKey(c.getName())) {
      return;
    }
    if (c.isEnum()) {
      add(c, Kind.ENUM);
    } else if (Message.class.isAssignableFrom(c)) {
      add(c, Kind.PROTOBUF);
    } else if (c.isRecord()) {
      if (hasOwnBinding.test(c)) {
        add(c, Kind.DELEGATED);
        return;
      }
      add(c, Kind.RECORD);
      for (RecordComponent rc : c.getRecordComponents()) {
        visit(rc.getGenericType(), c.getSimpleName() + "." + rc.getName());
      }
    } else if (c.isSealed()) {
      for (Class<?> sub : c.getPermittedSubclasses()) {
        visit(sub, where);
      }
    } else if (hasOwnBinding.test(c)) {
      add(c, Kind.DELEGATED);
    } else {
      throw new IllegalStateException(where + ": " + c.getName()
          + " is neither a record, an enum, a Protobuf message nor bound to a serializer of its own");
    }
  }

  /** {@code T} of an {@code ActorRef<T>} or {@code ActorRef<StatusReply<T>>}. */
  private void reply(Type t, String where) {
    if (t instanceof ParameterizedType p && p.getRawType() == StatusReply.class) {
      t = p.getActualTypeArguments()[0];
    }
    Class<?> raw = t instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) t;
    if (!replies.contains(raw)) {
      replies.add(raw);
    }
    visit(t, where + " reply");
  }

  private void add(Class<?> c, Kind kind) {
    found.put(c.getName(), kind);
    classes.put(c.getName(), c);
  }
}
