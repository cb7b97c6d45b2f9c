package dev.selftaught.data;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A lazy stream of the records of one dataset file, read one at a time (memory does not grow
 * with the file). Bad input surfaces as an {@link InputError} from {@link #hasNext()} /
 * {@link #next()} when the reader reaches it. Close it (try-with-resources).
 */
public interface RecordReader extends Iterator<DataRecord>, AutoCloseable {

    /** The file being read. */
    Path file();

    /** The remaining records as a sequential stream; closing the stream closes the reader. */
    default Stream<DataRecord> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED | Spliterator.NONNULL), false)
                .onClose(this::close);
    }

    @Override
    void close();
}
