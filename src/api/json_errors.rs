//! serde_json's errors in Dutch, each naming the field by its JSON path
//! (`lines[0].quantity`). serde builds its messages from fixed English templates
//! (`serde::de::Error`'s provided methods: unknown field, invalid type, missing field, …);
//! those are recognised here and said again in Dutch. A message of our own (a custom
//! `Deserialize` impl) is kept as it is, with the field in front.

/// What a body that does not parse into the request type gets as an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonProblem {
    /// Not JSON at all (400): where the parser stopped.
    Syntax(String),
    /// JSON, but not the request's shape (422): the field and what is wrong with it.
    Field { field: String, message: String },
}

/// Translates a failed parse. `path` is serde_path_to_error's path of the value being read
/// (`.` for the body itself).
pub fn translate(path: &str, error: &serde_json::Error) -> JsonProblem {
    use serde_json::error::Category;
    match error.classify() {
        Category::Eof => JsonProblem::Syntax("de JSON houdt onverwacht op".into()),
        Category::Syntax | Category::Io => JsonProblem::Syntax(format!(
            "ongeldige JSON op regel {}, kolom {}",
            error.line(),
            error.column()
        )),
        Category::Data => {
            let message = bare_message(error);
            let at = if path == "." { "" } else { path };
            field_problem(at, &message)
        }
    }
}

/// The message without serde_json's " at line L column C".
fn bare_message(error: &serde_json::Error) -> String {
    let full = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    full.strip_suffix(&suffix).unwrap_or(&full).to_string()
}

/// `parent.child`, or `child` at the top.
fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

