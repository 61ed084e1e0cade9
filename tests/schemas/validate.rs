//! Schema validation with the `jsonschema` crate (draft 2020-12, formats asserted: `date` and
//! `date-time` with a calendar check on top of the schemas' own patterns).

use std::path::Path;

pub const BIN: &str = env!("CARGO_BIN_EXE_arrears");
pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn validator(schema: &str) -> jsonschema::Validator {
    let path = Path::new(ROOT).join("docs/schema").join(schema);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let schema: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    if let Err(e) = jsonschema::draft202012::meta::validate(&schema) {
        panic!(
            "{} is not a valid draft 2020-12 schema: {e}",
            path.display()
        );
    }
    // The options `arrears validate` reads the event schema with.
    arrears::replay::validate::schema_options()
        .build(&schema)
        .unwrap_or_else(|e| panic!("compiling {}: {e}", path.display()))
}

/// Validates each JSON text against `docs/schema/<schema>`; returns each text's errors (empty: valid).
pub fn validate(schema: &str, texts: &[String]) -> Vec<Vec<String>> {
    let v = validator(schema);
    texts
        .iter()
        .map(
            |text| match serde_json::from_str::<serde_json::Value>(text) {
                Err(e) => vec![format!("not JSON: {e}")],
                Ok(instance) => {
                    let mut errors: Vec<String> = v
                        .iter_errors(&instance)
                        .map(|e| {
                            let at = e.instance_path().to_string();
                            let at = if at.is_empty() {
                                "(root)".to_string()
                            } else {
                                at
                            };
                            let msg: String = e.to_string().chars().take(300).collect();
                            format!("{at}: {msg}")
                        })
                        .collect();
                    errors.sort();
                    errors
                }
            },
        )
        .collect()
}

/// Shortens a line for a failure message.
pub fn short(s: &str) -> String {
    if s.chars().count() <= 300 {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(300).collect::<String>())
    }
}

pub fn check_rejects(name: &str, lines: &[String]) {
    let mut problems = Vec::new();
    for (line, errors) in lines.iter().zip(validate("reject.schema.json", lines)) {
        if !errors.is_empty() {
            problems.push(format!(
                "{name}: reject line invalid under reject.schema.json: {errors:?}\n    {}",
                short(line)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
