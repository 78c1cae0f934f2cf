package io.batchgrid.coordinator.serialization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;

import io.batchgrid.coordinator.TestCluster;
import io.batchgrid.coordinator.job.JobEntity;
import io.batchgrid.protocol.BatchException;
import io.batchgrid.protocol.ErrorCode;

/**
 * Every public variant of every entity command, and every reply they expect, round-trips through the
 * serializer Pekko binds to it, and none through Java serialization. The variants are enumerated from
 * the sealed interfaces and filled in by reflection, so a new command or reply is tested the moment it
 * exists, and one that Kryo cannot write fails here.
 */
class EntityMessageSerializerTest {
  @TempDir static Path tmp;
  static ActorTestKit kit;
  static Serialization serialization;
  static ActorRef<Object> probe;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("serialization", TestCluster.config(tmp));
    serialization = SerializationExtension.get(kit.system());
    probe = kit.<Object>createTestProbe().ref();
  }

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  @Test
  void everyRemoteCommandVariantRoundTripsThroughKryo() {
    int tested = 0;
    for (Class<?> command : EntityMessageTypes.COMMANDS) {
      List<Class<?>> variants = EntityMessageTypes.remoteVariants(command);
      assertFalse(variants.isEmpty(), command.getName());
      for (Class<?> variant : variants) {
        Object message = sample(variant, 0);
        Serializer s = serialization.findSerializerFor(message);
        assertEquals(EntityMessageSerializer.IDENTIFIER, s.identifier(), variant.getName());
        assertEquals(canon(message), canon(roundTrip(message)), variant.getName());
        tested++;
      }
    }
    assertTrue(tested > 40, "only " + tested + " variants found");
  }

  @Test
  void everyReplyRoundTripsByItsBindingInsideAStatusReply() {
    EntityMessageTypes types = EntityMessageSerializer.types(serialization);
    assertTrue(types.replies().contains(JobEntity.TaskPage.class));
    assertTrue(types.replies().contains(List.class));
    List<String> unbound = new ArrayList<>();
    for (Class<?> reply : types.replies()) {
      Object value = reply == List.class ? List.of() : sample(reply, 0);
      Serializer s;
      try {
        s = serialization.findSerializerFor(value);
      } catch (Exception e) { // Pekko throws NotSerializableException without declaring it
        unbound.add(reply.getName()); // all of them named at once, below
        continue;
      }
      assertFalse(s instanceof org.apache.pekko.serialization.JavaSerializer, reply.getName());
      assertEquals(canon(value), canon(roundTrip(value)), reply.getName());
      @SuppressWarnings("unchecked")
      StatusReply<Object> back = (StatusReply<Object>) roundTrip(StatusReply.success(value));
      assertTrue(back.isSuccess(), reply.getName());
      assertEquals(canon(value), canon(back.getValue()), reply.getName());
    }
    assertEquals(List.of(), unbound, "replies without a serialization binding (coordinator's reference.conf)");
  }

  @Test
  void repliedListsOfEntityRecordsAndIdsRoundTripElementByElement() {
    JobEntity.AddTaskResult ok = (JobEntity.AddTaskResult) sample(JobEntity.AddTaskResult.class, 0);
    JobEntity.AddTaskResult failed = new JobEntity.AddTaskResult("t2", null,
        BatchException.of(ErrorCode.TASK_EXISTS, "The specified task already exists."));
    Object back = roundTrip(List.of(ok, failed));
    List<?> list = (List<?>) back;
    assertEquals(canon(ok), canon(list.get(0)));
    JobEntity.AddTaskResult failedBack = (JobEntity.AddTaskResult) list.get(1);
    assertEquals(ErrorCode.TASK_EXISTS, failedBack.error().code());
    assertEquals("The specified task already exists.", failedBack.error().getMessage());
    assertEquals(List.of("pool-a", "pool-b"), roundTrip(List.of("pool-a", "pool-b")));
  }

  @Test
  void anErrorReplyKeepsItsAzureErrorCode() {
    StatusReply<Object> error = StatusReply.error(BatchException.of(ErrorCode.JOB_NOT_FOUND, "The specified job does not exist."));
    @SuppressWarnings("unchecked")
    StatusReply<Object> back = (StatusReply<Object>) roundTrip(error);
    assertTrue(back.isError());
    assertEquals(ErrorCode.JOB_NOT_FOUND, ((BatchException) back.getError()).code());
  }

  @Test
  void samplesDifferSoThatEqualityIsMeaningful() {
    // A round trip that dropped fields would still be "equal" if every sample were empty.
    Object a = sample(JobEntity.SlotsGranted.class, 0);
    assertNotEquals(new JobEntity.SlotsGranted("", "", null, 0), a);
  }

  static Object roundTrip(Object o) {
    Serializer s = serialization.findSerializerFor(o);
    byte[] bytes = s.toBinary(o);
    return serialization.deserialize(bytes, s.identifier(), Serializers.manifestFor(s, o)).get();
  }

  // ------------------------------------------------------------------ samples by reflection

  static Object sample(Type type, int depth) {
    if (depth > 12) {
      throw new IllegalStateException("sample too deep at " + type);
    }
    if (type instanceof WildcardType w) {
      return sample(w.getUpperBounds()[0], depth + 1);
    }
    if (type instanceof ParameterizedType p) {
      Class<?> raw = (Class<?>) p.getRawType();
      Type[] args = p.getActualTypeArguments();
      if (raw == ActorRef.class) {
        return probe;
      } else if (raw == List.class) {
        return List.of(sample(args[0], depth + 1));
      } else if (raw == Set.class) {
        return new LinkedHashSet<>(List.of(sample(args[0], depth + 1)));
      } else if (raw == Map.class) {
        Map<Object, Object> m = new LinkedHashMap<>();
        m.put(sample(args[0], depth + 1), sample(args[1], depth + 1));
        return m;
      } else if (raw == Optional.class) {
        return Optional.of(sample(args[0], depth + 1));
      }
      return sample(raw, depth + 1);
    }
    Class<?> c = (Class<?>) type;
    if (c == String.class) {
      return "s" + depth;
    } else if (c == int.class || c == Integer.class) {
      return 7 + depth;
    } else if (c == long.class || c == Long.class) {
      return 1_700_000_000_000L + depth;
    } else if (c == boolean.class || c == Boolean.class) {
      return true;
    } else if (c == double.class || c == Double.class) {
      return 0.5;
    } else if (c == ActorRef.class) {
      return probe;
    } else if (c == Done.class) {
      return Done.getInstance();
    } else if (c == BatchException.class) {
      return BatchException.of(ErrorCode.TASK_EXISTS, "The specified task already exists.");
    } else if (c.isEnum()) {
      Object[] constants = c.getEnumConstants();
      return constants[constants.length - 1];
    } else if (Message.class.isAssignableFrom(c)) {
      return protobuf(c);
    } else if (c.isRecord()) {
      return record(c, depth);
    } else if (c.isSealed()) {
      for (Class<?> sub : c.getPermittedSubclasses()) {
        if (sub.isRecord()) {
          return sample(sub, depth + 1);
        }
      }
    }
    throw new IllegalStateException("no sample for " + c);
  }

  static Object record(Class<?> c, int depth) {
    RecordComponent[] components = c.getRecordComponents();
    Class<?>[] types = new Class<?>[components.length];
    Object[] values = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      types[i] = components[i].getType();
      values[i] = sample(components[i].getGenericType(), depth + 1);
    }
    try {
      Constructor<?> ctor = c.getDeclaredConstructor(types);
      ctor.setAccessible(true);
      return ctor.newInstance(values);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot make a " + c.getName() + ": " + e, e);
    }
  }

  /** A Protobuf message with every top-level string field set, so that a lost spec shows. */
  static Object protobuf(Class<?> c) {
    try {
      Message.Builder b = ((Message) c.getMethod("getDefaultInstance").invoke(null)).newBuilderForType();
      for (FieldDescriptor f : b.getDescriptorForType().getFields()) {
        if (!f.isRepeated() && f.getJavaType() == FieldDescriptor.JavaType.STRING && f.getRealContainingOneof() == null) {
          b.setField(f, "v-" + f.getName());
        }
      }
      return b.build();
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A value as nested lists of its parts, for comparing: records by their components, exceptions
   * (which have no equals) by code, message and values.
   */
  static Object canon(Object o) {
    if (o instanceof BatchException e) {
      return List.of("BatchException", e.code(), String.valueOf(e.getMessage()), e.values());
    } else if (o instanceof List<?> l) {
      List<Object> out = new ArrayList<>();
      l.forEach(x -> out.add(canon(x)));
      return out;
    } else if (o != null && o.getClass().isRecord()) {
      List<Object> out = new ArrayList<>();
      out.add(o.getClass().getName());
      for (RecordComponent rc : o.getClass().getRecordComponents()) {
        try {
          var accessor = rc.getAccessor();
          accessor.setAccessible(true);
          out.add(canon(accessor.invoke(o)));
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException(e);
        }
      }
      return out;
    }
    return o;
  }
}
