package io.wasminference.jobs.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/** Reads a JSON-lines dataset (plain or {@code .gz}) from a file or a {@code classpath:} resource. */
public final class JsonLines {
    private JsonLines() {}

    public static List<String> read(String location) throws IOException {
        InputStream raw;
        if (location.startsWith("classpath:")) {
            String resource = location.substring("classpath:".length());
            raw = JsonLines.class.getClassLoader().getResourceAsStream(resource);
            if (raw == null) {
                throw new NoSuchFileException(location);
            }
        } else {
            raw = Files.newInputStream(Path.of(location));
        }
        try (InputStream in = location.endsWith(".gz") ? new GZIPInputStream(raw) : raw;
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            List<String> lines = new ArrayList<>();
            for (String line; (line = r.readLine()) != null; ) {
                lines.add(line);
            }
            return lines;
        }
    }
}
