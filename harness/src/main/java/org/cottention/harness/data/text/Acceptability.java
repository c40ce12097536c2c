package org.cottention.harness.data.text;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.cottention.harness.data.DataErrors;

/**
 * A CoLA-like acceptability set from the example sentences of LanguageTool's English rules
 * ({@code org/languagetool/rules/en/grammar.xml} in Maven org.languagetool:language-en:6.5). In that file a rule's
 * {@code <example>} is a sentence the rule accepts (label 1, acceptable) and {@code <example correction="...">}
 * one it flags as an error (label 0, unacceptable; the error span is the {@code <marker>}, kept as plain text).
 * Examples with {@code type="triggers_error"} (known false alarms) and the joke category APRIL are skipped.
 * The group of an example is its rule group's id, or its rule's id outside a group: splits are made by group, so
 * sentences of one rule, often near-duplicates, never straddle splits. A sentence that occurs more than once
 * keeps its first occurrence; one that occurs with both labels is dropped.
 */
public final class Acceptability {
    private Acceptability() {}

    public static final String FILE = "languagetool/grammar.xml";
    private static final Set<String> SKIPPED_CATEGORIES = Set.of("APRIL");
    private static final Pattern SPACES = Pattern.compile("\\s+");

    public static List<Example> read(Path file) {
        List<Example> raw = new ArrayList<>();
        XMLInputFactory f = XMLInputFactory.newFactory();
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);   // internal DTD entities only
        f.setProperty(XMLInputFactory.IS_COALESCING, true);
        try (InputStream in = Files.newInputStream(file)) {
            XMLStreamReader r = f.createXMLStreamReader(in);
            String category = "", ruleGroup = null, rule = null;
            Map<String, Integer> perGroup = new HashMap<>();
            while (r.hasNext()) {
                int ev = r.next();
                if (ev == XMLStreamConstants.END_ELEMENT) {
                    switch (r.getLocalName()) {
                        case "rulegroup" -> ruleGroup = null;
                        case "rule" -> rule = null;
                        default -> { }
                    }
                    continue;
                }
                if (ev != XMLStreamConstants.START_ELEMENT) continue;
                switch (r.getLocalName()) {
                    case "category" -> category = attr(r, "id", "");
                    case "rulegroup" -> ruleGroup = attr(r, "id", null);
                    case "rule" -> rule = attr(r, "id", null);
                    case "example" -> {
                        String correction = attr(r, "correction", null);
                        String type = attr(r, "type", null);
                        String text = SPACES.matcher(textOf(r)).replaceAll(" ").trim();
                        String group = ruleGroup != null ? ruleGroup : rule;
                        if (group == null) throw new IllegalStateException("example outside a rule: " + text);
                        if (SKIPPED_CATEGORIES.contains(category) || "triggers_error".equals(type) || text.isEmpty()) {
                            continue;
                        }
                        int label = correction != null || "incorrect".equals(type) ? 0 : 1;
                        int k = perGroup.merge(group, 1, Integer::sum) - 1;
                        raw.add(new Example(group + "#" + k, group, text, null, label));
                    }
                    default -> { }
                }
            }
            r.close();
        } catch (IOException | XMLStreamException | IllegalStateException e) {
            throw DataErrors.corrupt(file, "a readable LanguageTool grammar.xml", e);
        }
        return Example.deduplicate(raw);
    }

    private static String attr(XMLStreamReader r, String name, String fallback) {
        String v = r.getAttributeValue(null, name);
        return v == null ? fallback : v;
    }

    /** All character data up to the element's end, nested elements (the marker) included as plain text. */
    private static String textOf(XMLStreamReader r) throws XMLStreamException {
        StringBuilder sb = new StringBuilder();
        for (int depth = 1; depth > 0; ) {
            int ev = r.next();
            if (ev == XMLStreamConstants.START_ELEMENT) depth++;
            else if (ev == XMLStreamConstants.END_ELEMENT) depth--;
            else if (ev == XMLStreamConstants.CHARACTERS || ev == XMLStreamConstants.CDATA
                    || ev == XMLStreamConstants.SPACE) sb.append(r.getText());
        }
        return sb.toString();
    }
}
