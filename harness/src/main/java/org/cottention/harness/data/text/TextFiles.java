package org.cottention.harness.data.text;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.cottention.harness.CliException;
import org.cottention.harness.data.DataErrors;

/** Reading the installed files: strict UTF-8, sorted listings, one-line errors that name the file and the fix. */
final class TextFiles {
    private TextFiles() {}

    /** The file in the charset with \r\n turned into \n; bytes invalid in the charset are an error. */
    static String read(Path file, Charset charset) {
        try {
            return Files.readString(file, charset).replace("\r\n", "\n");
        } catch (CharacterCodingException e) {
            throw new CliException("data: " + file + " is not valid " + charset + "; " + DataErrors.REINSTALL);
        } catch (IOException e) {
            throw new CliException("data: cannot read " + file + " (" + e.getMessage() + "); " + DataErrors.REINSTALL);
        }
    }

    /** Regular files of a directory whose names match, sorted by name (the order never depends on the OS). */
    static List<Path> list(Path dir, Predicate<String> name) {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = s.filter(Files::isRegularFile).filter(p -> name.test(p.getFileName().toString()))
                    .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString())).toList();
            if (files.isEmpty()) throw new CliException("data: " + dir + " has no data files; " + DataErrors.REINSTALL);
            return files;
        } catch (IOException e) {
            throw new CliException("data: cannot list " + dir + " (" + e.getMessage() + "); " + DataErrors.REINSTALL);
        }
    }

    static String stem(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
