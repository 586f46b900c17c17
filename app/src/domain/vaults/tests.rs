use proptest::prelude::*;
use serde_json::json;

use super::*;

fn ok(format: VaultFormat, text: &str) -> Value {
    match parse(format, text) {
        Ok(map) => Value::Object(map),
        Err(e) => panic!("{format:?} refused {text:?}: {e}"),
    }
}

fn hocon(text: &str) -> Value {
    ok(VaultFormat::Hocon, text)
}

fn yaml(text: &str) -> Value {
    ok(VaultFormat::Yaml, text)
}

fn json_of(text: &str) -> Value {
    ok(VaultFormat::Json, text)
}

/// The message of the validation error `parse` returns.
fn refused(format: VaultFormat, text: &str) -> String {
    match parse(format, text) {
        Ok(map) => panic!("{format:?} accepted {text:?} as {map:?}"),
        Err(AppError::Validation { field, message }) => {
            assert_eq!(field, "data");
            message
        }
        Err(other) => panic!("not a validation error: {other:?}"),
    }
}

fn hocon_err(text: &str) -> String {
    refused(VaultFormat::Hocon, text)
}

fn yaml_err(text: &str) -> String {
    refused(VaultFormat::Yaml, text)
}

fn json_err(text: &str) -> String {
    refused(VaultFormat::Json, text)
}

#[track_caller]
fn assert_starts(message: &str, prefix: &str) {
    assert!(
        message.starts_with(prefix),
        "{message:?} does not start with {prefix:?}"
    );
}

