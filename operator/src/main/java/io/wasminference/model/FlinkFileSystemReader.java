package io.wasminference.model;

import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FileSystem;

import java.io.IOException;
import java.net.URI;

/** Reads a model through Flink's FileSystem abstraction, so s3://, hdfs://, gs:// ... work with Flink's plugins. */
final class FlinkFileSystemReader {
    private FlinkFileSystemReader() {}

    static byte[] read(URI uri, long maxBytes) throws IOException {
        org.apache.flink.core.fs.Path path = new org.apache.flink.core.fs.Path(uri);
        FileSystem fs = FileSystem.get(uri);
        if (fs.getFileStatus(path).getLen() > maxBytes) {
            throw new IOException(uri + " is larger than " + maxBytes + " bytes");
        }
        try (FSDataInputStream in = fs.open(path)) {
            return ModelRef.readBounded(in);
        }
    }
}
