//! Where a configuration key came from: the `--config` file (its line and column, from a
//! span-keeping parse with `toml_edit`) or an `ARREARS_<SECTION>__<KEY>` variable; and taking a
//! bad key out of its layer, so that the next extraction reports the next problem.

use std::collections::{BTreeMap, BTreeSet};

use toml_edit::{DocumentMut, ImDocument, Item, TableLike};

/// Where a key's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The file, at 1-based line and column of the key.
    File { line: usize, column: usize },
    /// The environment variable of that name.
    Env(String),
    /// Neither: the compiled-in defaults (or a key the layers only imply).
    Defaults,
}

/// The `--config` file as text, with what it says where.
#[derive(Debug, Clone)]
pub struct UserFile {
    /// As given on the command line, for messages.
    pub name: String,
    /// The text as it now stands (bad keys taken out).
    pub text: String,
    /// The text as read, for positions.
    original: String,
}

/// 1-based line and column of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn child<'a>(t: &'a dyn TableLike, key: &str) -> Option<&'a dyn TableLike> {
    t.get(key).and_then(Item::as_table_like)
}

impl UserFile {
    /// Parses `text`; `Err` is the syntax error with its position.
    pub fn parse(name: String, text: String) -> Result<UserFile, String> {
        if let Err(e) = ImDocument::parse(text.as_str()) {
            let at = e
                .span()
                .map(|s| line_column(&text, s.start))
                .map_or(String::new(), |(l, c)| format!("{l}:{c}:"));
            let message = e.message().trim().replace('\n', " ");
            return Err(format!("{name}:{at} not valid TOML: {message}"));
        }
        Ok(UserFile {
            name,
            original: text.clone(),
            text,
        })
    }

    /// Line and column of the key at `path` (or of the longest part of it the file has).
    pub fn position(&self, path: &[String]) -> Option<(usize, usize)> {
        let doc = ImDocument::parse(self.original.as_str()).ok()?;
        let mut table: &dyn TableLike = doc.as_table();
        let mut found = None;
        for (i, seg) in path.iter().enumerate() {
            let Some((key, _)) = table.get_key_value(seg) else {
                break;
            };
            if let Some(span) = key.span() {
                found = Some(line_column(&self.original, span.start));
            }
            if i + 1 == path.len() {
                break;
            }
            match child(table, seg) {
                Some(t) => table = t,
                None => break,
            }
        }
        found
    }

    /// Whether the file (as read) sets exactly `path`.
    pub fn has(&self, path: &[String]) -> bool {
        let Ok(doc) = ImDocument::parse(self.original.as_str()) else {
            return false;
        };
        let mut table: &dyn TableLike = doc.as_table();
        for (i, seg) in path.iter().enumerate() {
            if i + 1 == path.len() {
                return table.contains_key(seg);
            }
            match child(table, seg) {
                Some(t) => table = t,
                None => return false,
            }
        }
        false
    }

    /// Takes the key at `path` out of the current text; false if it is not there.
    pub fn remove(&mut self, path: &[String]) -> bool {
        let Ok(mut doc) = self.text.parse::<DocumentMut>() else {
            return false;
        };
        let Some((last, parents)) = path.split_last() else {
            return false;
        };
        let mut table: &mut dyn TableLike = doc.as_table_mut();
        for seg in parents {
            match table.get_mut(seg).and_then(Item::as_table_like_mut) {
                Some(t) => table = t,
                None => return false,
            }
        }
        if table.remove(last).is_none() {
            return false;
        }
        self.text = doc.to_string();
        true
    }
}

/// The `ARREARS_<SECTION>__<KEY>` variables by the key path they set (lower case, as figment
/// reads them), and those taken out.
#[derive(Debug, Clone, Default)]
pub struct EnvOverrides {
    by_path: BTreeMap<Vec<String>, String>,
    /// Variable names (without `ARREARS_`) no longer read.
    pub excluded: BTreeSet<String>,
}

impl EnvOverrides {
    /// From `(name, value)` pairs: those named `<prefix><SECTION>__<KEY>`, except `skip`'s.
    pub fn new(
        vars: impl IntoIterator<Item = (String, String)>,
        prefix: &str,
        skip: &str,
    ) -> EnvOverrides {
        let mut by_path = BTreeMap::new();
        for (name, _) in vars {
            let Some(rest) = name.strip_prefix(prefix) else {
                continue;
            };
            if !rest.contains("__") || name.to_ascii_uppercase().starts_with(skip) {
                continue;
            }
            let path = rest
                .split("__")
                .map(|s| s.to_ascii_lowercase())
                .collect::<Vec<_>>();
            by_path.insert(path, name.clone());
        }
        EnvOverrides {
            by_path,
            excluded: BTreeSet::new(),
        }
    }

    /// The variable that sets exactly `path`.
    pub fn var(&self, path: &[String]) -> Option<&str> {
        self.by_path.get(path).map(String::as_str)
    }

    /// Stops reading the variable that sets `path` (or one under it); false if none does.
    pub fn remove(&mut self, path: &[String], prefix: &str) -> bool {
        let names: Vec<String> = self
            .by_path
            .iter()
            .filter(|(p, _)| p.starts_with(path))
            .map(|(_, n)| n[prefix.len()..].to_string())
            .filter(|n| !self.excluded.contains(n))
            .collect();
        let any = !names.is_empty();
        self.excluded.extend(names);
        any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Vec<String> {
        p.split('.').map(str::to_owned).collect()
    }

    #[test]
    fn keys_have_their_lines_and_can_be_taken_out() {
        let text = "# c\n[policy]\nletters_enabled = true\n\n[profiles.strict]\n  max_sms_7d = 2\n";
        let mut f = UserFile::parse("a.toml".into(), text.into()).unwrap();
        assert_eq!(f.position(&path("policy.letters_enabled")), Some((3, 1)));
        assert_eq!(
            f.position(&path("profiles.strict.max_sms_7d")),
            Some((6, 3))
        );
        assert!(f.has(&path("profiles.strict.max_sms_7d")));
        assert!(!f.has(&path("profiles.strict.nope")));
        assert!(f.remove(&path("profiles.strict.max_sms_7d")));
        assert!(!f.text.contains("max_sms_7d"));
        assert!(!f.remove(&path("scoring.x")));
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let e = UserFile::parse("a.toml".into(), "[policy]\nx = = 1\n".into()).unwrap_err();
        assert!(e.starts_with("a.toml:2:"), "{e}");
    }

    #[test]
    fn variables_map_to_paths() {
        let vars = [
            (
                "ARREARS_POLICY__DEFAULT_PROFILE".to_string(),
                "x".to_string(),
            ),
            ("ARREARS_KAFKA_PROPERTY__SASL".to_string(), "x".to_string()),
            ("ARREARS_LOG".to_string(), "x".to_string()),
        ];
        let mut e = EnvOverrides::new(vars, "ARREARS_", "ARREARS_KAFKA_PROPERTY__");
        assert_eq!(
            e.var(&path("policy.default_profile")),
            Some("ARREARS_POLICY__DEFAULT_PROFILE")
        );
        assert_eq!(e.var(&path("kafka_property.sasl")), None);
        assert!(e.remove(&path("policy.default_profile"), "ARREARS_"));
        assert!(e.excluded.contains("POLICY__DEFAULT_PROFILE"));
    }
}