fn field_problem(path: &str, message: &str) -> JsonProblem {
    let field = |name: String, message: String| JsonProblem::Field {
        field: name,
        message,
    };
    let shown = if path.is_empty() { "body" } else { path };
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (name, expected) = rest.split_once('`').unwrap_or((rest, ""));
        // The path may already end in the unknown key.
        let name_path = if path == name || path.ends_with(&format!(".{name}")) {
            path.to_string()
        } else {
            join(path, name)
        };
        let allowed = names_in(expected);
        let text = if allowed.is_empty() {
            format!("onbekend veld `{name}`; hier zijn geen velden toegestaan")
        } else {
            format!(
                "onbekend veld `{name}`; toegestaan zijn: {}",
                allowed.join(", ")
            )
        };
        return field(name_path, text);
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or(rest);
        let name_path = join(path, name);
        let text = format!("`{name_path}` ontbreekt");
        return field(name_path, text);
    }
    if let Some(rest) = message.strip_prefix("duplicate field `") {
        let name = rest.split('`').next().unwrap_or(rest);
        let name_path = join(path, name);
        let text = format!("`{name_path}` komt twee keer voor");
        return field(name_path, text);
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        if let Some((actual, expected)) = rest.split_once(", expected ") {
            return field(
                shown.to_string(),
                format!(
                    "`{shown}`: verwacht {}, kreeg {}",
                    expected_nl(expected),
                    actual_nl(actual)
                ),
            );
        }
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        if let Some((actual, expected)) = rest.split_once(", expected ") {
            return field(
                shown.to_string(),
                format!(
                    "`{shown}`: ongeldige waarde {}; verwacht {}",
                    value_nl(actual),
                    expected_nl(expected)
                ),
            );
        }
    }
    if let Some(rest) = message.strip_prefix("invalid length ") {
        if let Some((length, expected)) = rest.split_once(", expected ") {
            // serde reads a struct from a list too, and then counts its elements.
            if expected.starts_with("struct ") {
                return field(
                    shown.to_string(),
                    format!("`{shown}`: verwacht een object, kreeg een lijst"),
                );
            }
            return field(
                shown.to_string(),
                format!(
                    "`{shown}`: {length} elementen is niet goed; verwacht {}",
                    expected_nl(expected)
                ),
            );
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (value, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let allowed = names_in(expected);
        return field(
            shown.to_string(),
            format!(
                "`{shown}`: onbekende waarde `{value}`; toegestaan zijn: {}",
                allowed.join(", ")
            ),
        );
    }
    // A message of our own: kept, with the field named.
    field(shown.to_string(), format!("`{shown}`: {message}"))
}

/// The names in serde's "expected one of `a`, `b`" / "expected `a`": every other
/// backtick-quoted piece.
fn names_in(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// serde's `Unexpected` (what was found), in Dutch.
fn actual_nl(actual: &str) -> String {
    let kind = actual.split(' ').next().unwrap_or(actual);
    match kind {
        "boolean" => "een waarheidswaarde (true/false)".into(),
        "integer" | "floating" => "een getal".into(),
        "string" | "char" => "tekst".into(),
        "null" | "unit" | "option" => "null".into(),
        "sequence" => "een lijst".into(),
        "map" => "een object".into(),
        _ => actual.to_string(),
    }
}

/// A found value with the value itself: `tekst "x"`, `het getal 3`.
fn value_nl(actual: &str) -> String {
    if let Some(text) = actual.strip_prefix("string ") {
        return format!("tekst {text}");
    }
    for prefix in ["integer ", "floating point "] {
        if let Some(number) = actual.strip_prefix(prefix) {
            return format!("het getal {}", number.trim_matches('`'));
        }
    }
    actual_nl(actual)
}

/// serde's "expected …" (what the type wants), in Dutch.
fn expected_nl(expected: &str) -> String {
    let e = expected.trim();
    let integer = |range: &str| format!("een geheel getal {range}");
    match e {
        "a string" | "a borrowed string" | "a character" | "a char" => "tekst".into(),
        "a boolean" => "true of false".into(),
        "u8" => integer("van 0 tot en met 255"),
        "u16" => integer("van 0 tot en met 65535"),
        "u32" | "u64" | "u128" | "usize" => integer("van 0 of meer"),
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => integer("(zonder decimalen)"),
        "f32" | "f64" => "een getal".into(),
        "a sequence" | "a tuple" => "een lijst".into(),
        "a map" => "een object".into(),
        "unit" | "null" => "null".into(),
        _ if e.starts_with("struct ") || e.starts_with("a map") => "een object".into(),
        _ if e.starts_with("a sequence") || e.starts_with("an array") => "een lijst".into(),
        _ if e.starts_with("enum ") || e.starts_with("variant identifier") => {
            "een van de toegestane waarden".into()
        }
        _ if e.starts_with("a string") => "tekst".into(),
        _ if e.contains("integer") => "een geheel getal".into(),
        _ if e.contains("number") || e.contains("decimal") => "een getal".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[allow(dead_code)]
    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Order {
        municipality: String,
        lines: Vec<Line>,
        #[serde(default)]
        urgent: Option<bool>,
        #[serde(default)]
        frequency: Option<Frequency>,
    }

    #[allow(dead_code)]
    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    struct Line {
        product_code: String,
        quantity: Option<String>,
        #[serde(default)]
        hours: Option<u16>,
    }

    #[derive(Deserialize, Debug)]
    #[serde(rename_all = "lowercase")]
    enum Frequency {
        Week,
        Total,
    }

    fn problem(body: &str) -> JsonProblem {
        let mut de = serde_json::Deserializer::from_str(body);
        let error = serde_path_to_error::deserialize::<_, Order>(&mut de).unwrap_err();
        let path = error.path().to_string();
        translate(&path, error.inner())
    }

    fn field(body: &str) -> (String, String) {
        match problem(body) {
            JsonProblem::Field { field, message } => (field, message),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_unknown_field_lists_the_allowed_ones() {
        let (f, m) = field(r#"{"municipality": "GM0757", "lines": [], "settlement": 1}"#);
        assert_eq!(f, "settlement");
        assert_eq!(
            m,
            "onbekend veld `settlement`; toegestaan zijn: municipality, lines, urgent, frequency"
        );
        let (f, m) = field(r#"{"municipality": "x", "lines": [{"product_code": "A", "qty": 1}]}"#);
        assert_eq!(f, "lines[0].qty");
        assert!(
            m.starts_with("onbekend veld `qty`; toegestaan zijn: product_code, quantity, hours"),
            "{m}"
        );
    }

    #[test]
    fn a_wrong_type_names_the_path_and_both_kinds() {
        let (f, m) =
            field(r#"{"municipality": "x", "lines": [{"product_code": "A", "quantity": 3}]}"#);
        assert_eq!(f, "lines[0].quantity");
        assert_eq!(m, "`lines[0].quantity`: verwacht tekst, kreeg een getal");
        let (f, m) = field(r#"{"municipality": ["x"], "lines": []}"#);
        assert_eq!(f, "municipality");
        assert_eq!(m, "`municipality`: verwacht tekst, kreeg een lijst");
        let (_, m) = field(r#"{"municipality": "x", "lines": [], "urgent": "ja"}"#);
        assert_eq!(m, "`urgent`: verwacht true of false, kreeg tekst");
        let (f, m) = field("[]");
        assert_eq!(f, "body");
        assert_eq!(m, "`body`: verwacht een object, kreeg een lijst");
    }

    #[test]
    fn a_missing_field_is_named_with_its_path() {
        let (f, m) = field(r#"{"lines": []}"#);
        assert_eq!(
            (f.as_str(), m.as_str()),
            ("municipality", "`municipality` ontbreekt")
        );
        let (f, m) = field(r#"{"municipality": "x", "lines": [{"quantity": "1"}]}"#);
        assert_eq!(f, "lines[0].product_code");
        assert_eq!(m, "`lines[0].product_code` ontbreekt");
    }

    #[test]
    fn values_out_of_range_and_unknown_variants_are_dutch() {
        let (f, m) =
            field(r#"{"municipality": "x", "lines": [{"product_code": "A", "hours": 70000}]}"#);
        assert_eq!(f, "lines[0].hours");
        assert_eq!(
            m,
            "`lines[0].hours`: ongeldige waarde het getal 70000; verwacht een geheel getal van 0 tot en met 65535"
        );
        let (f, m) = field(r#"{"municipality": "x", "lines": [], "frequency": "maand"}"#);
        assert_eq!(f, "frequency");
        assert_eq!(
            m,
            "`frequency`: onbekende waarde `maand`; toegestaan zijn: week, total"
        );
    }

    #[test]
    fn syntax_errors_and_an_early_end_are_400_in_dutch() {
        assert_eq!(
            problem("{\"municipality\": \"x\",\n \"lines\": [}"),
            JsonProblem::Syntax("ongeldige JSON op regel 2, kolom 12".into())
        );
        assert_eq!(
            problem("{\"municipality\": "),
            JsonProblem::Syntax("de JSON houdt onverwacht op".into())
        );
        assert_eq!(
            problem(""),
            JsonProblem::Syntax("de JSON houdt onverwacht op".into())
        );
    }
}
