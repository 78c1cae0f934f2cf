package io.batchgrid.coordinator.serialization;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.JSerializer;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.DefaultClassResolver;
import com.esotericsoftware.kryo.util.Pool;
import com.google.protobuf.Message;

/**
 * Kryo for what the API and the entities send each other across the cluster: the entities' commands
 * (records carrying domain records, Protobuf specs and actor references) and the records they reply
 * with. Kryo writes records compactly without a schema file per message; every class it may read is
 * registered (found by {@link EntityMessageTypes}), so a peer cannot make it instantiate anything else.
 *
 * <p>Inside the Kryo graph: actor references by {@link ActorRefResolver}; Protobuf messages by their
 * own bytes; lists, sets and maps of any implementation as unmodifiable copies; classes that have a
 * serializer of their own (node messages, {@code BatchException}, {@code Done}) nested through Pekko's
 * serialization by their binding.
 *
 * <p>The registration ids come from the walk, sorted by class name: every member of a cluster must run
 * the same build (as it must for the Protobuf node messages to agree on their manifests anyway).
 */
public final class EntityMessageSerializer extends JSerializer {

  /** Unique among the serializers of the cluster (the protocol module's are 7301 and 7302). */
  public static final int IDENTIFIER = 7303;

  /** Kryo ids below this are Kryo's own (primitives, String, ...). */
  private static final int FIRST_ID = 100;

  private final ExtendedActorSystem system;
  private volatile Pool<Kryo> pool;

  public EntityMessageSerializer(ExtendedActorSystem system) {
    this.system = system;
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public boolean includeManifest() {
    return false; // Kryo writes the registration id of the class
  }

  @Override
  public byte[] toBinary(Object o) {
    Kryo kryo = pool().obtain();
    try (Output out = new Output(256, -1)) {
      kryo.writeClassAndObject(out, o);
      return out.toBytes();
    } finally {
      pool().free(kryo);
    }
  }

  @Override
  public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
    Kryo kryo = pool().obtain();
    try (Input in = new Input(bytes)) {
      return kryo.readClassAndObject(in);
    } finally {
      pool().free(kryo);
    }
  }

  /**
   * Walked on first use, not in the constructor: Pekko creates serializers while it builds its
   * serialization extension, which the walk asks for bindings.
   */
  private Pool<Kryo> pool() {
    Pool<Kryo> p = pool;
    if (p == null) {
      synchronized (this) {
        p = pool;
        if (p == null) {
          Serialization serialization = SerializationExtension.get(system);
          EntityMessageTypes types = types(serialization);
          ActorRefResolver resolver = ActorRefResolver.get(Adapter.toTyped(system));
          p = new Pool<>(true, false) {
            @Override
            protected Kryo create() {
              return kryo(types, resolver, serialization);
            }
          };
          pool = p;
        }
      }
    }
    return p;
  }

  /** The classes this serializer registers, with the bindings of {@code serialization}. */
  public static EntityMessageTypes types(Serialization serialization) {
    return EntityMessageTypes.walk(c -> hasOwnBinding(serialization, c));
  }

  /** Whether another serializer than this one (and not Java serialization, which is off) writes {@code c}. */
  private static boolean hasOwnBinding(Serialization serialization, Class<?> c) {
    try {
      Serializer s = serialization.serializerFor(c);
      return s.identifier() != IDENTIFIER && !(s instanceof org.apache.pekko.serialization.DisabledJavaSerializer)
          && !(s instanceof org.apache.pekko.serialization.JavaSerializer);
    } catch (RuntimeException | java.io.NotSerializableException e) {
      return false; // no binding
    }
  }

  static Kryo kryo(EntityMessageTypes types, ActorRefResolver resolver, Serialization serialization) {
    Kryo kryo = new Kryo(new BaseTypeResolver(), null);
    kryo.setRegistrationRequired(true);
    kryo.setReferences(false);
    int id = FIRST_ID;
    kryo.register(ActorRef.class, new ActorRefSerializer(resolver), id++);
    kryo.register(List.class, new ListSerializer(), id++);
    kryo.register(Set.class, new SetSerializer(), id++);
    kryo.register(Map.class, new MapSerializer(), id++);
    kryo.register(Optional.class, new com.esotericsoftware.kryo.serializers.OptionalSerializers.OptionalSerializer(), id++);
    for (Map.Entry<Class<?>, EntityMessageTypes.Kind> e : types.registrations().entrySet()) {
      Class<?> c = e.getKey();
      switch (e.getValue()) {
        case RECORD, ENUM -> kryo.register(c, id++);
        case PROTOBUF -> kryo.register(c, new ProtobufSerializer(c), id++);
        case DELEGATED -> kryo.register(c, new DelegatedSerializer(serialization), id++);
      }
    }
    return kryo;
  }

