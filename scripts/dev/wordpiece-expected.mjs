// Writes harness/src/test/resources/data/wordpiece-expected.jsonl: bert-base-uncased ids computed by Hugging
// Face's own JavaScript tokenizer (npm @huggingface/tokenizers@0.2.0, an independent implementation of the same
// tokenizer.json) for the words and sentences of the fixture corpus and for hand-picked hard cases. The Java
// WordPieceTokenizer test compares against this file. Not part of the build; run by hand when cases change:
//   mkdir /tmp/tokref && cd /tmp/tokref && npm install @huggingface/tokenizers@0.2.0
//   NODE_PATH=/tmp/tokref/node_modules node scripts/dev/wordpiece-expected.mjs data/tokenizers/bert-base-uncased/all-minilm-l6-v2-q-tokenizer.json
import fs from "fs";
import path from "path";
import { createRequire } from "module";
const require = createRequire(path.join(process.env.NODE_PATH || ".", "x.js"));
const { Tokenizer } = require("@huggingface/tokenizers");

const tok = new Tokenizer(JSON.parse(fs.readFileSync(process.argv[2], "utf8")), {});
const fixture = "harness/src/main/resources/org/cottention/harness/data/fixture";
const read = (p, enc = "utf8") => fs.readFileSync(path.join(fixture, p), enc);
let text = "";
for (const f of fs.readdirSync(path.join(fixture, "gutenberg")).sort()) text += read("gutenberg/" + f, "latin1") + "\n";
for (const f of fs.readdirSync(path.join(fixture, "sotu")).sort()) text += read("sotu/" + f) + "\n";
for (const r of JSON.parse(read("imdb/reviews.json"))) text += r.t + "\n";

const words = [...new Set(text.split(/\s+/).filter((w) => w.length > 0))].sort();
const sentences = [...new Set(text.split(/(?<=[.!?])\s+|\n\s*\n/).map((s) => s.replace(/\s+/g, " ").trim()).filter((s) => s.length > 0))];
const hard = [
  "i like strawberries", "Hello, World!", "don't stop-believing", "3.14159 and 1,000,000", "e-mail: someone@example.com",
  "https://www.example.org/path?q=1&x=2", "naïve café résumé coöperate Zoë façade", "ÉCOLE Ångström Øresund straße",
  "Ελληνικά λέξεις", "Привет, мир", "中文字符测试", "日本語のテキスト", "한국어 텍스트", "العربية", "עברית",
  "emoji 😀 and ❤️ here", "tabs\tand\nnewlines\r\nmixed", "non\u00a0breaking\u2003spaces", "zero\u200bwidth\u200djoiner",
  "soft\u00adhyphen", "control\u0007char", "replacement\ufffdchar", "\u0000null", "fullwidth ＡＢＣ １２３", "ligature ﬁ ﬂ",
  "«quotes» „low“ ‘single’ “double”", "dash – em — minus − ellipsis …", "$100 + 5% = <tag> ^caret `tick` |pipe| ~tilde",
  "#hashtag @mention ##notcontinuation", "İstanbul DİYARBAKIR", "Mc'Donald's O'Neil", "a" + "b".repeat(99), "a" + "b".repeat(100),
  "pneumonoultramicroscopicsilicovolcanoconiosis", "antidisestablishmentarianism", "supercalifragilisticexpialidocious",
  "xqzvbnm qqqqq zzzzzzzz", "unaffable unbelievably counterrevolutionaries", "HTML <br /> tags<br/>here", "", "   ",
  "U.S.A. vs. U.K. at 5 p.m.", "¿Qué? ¡Olé!", "1/2 3/4 ½ ¾ 2²", "C++ C# F# .NET", "ⅰⅱⅲ Ⅳ", "℃ ℉ № ™ ©",
];
const out = [];
for (const t of [...words, ...sentences, ...hard]) {
  const ids = tok.encode(t).ids;
  if (ids[0] !== 101 || ids[ids.length - 1] !== 102) throw new Error("no [CLS]/[SEP] for " + t);
  out.push(JSON.stringify({ text: t, ids: ids.slice(1, -1) }));
}
const dest = "harness/src/test/resources/data/wordpiece-expected.jsonl";
fs.writeFileSync(dest, out.join("\n") + "\n");
console.log(`${out.length} cases (${words.length} words, ${sentences.length} sentences, ${hard.length} hard cases) -> ${dest}`);
