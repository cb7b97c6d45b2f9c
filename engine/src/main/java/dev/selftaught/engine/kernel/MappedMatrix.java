package dev.selftaught.engine.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * A matrix whose rows are stored block by block in a memory segment (normally a slice of a
 * memory-mapped checkpoint), each row a whole number of blocks. The bytes stay where they are:
 * the operating system pages them in on first use and may share them with other processes
 * mapping the same file.
 */
public abstract class MappedMatrix extends Matrix {
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);

    static final VectorSpecies<Float> S = Kernels.S;
    static final int L = S.length();
    /** The fused kernels are written for 8-lane (AVX2) and 16-lane (AVX-512) float vectors; other widths use the decode-then-tile path. */
    static final boolean FUSED = L == 8 || L == 16;
    /** L bytes, L shorts and L ints: the sources of one float vector. */
    static final VectorSpecies<Byte> BL = FUSED ? VectorSpecies.of(byte.class, VectorShape.forBitSize(L * 8)) : ByteVector.SPECIES_64;
    static final VectorSpecies<Short> HL = FUSED ? VectorSpecies.of(short.class, VectorShape.forBitSize(L * 16)) : ShortVector.SPECIES_128;
    static final VectorSpecies<Integer> IL = VectorSpecies.of(int.class, S.vectorShape());

    protected final MemorySegment seg;
    protected final long rowBytes;

    /**
     * @param seg exactly the tensor's bytes ({@code rows} rows of {@code cols / blockSize} blocks)
     */
    protected MappedMatrix(MemorySegment seg, int rows, int cols, int blockSize, int blockBytes) {
        super(rows, cols);
        if (cols % blockSize != 0) {
            throw new IllegalArgumentException(encoding() + " rows must be a multiple of " + blockSize + " values, got " + cols);
        }
        this.rowBytes = (long) cols / blockSize * blockBytes;
        if (seg.byteSize() != rowBytes * rows) {
            throw new IllegalArgumentException(encoding() + " " + rows + "x" + cols + " needs " + rowBytes * rows + " bytes, segment has " + seg.byteSize());
        }
        this.seg = seg;
    }

    @Override public long byteSize() { return seg.byteSize(); }

    /**
     * A matrix of the named GGUF encoding over {@code seg}.
     *
     * @throws IllegalArgumentException for an encoding without a kernel or a shape that does not fit
     */
    public static MappedMatrix of(String encoding, MemorySegment seg, int rows, int cols) {
        return switch (encoding) {
            case "F32" -> new F32Matrix(seg, rows, cols);
            case "F16" -> new F16Matrix(seg, rows, cols);
            case "BF16" -> new BF16Matrix(seg, rows, cols);
            case "Q8_0" -> new Q8_0Matrix(seg, rows, cols);
            case "Q4_0" -> new Q4_0Matrix(seg, rows, cols);
            case "Q4_K" -> new Q4KMatrix(seg, rows, cols);
            case "Q6_K" -> new Q6KMatrix(seg, rows, cols);
            default -> throw new IllegalArgumentException("no kernel for encoding " + encoding);
        };
    }

    static float half(MemorySegment s, long off) { return Float.float16ToFloat(s.get(I16, off)); }

    static int u8(MemorySegment s, long off) { return s.get(ValueLayout.JAVA_BYTE, off) & 0xFF; }

    static byte i8(MemorySegment s, long off) { return s.get(ValueLayout.JAVA_BYTE, off); }

    /** L int8 values as floats. */
    static FloatVector bytesToFloats(ByteVector b) {
        return (FloatVector) b.convertShape(VectorOperators.B2F, S, 0);
    }

    /** Outputs {@code r..r+3} from four rows' lanes laid out one after the other in {@code lanes}. */
    static void storeFour(float[] out, int r, boolean accumulate, float[] lanes) {
        for (int i = 0; i < 4; i++) store(out, r + i, accumulate, Kernels.sumLanes(lanes, i * L));
    }
}