  /**
   * Finds the registration of a class or, for the kinds written the same whatever the implementation
   * (actor references, collections) or bound by a supertype, of that base: so {@code List.of(...)},
   * an {@code ArrayList} and an unmodifiable view are all one registered "list".
   */
  private static final class BaseTypeResolver extends DefaultClassResolver {
    @Override
    public Registration getRegistration(Class type) {
      Registration r = super.getRegistration(type);
      if (r != null || type == null) {
        return r;
      }
      if (ActorRef.class.isAssignableFrom(type)) {
        return super.getRegistration(ActorRef.class);
      } else if (List.class.isAssignableFrom(type)) {
        return super.getRegistration(List.class);
      } else if (Set.class.isAssignableFrom(type)) {
        return super.getRegistration(Set.class);
      } else if (Map.class.isAssignableFrom(type)) {
        return super.getRegistration(Map.class);
      }
      // Anonymous enum constants and concrete classes of a delegated base (e.g. Done$).
      for (Class<?> s = type.getSuperclass(); s != null && s != Object.class; s = s.getSuperclass()) {
        Registration base = super.getRegistration(s);
        if (base != null && base.getSerializer() instanceof DelegatedSerializer) {
          return base;
        }
      }
      return null;
    }
  }

  private static final class ActorRefSerializer extends com.esotericsoftware.kryo.Serializer<ActorRef<?>> {
    private final ActorRefResolver resolver;

    ActorRefSerializer(ActorRefResolver resolver) {
      this.resolver = resolver;
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output output, ActorRef<?> ref) {
      output.writeString(resolver.toSerializationFormat(ref));
    }

    @Override
    public ActorRef<?> read(Kryo kryo, Input input, Class<? extends ActorRef<?>> type) {
      return resolver.resolveActorRef(input.readString());
    }
  }

  private static final class ListSerializer extends com.esotericsoftware.kryo.Serializer<List<?>> {
    @Override
    public void write(Kryo kryo, Output output, List<?> list) {
      output.writeVarInt(list.size(), true);
      for (Object o : list) {
        kryo.writeClassAndObject(output, o);
      }
    }

    @Override
    public List<?> read(Kryo kryo, Input input, Class<? extends List<?>> type) {
      int n = input.readVarInt(true);
      List<Object> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        out.add(kryo.readClassAndObject(input));
      }
      return Collections.unmodifiableList(out);
    }
  }

  private static final class SetSerializer extends com.esotericsoftware.kryo.Serializer<Set<?>> {
    @Override
    public void write(Kryo kryo, Output output, Set<?> set) {
      output.writeVarInt(set.size(), true);
      for (Object o : set) {
        kryo.writeClassAndObject(output, o);
      }
    }

    @Override
    public Set<?> read(Kryo kryo, Input input, Class<? extends Set<?>> type) {
      int n = input.readVarInt(true);
      Set<Object> out = new LinkedHashSet<>();
      for (int i = 0; i < n; i++) {
        out.add(kryo.readClassAndObject(input));
      }
      return Collections.unmodifiableSet(out);
    }
  }

  private static final class MapSerializer extends com.esotericsoftware.kryo.Serializer<Map<?, ?>> {
    @Override
    public void write(Kryo kryo, Output output, Map<?, ?> map) {
      output.writeVarInt(map.size(), true);
      for (Map.Entry<?, ?> e : map.entrySet()) {
        kryo.writeClassAndObject(output, e.getKey());
        kryo.writeClassAndObject(output, e.getValue());
      }
    }

    @Override
    public Map<?, ?> read(Kryo kryo, Input input, Class<? extends Map<?, ?>> type) {
      int n = input.readVarInt(true);
      Map<Object, Object> out = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        out.put(kryo.readClassAndObject(input), kryo.readClassAndObject(input));
      }
      return Collections.unmodifiableMap(out);
    }
  }

  /** A generated Protobuf message as its own bytes: the specs already evolve through their schema. */
  private static final class ProtobufSerializer extends com.esotericsoftware.kryo.Serializer<Message> {
    private final MethodHandle parseFrom;

    ProtobufSerializer(Class<?> type) {
      setImmutable(true);
      try {
        parseFrom = MethodHandles.publicLookup().findStatic(type, "parseFrom", MethodType.methodType(type, byte[].class));
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("not a generated Protobuf message: " + type, e);
      }
    }

    @Override
    public void write(Kryo kryo, Output output, Message message) {
      byte[] bytes = message.toByteArray();
      output.writeVarInt(bytes.length, true);
      output.writeBytes(bytes);
    }

    @Override
    public Message read(Kryo kryo, Input input, Class<? extends Message> type) {
      byte[] bytes = input.readBytes(input.readVarInt(true));
      try {
        return (Message) parseFrom.invoke(bytes);
      } catch (Throwable e) {
        throw new IllegalArgumentException("cannot read " + type.getName() + ": " + e.getMessage(), e);
      }
    }
  }

  /** A class another Pekko serializer owns, nested: its serializer id, manifest and bytes. */
  private static final class DelegatedSerializer extends com.esotericsoftware.kryo.Serializer<Object> {
    private final Serialization serialization;

    DelegatedSerializer(Serialization serialization) {
      this.serialization = serialization;
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output output, Object o) {
      Serializer s = serialization.findSerializerFor(o);
      byte[] bytes = s.toBinary(o);
      output.writeVarInt(s.identifier(), true);
      output.writeString(Serializers.manifestFor(s, o));
      output.writeVarInt(bytes.length, true);
      output.writeBytes(bytes);
    }

    @Override
    public Object read(Kryo kryo, Input input, Class<?> type) {
      int id = input.readVarInt(true);
      String manifest = input.readString();
      byte[] bytes = input.readBytes(input.readVarInt(true));
      return serialization.deserialize(bytes, id, manifest).get();
    }
  }
}