#[track_caller]
fn assert_has(message: &str, part: &str) {
    assert!(
        message.contains(part),
        "{message:?} does not mention {part:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// HOCON

#[test]
fn hocon_root_with_and_without_braces() {
    let expected = json!({"a": 1, "b": "x"});
    assert_eq!(hocon("a = 1\nb = x"), expected);
    assert_eq!(hocon("{ a: 1, b: x }"), expected);
    assert_eq!(
        hocon("\n# leading comment\n{\n  a = 1\n  b: x\n}\n// trailing\n"),
        expected
    );
    assert_eq!(hocon(""), json!({}));
    assert_eq!(hocon("  \n# only a comment\n"), json!({}));
    assert_eq!(hocon("{}"), json!({}));
}

#[test]
fn hocon_separators_and_object_form() {
    assert_eq!(
        hocon("a = 1\nb : 2\nc { d = 3 }\ne\n{\n f: 4\n}"),
        json!({"a": 1, "b": 2, "c": {"d": 3}, "e": {"f": 4}})
    );
    assert_eq!(
        hocon("a = 1, b = 2,\nc = 3,"),
        json!({"a": 1, "b": 2, "c": 3})
    );
    assert_eq!(hocon("a =\n  5"), json!({"a": 5}));
}

#[test]
fn hocon_dotted_paths_nest_and_quoted_keys_do_not() {
    assert_eq!(hocon("a.b.c = 1"), json!({"a": {"b": {"c": 1}}}));
    assert_eq!(hocon("\"a.b\" = 1"), json!({"a.b": 1}));
    assert_eq!(hocon("a.\"b.c\".d = 1"), json!({"a": {"b.c": {"d": 1}}}));
    assert_eq!(hocon("foo bar = 1"), json!({"foo bar": 1}));
    assert_eq!(hocon("a.b = 1\na.c = 2"), json!({"a": {"b": 1, "c": 2}}));
    // Keys that look like other things are text.
    assert_eq!(hocon("true = 1\n10 = x"), json!({"true": 1, "10": "x"}));
    assert_eq!(hocon("include = 1"), json!({"include": 1}));
}

#[test]
fn hocon_lists() {
    assert_eq!(
        hocon("a = [1, 2, 3]\nb = [\n  x\n  y,\n  [z]\n]\nc = []\nd = [{k: 1}, {k: 2},]"),
        json!({"a": [1, 2, 3], "b": ["x", "y", ["z"]], "c": [], "d": [{"k": 1}, {"k": 2}]})
    );
    assert_eq!(hocon("a = [1, 2] [3]"), json!({"a": [1, 2, 3]}));
}

#[test]
fn hocon_unquoted_text_urls_and_comments() {
    assert_eq!(
        hocon(
            "api_server: https://api.example.com\n\
             web = http://localhost:8080/a//b # a comment\n\
             c = foo bar   // another\n\
             d = nvidia/cuda:11.0.3-cudnn8-runtime-ubuntu20.04\n\
             e = ~/.clearml/cache"
        ),
        json!({
            "api_server": "https://api.example.com",
            "web": "http://localhost:8080/a//b",
            "c": "foo bar",
            "d": "nvidia/cuda:11.0.3-cudnn8-runtime-ubuntu20.04",
            "e": "~/.clearml/cache",
        })
    );
}

#[test]
fn hocon_quoted_strings_with_json_escapes() {
    assert_eq!(
        hocon(r#"a = "tab\tquote\" slash\/ back\\ nl\n u\u00e9 pair\ud83d\ude00""#),
        json!({"a": "tab\tquote\" slash/ back\\ nl\n u\u{e9} pair\u{1f600}"})
    );
    assert_eq!(hocon(r#"a = "x" "y""#), json!({"a": "x y"}));
    assert_eq!(
        hocon(r##"a = "#not a comment" "##),
        json!({"a": "#not a comment"})
    );
    assert_eq!(
        hocon(r#"a = "${not.a.substitution}""#),
        json!({"a": "${not.a.substitution}"})
    );
}

#[test]
fn hocon_triple_quoted_strings() {
    assert_eq!(
        hocon("a = \"\"\"line one\n  line \"two\"\n\\n stays\"\"\"\nb = 1"),
        json!({"a": "line one\n  line \"two\"\n\\n stays", "b": 1})
    );
    // Extra quotes before the closing three belong to the text.
    assert_eq!(hocon("a = \"\"\"x\"\"\"\"\""), json!({"a": "x\"\""}));
    assert_eq!(hocon("a = \"\"\"\"\"\""), json!({"a": ""}));
}

#[test]
fn hocon_numbers_booleans_and_null() {
    assert_eq!(
        hocon(
            "i = 42\nn = -7\nf = 1.5\ng = 1.0\ne = 1e3\nh = .5\nbig = 18446744073709551615\n\
             huge = 123456789012345678901234567890\nip = 10.0.0.1\nwords = 5 apples\n\
             t = true\nT = TRUE\nf2 = False\nz = null\nv = 3.0.1"
        ),
        json!({
            "i": 42, "n": -7, "f": 1.5, "g": 1.0, "e": 1000.0, "h": 0.5,
            "big": 18446744073709551615u64, "huge": 1.2345678901234568e29,
            "ip": "10.0.0.1", "words": "5 apples", "t": true, "T": true, "f2": false,
            "z": null, "v": "3.0.1",
        })
    );
    assert_eq!(
        hocon("a = 1e+5\nb = -1.5E-3\nc = +5\nd = +.5"),
        json!({"a": 100000.0, "b": -0.0015, "c": 5, "d": 0.5})
    );
    assert_has(
        &hocon_err("e = 2e+x"),
        "`+` can't appear in an unquoted value",
    );
    let v = hocon("i = 42\nf = 1.0");
    assert!(v["i"].is_i64());
    assert!(v["f"].is_f64());
    assert_eq!(serde_json::to_string(&v).unwrap(), r#"{"f":1.0,"i":42}"#);
    assert_eq!(
        hocon_err("a = 1e400"),
        "line 1, column 5: the number 1e400 is out of range"
    );
}

#[test]
fn hocon_repeated_keys_merge_objects_and_replace_the_rest() {
    assert_eq!(
        hocon("a { x = 1, y = 2 }\na { y = 3, z = 4 }"),
        json!({"a": {"x": 1, "y": 3, "z": 4}})
    );
    assert_eq!(hocon("a = 1\na = 2"), json!({"a": 2}));
    assert_eq!(hocon("a { x = 1 }\na = 5"), json!({"a": 5}));
    assert_eq!(
        hocon("a { x = 1 }\na = 5\na { y = 1 }"),
        json!({"a": {"y": 1}})
    );
    assert_eq!(hocon("a = [1]\na = [2]"), json!({"a": [2]}));
    assert_eq!(hocon("a = 1\na.b = 2"), json!({"a": {"b": 2}}));
    assert_eq!(
        hocon("a.b = 1\na { c = 2 }\na.d.e = 3"),
        json!({"a": {"b": 1, "c": 2, "d": {"e": 3}}})
    );
    assert_eq!(hocon("a = {x: 1} {y: 2}"), json!({"a": {"x": 1, "y": 2}}));
}

#[test]
fn hocon_append() {
    assert_eq!(hocon("a += 1"), json!({"a": [1]}));
    assert_eq!(hocon("a = [1]\na += 2\na += x"), json!({"a": [1, 2, "x"]}));
    // A list on the right is appended element by element, as pyhocon does.
    assert_eq!(hocon("a = [1]\na += [2, 3]"), json!({"a": [1, 2, 3]}));
    assert_eq!(hocon("a += {k: 1}"), json!({"a": [{"k": 1}]}));
    assert_eq!(
        hocon("s { l = [a] }\ns { l += b }"),
        json!({"s": {"l": ["a", "b"]}})
    );
    assert_eq!(
        hocon_err("a = 1\na += 2"),
        "line 2, column 1: += adds to a list, but a holds a number"
    );
    assert_eq!(
        hocon_err("a { x = 1 }\na += 2"),
        "line 2, column 1: += adds to a list, but a holds an object"
    );
}

#[test]
fn hocon_substitutions() {
    assert_eq!(
        hocon("a.b = 5\nc = ${a.b}\nd = ${a}"),
        json!({"a": {"b": 5}, "c": 5, "d": {"b": 5}})
    );
    // Forward references, and the final value of what they name.
    assert_eq!(hocon("c = ${x}\nx = 1\nx = 2"), json!({"c": 2, "x": 2}));
    // Text around a substitution concatenates.
    assert_eq!(
        hocon("host = example.com\nport = 8080\nurl = \"https://\"${host}\":\"${port}/api"),
        json!({"host": "example.com", "port": 8080, "url": "https://example.com:8080/api"})
    );
    // Objects inherit.
    assert_eq!(
        hocon("base { host = a, port = 1 }\nprod = ${base} { host = b }"),
        json!({"base": {"host": "a", "port": 1}, "prod": {"host": "b", "port": 1}})
    );
    // A field referring to itself sees its earlier value.
    assert_eq!(
        hocon("path = [a]\npath = ${path} [b]"),
        json!({"path": ["a", "b"]})
    );
    assert_eq!(hocon("s = x\ns = ${s}y"), json!({"s": "xy"}));
    // Optional substitutions of what the vault defines.
    assert_eq!(hocon("a = 1\nb = ${?a}"), json!({"a": 1, "b": 1}));
    // Substitutions inside lists and quoted keys in paths.
    assert_eq!(
        hocon("\"x.y\" = 3\nl = [${\"x.y\"}, ${\"x.y\"}]"),
        json!({"x.y": 3, "l": [3, 3]})
    );
    // A substitution refers to a key inside the object being defined.
    assert_eq!(
        hocon("o { p = 1, q = ${o.p} }"),
        json!({"o": {"p": 1, "q": 1}})
    );
}

#[test]
fn hocon_substitutions_that_cannot_resolve_are_refused() {
    assert_eq!(
        hocon_err("a = ${HOME}"),
        "line 1, column 5: ${HOME} can't be resolved: nothing in this vault sets HOME (a vault \
         can't read environment variables)"
    );
    assert_starts(
        &hocon_err("a = 1\nb = ${?UNDEFINED}"),
        "line 2, column 5: ${UNDEFINED}",
    );
    assert_starts(
        &hocon_err("a = ${a}"),
        "line 1, column 5: ${a} can't be resolved",
    );
    assert_has(&hocon_err("a = ${b}\nb = ${a}"), "a cycle");
    assert_starts(
        &hocon_err("a = 5\nb = ${a.c}"),
        "line 2, column 5: ${a.c} can't be resolved",
    );
    assert_eq!(
        hocon_err("a { x = 1 }\nb = ${a} text"),
        "line 2, column 5: this value joins an object and text (they can't concatenate)"
    );
}

#[test]
fn hocon_substitution_bombs_are_bounded() {
    let mut text = String::from("l0 = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n");
    for i in 1..12 {
        let refs = vec![format!("${{l{}}}", i - 1); 10].join(", ");
        text.push_str(&format!("l{i} = [{refs}]\n"));
    }
    let started = std::time::Instant::now();
    assert_has(
        &hocon_err(&text),
        "substitutions copy more than 2048 KB of settings",
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    // A long chain of substitutions waiting on one another.
    let mut chain = String::new();
    for i in 0..100 {
        chain.push_str(&format!("a{i} = ${{a{}}}\n", i + 1));
    }
    chain.push_str("a100 = 1\n");
    assert_has(&hocon_err(&chain), "more than 32 levels deep");
    // Thirty-two substitutions waiting on one another, each inside thirty lists: refused
    // without exhausting a test thread's stack.
    let mut nested = String::new();
    for i in 0..32 {
        nested.push_str(&format!(
            "a{i} = {}${{a{}}}{}\n",
            "[".repeat(30),
            i + 1,
            "]".repeat(30)
        ));
    }
    nested.push_str("a32 = 1\n");
    assert_has(&hocon_err(&nested), "levels");
    // Many lookups replaying many operations.
    let mut slow = String::new();
    for _ in 0..6_000 {
        slow.push_str("x {}\n");
    }
    for i in 0..6_000 {
        slow.push_str(&format!("x.z{i} = {i}\ny{i} = ${{x.z{i}}}\n"));
    }
    let started = std::time::Instant::now();
    assert_eq!(
        hocon_err(&slow),
        "line 6668, column 8: substitutions take too long to resolve in this vault"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    // The same chain written backwards resolves.
    let mut backwards = String::from("a100 = 1\n");
    for i in (0..100).rev() {
        backwards.push_str(&format!("a{i} = ${{a{}}}\n", i + 1));
    }
    assert_eq!(hocon(&backwards)["a0"], json!(1));
}

#[test]
fn long_text_repeated_by_aliases_or_substitutions_is_bounded() {
    let long = "x".repeat(100_000);
    let started = std::time::Instant::now();
    let refs = vec!["*s"; 10_000].join(", ");
    assert_has(
        &yaml_err(&format!("s: &s {long}\nl: [{refs}]\n")),
        "aliases copy more than 2048 KB of settings",
    );
    let refs = vec!["${s}"; 10_000].join(", ");
    assert_has(
        &hocon_err(&format!("s = {long}\nl = [{refs}]\n")),
        "substitutions copy more than 2048 KB of settings",
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    // Within the copying budget but more than a vault's expanded settings may take.
    let refs = ["*s"; 12].join(", ");
    assert_eq!(
        yaml_err(&format!("s: &s {long}\nl: [{refs}]\n")),
        "Once aliases and substitutions are expanded, these settings take more than 1024 KB."
    );
    let refs = ["*s"; 8].join(", ");
    assert_eq!(
        yaml(&format!("s: &s {long}\nl: [{refs}]\n"))["l"][7],
        json!(long)
    );
}

#[test]
fn hocon_include_is_refused() {
    for text in [
        "include \"other.conf\"",
        "a = 1\ninclude file(\"/etc/passwd\")",
        "include required(url(\"http://example.com/x.conf\"))",
        "include classpath(\"x\")",
        "x { include \"y.conf\" }",
    ] {
        let message = hocon_err(text);
        assert_has(&message, "include is not supported");
    }
    assert_eq!(
        hocon_err("a = 1\n  include \"other.conf\""),
        "line 2, column 3: include is not supported: a vault can't read other files or URLs; \
         paste the settings themselves into the vault"
    );
}

#[test]
fn hocon_malformed_text_names_line_and_column() {
    let cases = [
        (
            "a {\n  b = 1\n",
            "line 3, column 1: the text ends before the { at line 1, column 3 is closed",
        ),
        (
            "a = 1\nb\nc = 2",
            "line 2, column 2: expected `=`, `:` or `{` after the key b, found a new line",
        ),
        (
            "a = \"unterminated\nb = 1",
            "line 1, column 5: this quoted string is not closed on its line (write text over several lines between \"\"\" and \"\"\")",
        ),
        (
            "a = \"bad \\q escape\"",
            "line 1, column 10: \\q is not an escape a quoted string knows (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)",
        ),
        (
            "a = 1 + 1",
            "line 1, column 7: `+` can't appear in an unquoted value; put the value in quotes",
        ),
        (
            "a = x\n}",
            "line 2, column 1: unexpected `}`: no object is open here",
        ),
        (
            "[1, 2]",
            "line 1, column 1: a vault holds an object of settings at its top level, not a list",
        ),
        (
            "a = [1, 2",
            "line 1, column 10: the text ends before the [ at line 1, column 5 is closed",
        ),
        (
            "a = {x: 1} y = 2",
            "line 1, column 14: unexpected `=` in a value: put each setting on a line of its own (or separate them with commas), or put the value in quotes",
        ),
        (
            "a..b = 1",
            "line 1, column 3: a key path can't have an empty part",
        ),
        (
            "a. = 1",
            "line 1, column 3: a key path can't end with a dot",
        ),
        ("= 1", "line 1, column 1: expected a key, found `=`"),
        (
            "a = ",
            "line 1, column 5: the key a has no value (found the end of the text)",
        ),
        (
            "a = \"\"\"never closed",
            "line 1, column 5: this \"\"\" string is never closed",
        ),
        (
            "a = ${b",
            "line 1, column 8: expected `}` to close the substitution, found the end of the text",
        ),
        (
            "{ a = 1 } b = 2",
            "line 1, column 11: unexpected text after the closing brace of the top-level object",
        ),
        (
            "a = $5",
            "line 1, column 5: `$` can't appear in an unquoted value; put the value in quotes",
        ),
        (
            "a = \"\\ud800\"",
            "line 1, column 6: a \\u escape of a high surrogate needs its low surrogate",
        ),
        (
            "é = ü ü\nü = \"x",
            "line 2, column 5: this quoted string is not closed on its line (write text over several lines between \"\"\" and \"\"\")",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(hocon_err(text), expected, "for {text:?}");
    }
}

#[test]
fn hocon_windows_line_endings() {
    assert_eq!(
        hocon("a = 1\r\nb {\r\n  c = x\r\n}\r\n"),
        json!({"a": 1, "b": {"c": "x"}})
    );
}

// ---------------------------------------------------------------------------------------------
// JSON

#[test]
fn json_values_keep_their_types() {
    let v = json_of(
        r#"{"i": 1, "f": 1.0, "e": 1e2, "n": null, "b": true, "s": "x", "l": [1, "a"], "o": {}}"#,
    );
    assert!(v["i"].is_i64());
    assert!(v["f"].is_f64());
    assert!(v["e"].is_f64());
    assert_eq!(v["l"], json!([1, "a"]));
    assert_eq!(json_of(""), json!({}));
    assert_eq!(json_of("\u{feff}{\"a\": 1}"), json!({"a": 1}));
}

#[test]
fn json_malformed_text_names_line_and_column() {
    assert_eq!(
        json_err("{\n  \"a\": 1,\n}"),
        "line 3, column 1: trailing comma"
    );
    assert_eq!(
        json_err("{\"a\": tru}"),
        "line 1, column 10: expected ident"
    );
    assert_eq!(
        json_err("{\"é\": \"ü\" x}"),
        "line 1, column 11: expected `,` or `}`"
    );
    assert_eq!(
        json_err("{\"a\": 1, \"a\": 2}"),
        "line 1, column 12: the key \"a\" appears twice in one object"
    );
    assert_eq!(
        json_err("[1]"),
        "line 1, column 1: A vault holds an object of settings at its top level."
    );
    assert_eq!(
        json_err("{\"a\": 1e999}"),
        "line 1, column 11: number out of range"
    );
}

// ---------------------------------------------------------------------------------------------
// YAML

#[test]
fn yaml_mappings_lists_and_scalars() {
    assert_eq!(
        yaml(
            "sdk:\n  aws:\n    s3:\n      key: x\n      secret: \"y\"\n  list:\n    - 1\n    - 2.5\n    - text\n\
             flow: {a: 1, b: [x, y]}\nempty:\nnull_value: ~\nbool: true\nquoted: 'true'\n\
             block: |\n  line one\n  line two\n"
        ),
        json!({
            "sdk": {"aws": {"s3": {"key": "x", "secret": "y"}}, "list": [1, 2.5, "text"]},
            "flow": {"a": 1, "b": ["x", "y"]},
            "empty": null,
            "null_value": null,
            "bool": true,
            "quoted": "true",
            "block": "line one\nline two\n",
        })
    );
    let v = yaml("i: 1\nf: 1.0\nh: 0x1F\no: 0o17\ne: 1e3");
    assert!(v["i"].is_i64());
    assert!(v["f"].is_f64());
    assert_eq!(v, json!({"i": 1, "f": 1.0, "h": 31, "o": 15, "e": 1000.0}));
    assert_eq!(yaml(""), json!({}));
    assert_eq!(yaml("# only a comment\n"), json!({}));
    assert_eq!(yaml("---\n"), json!({}));
}

#[test]
fn yaml_malformed_text_names_line_and_column() {
    assert_eq!(
        yaml_err("a: 1\n  b: 2\n"),
        "line 2, column 4: mapping values are not allowed in this context"
    );
    assert_starts(&yaml_err("a: [1, 2\nb: 3\n"), "line 2, column");
    assert_eq!(
        yaml_err("a: 1\na: 2\n"),
        "line 2, column 1: the key \"a\" appears twice in this mapping"
    );
    assert_eq!(
        yaml_err("- 1\n- 2\n"),
        "line 1, column 1: A vault holds an object of settings at its top level."
    );
    assert_eq!(
        yaml_err("a: 1\n---\nb: 2\n"),
        "line 2, column 1: a vault holds one YAML document; this starts a second one"
    );
}

#[test]
fn yaml_keys_must_be_text() {
    assert_eq!(
        yaml_err("sdk:\n  1: x\n"),
        "line 2, column 3: the key 1 is a number, and keys must be text: write it in quotes (\"1\")"
    );
    assert_has(&yaml_err("true: x\n"), "the key true is a boolean");
    assert_has(&yaml_err("null: x\n"), "the key null is null");
    assert_has(&yaml_err("1.5: x\n"), "the key 1.5 is a number");
    assert_has(
        &yaml_err("? [a, b]\n: x\n"),
        "a key must be text, not a list",
    );
    assert_has(
        &yaml_err("? {a: b}\n: x\n"),
        "a key must be text, not a mapping",
    );
    assert_has(
        &yaml_err("!!int 5: x\n"),
        "a key must be text; this one is tagged !!int",
    );
    assert_eq!(
        yaml("\"1\": x\n'true': y\n!!str 2: z\non: w"),
        json!({"1": "x", "true": "y", "2": "z", "on": "w"})
    );
}

#[test]
fn yaml_tags_other_than_the_core_schema_are_refused() {
    assert_eq!(
        yaml("a: !!str 5\nb: !!int \"7\"\nc: !!float 1\nd: !!bool true\ne: !!null ''"),
        json!({"a": "5", "b": 7, "c": 1.0, "d": true, "e": null})
    );
    assert_eq!(
        yaml_err("a: !foo x\n"),
        "line 1, column 9: the tag !foo is not supported: a vault holds plain YAML (tags: !!str, !!int, !!float, !!bool, !!null)"
    );
    assert_has(
        &yaml_err("a: !!binary aGVsbG8=\n"),
        "the tag !!binary is not supported",
    );
    assert_has(
        &yaml_err("a: !!python/object:os.system x\n"),
        "the tag !!python/object:os.system is not supported",
    );
    assert_has(
        &yaml_err("a: !!set {x}\n"),
        "the tag !!set is not allowed on a mapping",
    );
    assert_has(&yaml_err("a: !!int x\n"), "\"x\" doesn't fit its tag !!int");
}

#[test]
fn yaml_ambiguous_scalars_are_refused() {
    assert_eq!(
        yaml_err("verify: no\n"),
        "line 1, column 9: no is a boolean in YAML 1.1 but text in YAML 1.2: write true or false, or put it in quotes"
    );
    assert_has(&yaml_err("a: On\n"), "On is a boolean in YAML 1.1");
    assert_has(
        &yaml_err("mode: 0755\n"),
        "0755 is an octal number in YAML 1.1",
    );
    assert_has(&yaml_err("a: .inf\n"), "JSON has no infinities");
    assert_has(&yaml_err("a: .nan\n"), "JSON has no infinities");
    assert_eq!(
        yaml("a: 'no'\nb: \"0755\"\nc: 0\nd: -0"),
        json!({"a": "no", "b": "0755", "c": 0, "d": 0})
    );
}

#[test]
fn yaml_anchors_aliases_and_merge_keys() {
    assert_eq!(
        yaml(
            "base: &base\n  host: a\n  port: 1\nprod:\n  <<: *base\n  host: b\nlist: &l [1, 2]\ncopy: *l\n"
        ),
        json!({
            "base": {"host": "a", "port": 1},
            "prod": {"host": "b", "port": 1},
            "list": [1, 2],
            "copy": [1, 2],
        })
    );
    assert_eq!(
        yaml("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc:\n  <<: [*a, *b]\n"),
        json!({"a": {"x": 1, "y": 1}, "b": {"y": 2, "z": 2}, "c": {"x": 1, "y": 1, "z": 2}})
    );
    assert_has(
        &yaml_err("a: &a [1, *a]\n"),
        "refers to a node that contains it",
    );
    assert_has(&yaml_err("a:\n  <<: 5\n"), "`<<` merges mappings");
}

#[test]
fn yaml_billion_laughs_fails_fast() {
    let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 9].join(", ");
        text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let started = std::time::Instant::now();
    assert_has(
        &yaml_err(&text),
        "aliases copy more than 2048 KB of settings",
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
}

// ---------------------------------------------------------------------------------------------
// All formats

#[test]
fn forbidden_keys_are_refused_in_every_spelling() {
    let spellings: [(VaultFormat, &str); 11] = [
        (VaultFormat::Hocon, "agent { debug: true }"),
        (VaultFormat::Hocon, "agent.debug = true"),
        (VaultFormat::Hocon, "\"agent.debug\": true"),
        (VaultFormat::Hocon, "agent { \"debug\" = true }"),
        (VaultFormat::Hocon, "x = false\nagent.debug = ${x}"),
        (VaultFormat::Json, r#"{"agent": {"debug": true}}"#),
        (VaultFormat::Json, r#"{"agent.debug": true}"#),
        (VaultFormat::Yaml, "agent: {debug: true}"),
        (VaultFormat::Yaml, "agent.debug: true"),
        (VaultFormat::Yaml, "agent:\n  debug: true\n"),
        (VaultFormat::Yaml, "\"agent.debug\": true"),
    ];
    for (format, text) in spellings {
        assert_eq!(
            refused(format, text),
            "agent.debug belongs to one machine and can't be set in a configuration vault.",
            "{format:?} {text:?}"
        );
    }
    for key in FORBIDDEN_KEYS {
        let (section, name) = key.split_once('.').unwrap();
        for (format, text) in [
            (VaultFormat::Hocon, format!("{key} = 1")),
            (
                VaultFormat::Hocon,
                format!("{section} {{ {name} {{ x = 1 }} }}"),
            ),
            (VaultFormat::Json, format!("{{\"{key}\": 1}}")),
            (
                VaultFormat::Json,
                format!("{{\"{section}\": {{\"{name}\": []}}}}"),
            ),
            (VaultFormat::Yaml, format!("{section}:\n  {name}: x\n")),
            (VaultFormat::Yaml, format!("{key}: x\n")),
        ] {
            assert_has(&refused(format, &text), key);
        }
    }
    // Neighbours are fine.
    assert_eq!(
        hocon("agent { debug_level = 1, package_manager.pip_version = \"<24\" }"),
        json!({"agent": {"debug_level": 1, "package_manager": {"pip_version": "<24"}}})
    );
}

#[test]
fn deep_nesting_is_refused_in_every_format() {
    let braces = |n: usize| {
        format!(
            "{}{}",
            "{\"a\": ".repeat(n),
            "1".to_string() + &"}".repeat(n)
        )
    };
    // 32 objects, the top level included, are fine; 33 are not.
    assert!(parse(VaultFormat::Json, &braces(32)).is_ok());
    assert_eq!(
        json_err(&braces(33)),
        "line 1, column 193: settings nest deeper than 32 levels"
    );
    assert!(parse(VaultFormat::Hocon, &braces(32)).is_ok());
    assert_eq!(
        hocon_err(&braces(33)),
        "line 1, column 193: settings nest deeper than 32 levels here"
    );
    let path = |n: usize| format!("{} = 1", vec!["k"; n].join("."));
    assert!(parse(VaultFormat::Hocon, &path(32)).is_ok());
    assert_eq!(
        hocon_err(&path(33)),
        "line 1, column 1: settings nest deeper than 32 levels here"
    );
    let mut lists = String::from("a = ");
    lists.push_str(&"[".repeat(40));
    assert_has(
        &hocon_err(&lists),
        "settings nest deeper than 32 levels here",
    );
    assert!(parse(VaultFormat::Yaml, &braces(32)).is_ok());
    assert_eq!(
        yaml_err(&braces(33)),
        "line 1, column 193: settings nest deeper than 32 levels here"
    );
    let mut block = String::new();
    for i in 0..40 {
        block.push_str(&format!("{}k{i}:\n", "  ".repeat(i)));
    }
    assert_has(
        &yaml_err(&block),
        "settings nest deeper than 32 levels here",
    );
    // Substitutions can't build what the text couldn't.
    let mut deep = String::from("a0 = 1\n");
    for i in 1..40 {
        deep.push_str(&format!("a{i} {{ x = ${{a{}}} }}\n", i - 1));
    }
    assert_has(
        &hocon_err(&deep),
        "settings nest deeper than 32 levels here",
    );
    // A stack of a hundred thousand brackets fails quickly, without overflowing the stack.
    let bomb = "[".repeat(100_000);
    for format in [VaultFormat::Hocon, VaultFormat::Json, VaultFormat::Yaml] {
        let text = format!("{{\"a\": {bomb}");
        assert!(parse(format, &text).is_err());
    }
}

#[test]
fn huge_text_is_refused_and_large_values_are_fine() {
    let too_big = format!("a = \"{}\"", "x".repeat(MAX_TEXT_BYTES));
    for format in [VaultFormat::Hocon, VaultFormat::Json, VaultFormat::Yaml] {
        assert_eq!(refused(format, &too_big), "A vault holds at most 256 KB.");
    }
    let long = "é".repeat(100_000);
    assert_eq!(hocon(&format!("a = \"{long}\""))["a"], json!(long));
    assert_eq!(json_of(&format!("{{\"a\": \"{long}\"}}"))["a"], json!(long));
    assert_eq!(yaml(&format!("a: \"{long}\""))["a"], json!(long));
    let many = vec!["1"; 60_000].join(",");
    assert_eq!(
        hocon(&format!("a = [{many}]"))["a"]
            .as_array()
            .unwrap()
            .len(),
        60_000
    );
    assert_eq!(
        yaml(&format!("a: [{many}]"))["a"].as_array().unwrap().len(),
        60_000
    );
    let keys: String = (0..10_000).map(|i| format!("k{i} = {i}\n")).collect();
    assert_eq!(hocon(&keys).as_object().unwrap().len(), 10_000);
}

#[test]
fn unicode_keys_and_values() {
    let expected = json!({"données": {"clé": "valeur ü 😀", "日本": "語"}});
    assert_eq!(
        hocon("données { clé = valeur ü 😀\n 日本: \"語\" }"),
        expected
    );
    assert_eq!(
        hocon("données.clé = \"valeur ü 😀\"\ndonnées.日本 = 語"),
        expected
    );
    assert_eq!(
        json_of(r#"{"données": {"clé": "valeur ü 😀", "日本": "語"}}"#),
        expected
    );
    assert_eq!(yaml("données:\n  clé: valeur ü 😀\n  日本: 語\n"), expected);
    assert_eq!(
        hocon_err("ключ = \"x\ny = 1"),
        "line 1, column 8: this quoted string is not closed on its line (write text over several lines between \"\"\" and \"\"\")"
    );
    assert_eq!(
        yaml_err("ключ: 1\nключ: 2\n"),
        "line 2, column 1: the key \"ключ\" appears twice in this mapping"
    );
}

#[test]
fn a_clearml_conf_excerpt() {
    let text = r#"
# ClearML SDK configuration
api {
    web_server: https://app.example.com/
    api_server: https://api.example.com
    files_server: https://files.example.com
    credentials {
        "access_key" = "AKIA0123456789"
        "secret_key" = "s3cr3t/with+signs=="
    }
}
sdk {
    aws {
        s3 {
            key: "x", secret: "y"
            region: ""
            credentials: [
                {
                    bucket: "my-bucket"
                    key: "bk"
                    secret: "bs"
                },
            ]
        }
    }
    development {
        default_output_uri: ${api.files_server}
        worker {
            report_period_sec: 2
        }
    }
    storage.cache.default_base_dir: "~/.clearml/cache"
}
agent.package_manager.pip_version = "<24"
agent.package_manager.extra_index_url = ["https://download.pytorch.org/whl/cu118"]
agent.package_manager.extra_index_url += "https://pypi.example.com/simple"
agent.default_docker.image = "nvidia/cuda:11.8.0-runtime-ubuntu22.04"
agent.docker_init_bash_script = """
apt-get update
apt-get install -y git
"""
"#;
    assert_eq!(
        hocon(text),
        json!({
            "api": {
                "web_server": "https://app.example.com/",
                "api_server": "https://api.example.com",
                "files_server": "https://files.example.com",
                "credentials": {"access_key": "AKIA0123456789", "secret_key": "s3cr3t/with+signs=="},
            },
            "sdk": {
                "aws": {"s3": {
                    "key": "x", "secret": "y", "region": "",
                    "credentials": [{"bucket": "my-bucket", "key": "bk", "secret": "bs"}],
                }},
                "development": {
                    "default_output_uri": "https://files.example.com",
                    "worker": {"report_period_sec": 2},
                },
                "storage": {"cache": {"default_base_dir": "~/.clearml/cache"}},
            },
            "agent": {
                "package_manager": {
                    "pip_version": "<24",
                    "extra_index_url": [
                        "https://download.pytorch.org/whl/cu118",
                        "https://pypi.example.com/simple",
                    ],
                },
                "default_docker": {"image": "nvidia/cuda:11.8.0-runtime-ubuntu22.04"},
                "docker_init_bash_script": "\napt-get update\napt-get install -y git\n",
            },
        })
    );
    // The same settings in YAML and JSON.
    let from_json = json_of(&serde_json::to_string_pretty(&hocon(text)).unwrap());
    assert_eq!(from_json, hocon(text));
    assert_eq!(
        yaml(
            "sdk:\n  aws:\n    s3: {key: \"x\", secret: \"y\"}\nagent:\n  package_manager:\n    pip_version: \"<24\"\n"
        ),
        json!({"sdk": {"aws": {"s3": {"key": "x", "secret": "y"}}}, "agent": {"package_manager": {"pip_version": "<24"}}})
    );
}

#[test]
fn what_clients_cannot_read_back_is_refused() {
    for (format, text) in [
        (VaultFormat::Hocon, "a { \"\" = 1 }"),
        (VaultFormat::Json, r#"{"a": {"": 1}}"#),
        (VaultFormat::Yaml, "a:\n  \"\": 1\n"),
    ] {
        assert_eq!(
            refused(format, text),
            "The key a.\"\" is empty, and ClearML clients can't read an empty key.",
            "{format:?}"
        );
    }
    for (format, text) in [
        (VaultFormat::Hocon, r#""a\"b" = 1"#),
        (VaultFormat::Hocon, r#""a\\b" = 1"#),
        (VaultFormat::Json, r#"{"a\nb": 1}"#),
        (VaultFormat::Yaml, "\"a\\tb\": 1\n"),
    ] {
        assert_has(
            &refused(format, text),
            "holds a quote, a backslash or a control character",
        );
    }
    for (format, text) in [
        (VaultFormat::Hocon, r#"s.x = [ok, "bell\u0007"]"#),
        (VaultFormat::Json, r#"{"s": {"x": ["ok", "bell\u0007"]}}"#),
        (VaultFormat::Yaml, "s:\n  x: [ok, \"bell\\a\"]\n"),
    ] {
        assert_eq!(
            refused(format, text),
            "The value of s.x holds the control character U+0007, which ClearML clients can't read \
             back: remove it.",
            "{format:?}"
        );
    }
    // Tabs, new lines and carriage returns are fine.
    assert_eq!(hocon(r#"a = "x\ty\r\nz""#), json!({"a": "x\ty\r\nz"}));
}

// ---------------------------------------------------------------------------------------------
// merge

fn vault(id: &str) -> VaultRef {
    VaultRef {
        id: id.into(),
        name: format!("vault {id}"),
        group: Some("group".into()),
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

#[test]
fn merge_later_wins_and_objects_merge() {
    let merged = merge(&[
        (
            vault("1"),
            object(json!({"sdk": {"a": 1, "b": 2}, "x": [1]})),
        ),
        (
            vault("2"),
            object(json!({"sdk": {"b": 3, "c": 4}, "x": [2]})),
        ),
    ]);
    assert_eq!(
        Value::Object(merged.config),
        json!({"sdk": {"a": 1, "b": 3, "c": 4}, "x": [2]})
    );
    let origin = |path: &str| merged.origins[path].clone();
    assert_eq!(
        origin("sdk.a"),
        KeyOrigin {
            set_by: vault("1"),
            overrode: vec![]
        }
    );
    assert_eq!(
        origin("sdk.b"),
        KeyOrigin {
            set_by: vault("2"),
            overrode: vec![vault("1")]
        }
    );
    assert_eq!(
        origin("sdk.c"),
        KeyOrigin {
            set_by: vault("2"),
            overrode: vec![]
        }
    );
    assert_eq!(
        origin("x"),
        KeyOrigin {
            set_by: vault("2"),
            overrode: vec![vault("1")]
        }
    );
    assert_eq!(merged.origins.len(), 4);
}

#[test]
fn merge_scalar_replacing_a_subtree_drops_its_keys_from_origins() {
    let merged = merge(&[
        (vault("1"), object(json!({"a": {"b": 1, "c": {"d": 2}}}))),
        (vault("2"), object(json!({"a": 5}))),
    ]);
    assert_eq!(Value::Object(merged.config), json!({"a": 5}));
    assert_eq!(merged.origins.keys().collect::<Vec<_>>(), vec!["a"]);
    assert_eq!(merged.origins["a"].overrode, vec![vault("1")]);
    // And back to an object: the scalar's vault is what the new keys displaced.
    let merged = merge(&[
        (vault("1"), object(json!({"a": {"b": 1}}))),
        (vault("2"), object(json!({"a": 5}))),
        (vault("3"), object(json!({"a": {"c": 1}}))),
    ]);
    assert_eq!(Value::Object(merged.config), json!({"a": {"c": 1}}));
    assert_eq!(merged.origins.keys().collect::<Vec<_>>(), vec!["a.c"]);
    assert_eq!(
        merged.origins["a.c"],
        KeyOrigin {
            set_by: vault("3"),
            overrode: vec![vault("1"), vault("2")]
        }
    );
}

#[test]
fn merge_keeps_dotted_keys_whole_and_quotes_them_in_origins() {
    let merged = merge(&[
        (vault("1"), object(json!({"a": {"b": 1}}))),
        (vault("2"), object(json!({"a.b": 2, "x y": {"": 3}}))),
    ]);
    assert_eq!(
        Value::Object(merged.config),
        json!({"a": {"b": 1}, "a.b": 2, "x y": {"": 3}})
    );
    assert_eq!(
        merged.origins.keys().collect::<Vec<_>>(),
        vec!["\"a.b\"", "\"x y\".\"\"", "a.b"]
    );
    assert_eq!(merged.origins["a.b"].set_by, vault("1"));
    assert_eq!(merged.origins["\"a.b\""].set_by, vault("2"));
    assert!(merged.origins["\"a.b\""].overrode.is_empty());
}

#[test]
fn merge_empty_objects() {
    let merged = merge(&[
        (vault("1"), object(json!({"a": {"b": 1}}))),
        (vault("2"), object(json!({"a": {}}))),
    ]);
    assert_eq!(Value::Object(merged.config), json!({"a": {"b": 1}}));
    assert_eq!(merged.origins["a.b"].set_by, vault("1"));
    let merged = merge(&[
        (vault("1"), object(json!({"a": 1}))),
        (vault("2"), object(json!({"a": {}}))),
    ]);
    assert_eq!(Value::Object(merged.config), json!({"a": {}}));
    assert_eq!(
        merged.origins["a"],
        KeyOrigin {
            set_by: vault("2"),
            overrode: vec![vault("1")]
        }
    );
    assert_eq!(merge(&[]), Merged::default());
}

#[test]
fn merge_of_parsed_vaults() {
    let group = parse(
        VaultFormat::Hocon,
        "sdk.aws.s3 { key: a, secret: b }\nsdk.x = 1",
    )
    .unwrap();
    let personal = parse(
        VaultFormat::Yaml,
        "sdk:\n  aws:\n    s3:\n      key: mine\n",
    )
    .unwrap();
    let merged = merge(&[(vault("g"), group), (vault("p"), personal)]);
    assert_eq!(
        Value::Object(merged.config),
        json!({"sdk": {"aws": {"s3": {"key": "mine", "secret": "b"}}, "x": 1}})
    );
    assert_eq!(merged.origins["sdk.aws.s3.key"].overrode, vec![vault("g")]);
    assert_eq!(merged.origins["sdk.aws.s3.secret"].set_by, vault("g"));
}

#[test]
fn merge_is_sequential_not_associative_when_a_scalar_comes_between_objects() {
    let a = object(json!({"x": {"p": 1}}));
    let b = object(json!({"x": 5}));
    let c = object(json!({"x": {"q": 2}}));
    let in_order = merge(&[
        (vault("a"), a.clone()),
        (vault("b"), b.clone()),
        (vault("c"), c.clone()),
    ]);
    assert_eq!(Value::Object(in_order.config), json!({"x": {"q": 2}}));
    let bc = merge(&[(vault("b"), b), (vault("c"), c)]).config;
    let grouped = merge(&[(vault("a"), a), (vault("bc"), bc)]);
    assert_eq!(
        Value::Object(grouped.config),
        json!({"x": {"p": 1, "q": 2}})
    );
}

#[test]
fn summary_lists_top_level_keys() {
    assert_eq!(summary(&Map::new()), "empty");
    assert_eq!(summary(&object(json!({"a": 1, "b": 2}))), "a, b");
    assert_eq!(
        summary(&object(json!({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}))),
        "a, b, c, … (5 keys)"
    );
}

// ---------------------------------------------------------------------------------------------
// Fuzz corpus

#[test]
fn fuzz_corpus_replays_without_panics() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/vault_parse");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("the fuzz corpus is committed") {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        fuzz_vault_parse(&data);
        count += 1;
    }
    assert!(
        count >= 24,
        "only {count} corpus files in {}",
        dir.display()
    );
}

// ---------------------------------------------------------------------------------------------
// Properties

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter_map("finite", Number::from_f64)
            .prop_map(Value::Number),
        // Any text but the control characters a vault refuses.
        "[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]{0,12}".prop_map(Value::String),
        "[a-z .:/\"'#${}\\[\\]\\\\\t\n\r]{0,12}".prop_map(Value::String),
    ]
}

/// Keys a vault may hold: anything but empty keys and quotes, backslashes and control
/// characters.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_]{1,8}",
        "[a-z]{1,4}\\.[a-z]{1,4}",
        "[^\"\\\\\\x00-\\x1f\\x7f-\\x9f]{1,8}",
        Just("include".to_string()),
        Just(" ".to_string()),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn vault_object() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map(key(), value(), 0..6)
        .prop_map(|m| m.into_iter().collect::<Map<String, Value>>())
        .prop_filter("no forbidden keys", |m| check_forbidden(m).is_ok())
}

/// Objects in which a key names an object in every vault or in none ("o…" keys hold objects,
/// other keys scalars and lists): the vaults for which merging is associative. (An object, then a
/// scalar, then an object at one path is not: applied in order the scalar wipes the first object,
/// while merging the last two first keeps it — see `merge_is_sequential_not_associative_…`.)
fn shaped_object() -> impl Strategy<Value = Map<String, Value>> {
    let leaf = prop_oneof![
        scalar(),
        prop::collection::vec(scalar(), 0..3).prop_map(Value::Array),
    ];
    let scalars = prop::collection::btree_map("[a-n]{1,2}", leaf, 0..4);
    scalars
        .prop_recursive(3, 24, 3, |inner| {
            (
                inner.clone(),
                prop::collection::btree_map("o[a-c]?", inner, 0..3),
            )
                .prop_map(|(mut map, objects)| {
                    for (k, v) in objects {
                        map.insert(k, Value::Object(v.into_iter().collect()));
                    }
                    map
                })
        })
        .prop_map(|m| m.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_json_of_any_object_parses_back_in_every_format(map in vault_object()) {
        let compact = serde_json::to_string(&map).unwrap();
        let pretty = serde_json::to_string_pretty(&map).unwrap();
        for format in [VaultFormat::Json, VaultFormat::Hocon, VaultFormat::Yaml] {
            for text in [&compact, &pretty] {
                let back = parse(format, text);
                prop_assert_eq!(back.as_ref(), Ok(&map), "{:?} of {}", format, text);
            }
        }
    }

    #[test]
    fn merge_is_associative(a in shaped_object(), b in shaped_object(), c in shaped_object()) {
        let config = |vaults: Vec<Map<String, Value>>| {
            let list: Vec<_> = vaults
                .into_iter()
                .enumerate()
                .map(|(i, m)| (vault(&i.to_string()), m))
                .collect();
            merge(&list).config
        };
        let all = config(vec![a.clone(), b.clone(), c.clone()]);
        let left = config(vec![config(vec![a.clone(), b.clone()]), c.clone()]);
        let right = config(vec![a, config(vec![b, c])]);
        prop_assert_eq!(&all, &left);
        prop_assert_eq!(&all, &right);
    }

    #[test]
    fn the_last_vaults_leaves_are_in_effect(vaults in prop::collection::vec(vault_object(), 1..5)) {
        let list: Vec<_> = vaults.into_iter().enumerate().map(|(i, m)| (vault(&i.to_string()), m)).collect();
        let merged = merge(&list);
        let (last_vault, last) = list.last().unwrap();
        let mut leaves = Vec::new();
        leaf_segments(last, &mut Vec::new(), &mut leaves);
        for leaf in leaves {
            let mut want = &Value::Object(last.clone());
            let mut got = &Value::Object(merged.config.clone());
            for key in &leaf {
                want = &want[key];
                got = &got[key];
            }
            if want.as_object().is_some_and(Map::is_empty) {
                prop_assert!(got.is_object());
                continue;
            }
            prop_assert_eq!(got, want);
            prop_assert_eq!(&merged.origins[&path_string(&leaf)].set_by, last_vault);
        }
        // Origins name exactly the merged configuration's leaves.
        let mut live = Vec::new();
        leaf_segments(&merged.config, &mut Vec::new(), &mut live);
        let mut live: Vec<String> = live.iter().map(|p| path_string(p)).collect();
        live.sort();
        prop_assert_eq!(merged.origins.keys().cloned().collect::<Vec<_>>(), live);
    }

    #[test]
    fn parsing_arbitrary_text_never_panics(text in any::<String>()) {
        fuzz_vault_parse(text.as_bytes());
    }

    #[test]
    fn parsing_text_made_of_syntax_never_panics(text in "[a-z0-9 .:=,{}\\[\\]\"$?+#/\\n\\-&*!|>']{0,80}") {
        fuzz_vault_parse(text.as_bytes());
    }
}

#[test]
fn decimals_differ_only_in_a_trailing_dot() {
    for n in ["1", "-1.5", "+.5", "2e10", "1.0E-3"] {
        assert!(super::is_decimal(n, false), "{n}");
        assert!(super::is_decimal(n, true), "{n}");
    }
    assert!(
        !super::is_decimal("1.", false),
        "HOCON needs digits after the dot"
    );
    assert!(
        super::is_decimal("1.", true),
        "YAML's core schema reads 1. as a float"
    );
    for bad in ["", ".", "-", "1e", "1.2.3", "e5", "1x"] {
        assert!(!super::is_decimal(bad, true), "{bad}");
    }
}
