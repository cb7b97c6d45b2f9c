package dev.selftaught.engine.format.gguf;

/**
 * One GGUF metadata value with its exact on-disk type, so that a file read and written back keeps
 * its types. Scalars are boxed Java values (integers widened to Integer/Long by signedness and
 * width); arrays are Java arrays: byte[] (u8/i8), short[] (u16/i16), int[] (u32/i32), long[]
 * (u64/i64), float[], double[], boolean[], String[], or Object[] of GgufValue for nested arrays.
 */
public record GgufValue(Type type, Type elementType, Object value) {

    /** GGUF metadata value types, by on-disk id. */
    public enum Type {
        UINT8(0, 1), INT8(1, 1), UINT16(2, 2), INT16(3, 2), UINT32(4, 4), INT32(5, 4), FLOAT32(6, 4), BOOL(7, 1),
        STRING(8, -1), ARRAY(9, -1), UINT64(10, 8), INT64(11, 8), FLOAT64(12, 8);

        public final int id;
        /** fixed byte size, or -1 */
        public final int size;

        Type(int id, int size) { this.id = id; this.size = size; }

        public static Type of(int id) {
            for (Type t : values()) if (t.id == id) return t;
            return null;
        }
    }

    public static GgufValue u32(long v) { return new GgufValue(Type.UINT32, null, (int) v); }
    public static GgufValue i32(int v) { return new GgufValue(Type.INT32, null, v); }
    public static GgufValue u64(long v) { return new GgufValue(Type.UINT64, null, v); }
    public static GgufValue f32(float v) { return new GgufValue(Type.FLOAT32, null, v); }
    public static GgufValue bool(boolean v) { return new GgufValue(Type.BOOL, null, v); }
    public static GgufValue string(String v) { return new GgufValue(Type.STRING, null, v); }
    public static GgufValue strings(String[] v) { return new GgufValue(Type.ARRAY, Type.STRING, v); }
    public static GgufValue floats(float[] v) { return new GgufValue(Type.ARRAY, Type.FLOAT32, v); }
    public static GgufValue ints(int[] v) { return new GgufValue(Type.ARRAY, Type.INT32, v); }

    /** Numeric value as a long (unsigned 32-bit values read as non-negative), or null if not an integer. */
    public Long asLong() {
        return switch (type) {
            case UINT8 -> (long) (((Number) value).intValue() & 0xFF);
            case UINT16 -> (long) (((Number) value).intValue() & 0xFFFF);
            case UINT32 -> ((Number) value).intValue() & 0xFFFFFFFFL;
            case INT8, INT16, INT32, UINT64, INT64 -> ((Number) value).longValue();
            default -> null;
        };
    }

    /** Numeric value as a double, or null when not a number. */
    public Double asDouble() {
        if (type == Type.FLOAT32 || type == Type.FLOAT64) return ((Number) value).doubleValue();
        Long l = asLong();
        return l == null ? null : l.doubleValue();
    }

    @Override
    public String toString() {
        if (type != Type.ARRAY) return type + ":" + value;
        return "ARRAY<" + elementType + ">[" + java.lang.reflect.Array.getLength(value) + "]";
    }
}
