package io.wasminference.record;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

import java.lang.reflect.Type;
import java.util.Map;

/**
 * Flink type information of the record types; found through their {@code @TypeInfo} annotations, so streams of
 * them never fall back to Kryo.
 */
@PublicEvolving
public final class RecordTypeInfos {
    private RecordTypeInfos() {}

    public static final TypeInformation<InferenceRequest> REQUEST =
            new RecordTypeInfo<>(InferenceRequest.class, RecordSerializers.RequestSerializer.INSTANCE);
    public static final TypeInformation<Prediction> PREDICTION =
            new RecordTypeInfo<>(Prediction.class, RecordSerializers.PredictionSerializer.INSTANCE);
    public static final TypeInformation<DeadLetter> DEAD_LETTER =
            new RecordTypeInfo<>(DeadLetter.class, RecordSerializers.DeadLetterSerializer.INSTANCE);

    public static final TypeInformation<ModelCommand> COMMAND =
            new RecordTypeInfo<>(ModelCommand.class, RecordSerializers.CommandSerializer.INSTANCE);
    public static final TypeInformation<ModelEvent> EVENT =
            new RecordTypeInfo<>(ModelEvent.class, RecordSerializers.EventSerializer.INSTANCE);

    /** Type information backed by one stateless serializer. */
    static final class RecordTypeInfo<T> extends TypeInformation<T> {
        private static final long serialVersionUID = 1L;
        private final Class<T> type;
        private final TypeSerializer<T> serializer;

        RecordTypeInfo(Class<T> type, TypeSerializer<T> serializer) {
            this.type = type;
            this.serializer = serializer;
        }

        @Override
        public boolean isBasicType() {
            return false;
        }

        @Override
        public boolean isTupleType() {
            return false;
        }

        @Override
        public int getArity() {
            return 1;
        }

        @Override
        public int getTotalFields() {
            return 1;
        }

        @Override
        public Class<T> getTypeClass() {
            return type;
        }

        @Override
        public boolean isKeyType() {
            return false;
        }

        @Override
        public TypeSerializer<T> createSerializer(SerializerConfig config) {
            return serializer;
        }

        @Override
        public String toString() {
            return type.getSimpleName();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof RecordTypeInfo<?> other && other.type == type;
        }

        @Override
        public int hashCode() {
            return type.hashCode();
        }

        @Override
        public boolean canEqual(Object o) {
            return o instanceof RecordTypeInfo;
        }
    }

    /** Factory named by {@link InferenceRequest}'s annotation. */
    public static final class RequestFactory extends TypeInfoFactory<InferenceRequest> {
        @Override
        public TypeInformation<InferenceRequest> createTypeInfo(Type t, Map<String, TypeInformation<?>> params) {
            return REQUEST;
        }
    }

    /** Factory named by {@link Prediction}'s annotation. */
    public static final class PredictionFactory extends TypeInfoFactory<Prediction> {
        @Override
        public TypeInformation<Prediction> createTypeInfo(Type t, Map<String, TypeInformation<?>> params) {
            return PREDICTION;
        }
    }

    /** Factory named by {@link DeadLetter}'s annotation. */
    public static final class DeadLetterFactory extends TypeInfoFactory<DeadLetter> {
        @Override
        public TypeInformation<DeadLetter> createTypeInfo(Type t, Map<String, TypeInformation<?>> params) {
            return DEAD_LETTER;
        }
    }

    /** Factory named by {@link ModelCommand}'s annotation. */
    public static final class CommandFactory extends TypeInfoFactory<ModelCommand> {
        @Override
        public TypeInformation<ModelCommand> createTypeInfo(Type t, Map<String, TypeInformation<?>> params) {
            return COMMAND;
        }
    }

    /** Factory named by {@link ModelEvent}'s annotation. */
    public static final class EventFactory extends TypeInfoFactory<ModelEvent> {
        @Override
        public TypeInformation<ModelEvent> createTypeInfo(Type t, Map<String, TypeInformation<?>> params) {
            return EVENT;
        }
    }
}
