package dev.selftaught.data;

import java.nio.file.Path;
import java.util.NoSuchElementException;

/**
 * The iterator half every {@link RecordReader} shares: reads one record ahead so that
 * {@link #hasNext()} can answer, counts the records, and refuses a file without any (unless the
 * caller allows it). Subclasses only say how to read the next record.
 */
abstract class LookaheadReader implements RecordReader {
    protected final Path file;
    private final boolean allowEmpty;
    private DataRecord nextRecord;
    private boolean done;
    private long count;

    LookaheadReader(Path file, boolean allowEmpty) {
        this.file = file;
        this.allowEmpty = allowEmpty;
    }

    /** The next record, or null at the end of the file. Bad input throws {@link InputError}. */
    protected abstract DataRecord advance();

    /** What to say when the file holds no record at all, e.g. "the file has no records". */
    protected abstract String emptyProblem();

    /** Records returned by {@link #advance()} so far. */
    protected final long recordsRead() { return count; }

    @Override
    public final Path file() { return file; }

    @Override
    public final boolean hasNext() {
        if (nextRecord != null) return true;
        if (done) return false;
        nextRecord = advance();
        if (nextRecord == null) {
            done = true;
            if (count == 0 && !allowEmpty) throw InputError.at(file, 0, null, emptyProblem());
            return false;
        }
        count++;
        return true;
    }

    @Override
    public final DataRecord next() {
        if (!hasNext()) throw new NoSuchElementException();
        DataRecord r = nextRecord;
        nextRecord = null;
        return r;
    }
}
