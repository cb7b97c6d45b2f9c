package dev.selftaught.engine.format.gguf;

/** ggml tensor element types this engine reads (by GGUF id) with their block geometry. */
public enum GgmlType {
    F32(0, 1, 4),
    F16(1, 1, 2),
    Q4_0(2, 32, 18),
    Q8_0(8, 32, 34),
    Q4_K(12, 256, 144),
    Q6_K(14, 256, 210),
    BF16(30, 1, 2);

    public final int id;
    /** elements per block */
    public final int blockSize;
    /** bytes per block */
    public final int blockBytes;

    GgmlType(int id, int blockSize, int blockBytes) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
    }

    /** The type with this id, or null when the engine does not support it. */
    public static GgmlType of(int id) {
        for (GgmlType t : values()) if (t.id == id) return t;
        return null;
    }

    /** Bytes of {@code elements} values (which must be a whole number of blocks). */
    public long bytesFor(long elements) { return elements / blockSize * blockBytes; }

    /** Name of a ggml type id for messages, including types this engine does not read. */
    public static String nameOf(int id) {
        GgmlType t = of(id);
        if (t != null) return t.name();
        String[] names = {"F32", "F16", "Q4_0", "Q4_1", "Q4_2", "Q4_3", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K",
                "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S",
                "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M", "BF16"};
        return id >= 0 && id < names.length ? names[id] : "type#" + id;
    }
}
