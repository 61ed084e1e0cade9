//! Reading a CSV with a header into a [`Table`]: numeric columns as one row-major `f64` ndarray
//! (NaN = missing), a few columns kept as text (e.g. a date column used for a time split).
//!
//! Parsing uses the `csv` crate's `ByteRecord` (no per-cell allocation). Empty cells, `NA`, `N/A`,
//! `NaN` (any case) and `null` are missing values; any other cell that is not a finite number is an
//! error naming its row, column and value, unless the column is excluded.

use std::io::Read;
use std::path::Path;

use ndarray::{Array2, ArrayView1, Axis};

use super::error::TrainError;
use super::progress::progress_bar;

/// Which columns to read, and how.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Columns not read at all (ids, other labels, free text). Naming a column the file does not
    /// have is an error.
    pub exclude: Vec<String>,
    /// Columns kept as text (e.g. a date column for the time split); they take precedence over
    /// `exclude`.
    pub text: Vec<String>,
    /// When given, only these numeric columns are read (plus `text` and `target`); the others are
    /// ignored. A listed column the file lacks is an error.
    pub only: Option<Vec<String>>,
    /// The 0/1 label column: checked while reading (a missing or non-0/1 value is an error).
    pub target: Option<String>,
}

/// A table read from CSV: numeric columns (row-major, NaN = missing) and text columns.
#[derive(Debug, Clone)]
pub struct Table {
    names: Vec<String>,
    data: Array2<f64>,
    text: Vec<(String, Vec<String>)>,
    source: String,
}

impl Table {
    /// A table from numeric columns in row-major order (`data` is rows × `names.len()`).
    pub fn new(names: Vec<String>, data: Array2<f64>) -> Result<Table, TrainError> {
        if data.ncols() != names.len() {
            return Err(TrainError::Shape {
                detail: format!(
                    "{} column names for a matrix with {} columns",
                    names.len(),
                    data.ncols()
                ),
            });
        }
        check_duplicates(names.iter().map(String::as_str))?;
        Ok(Table {
            names,
            data: data.as_standard_layout().into_owned(),
            text: Vec::new(),
            source: String::new(),
        })
    }

    /// Adds a text column (one value per row).
    pub fn with_text(
        mut self,
        name: impl Into<String>,
        values: Vec<String>,
    ) -> Result<Table, TrainError> {
        let name = name.into();
        if values.len() != self.rows() {
            return Err(TrainError::Shape {
                detail: format!(
                    "text column {name} has {} values for {} rows",
                    values.len(),
                    self.rows()
                ),
            });
        }
        if self.names.contains(&name) || self.text.iter().any(|(n, _)| *n == name) {
            return Err(TrainError::DuplicateColumn { column: name });
        }
        self.text.push((name, values));
        Ok(self)
    }

    /// Reads a CSV file; `progress` shows a bar on stderr (hidden when it is not a terminal).
    pub fn read(path: &Path, opts: &ReadOptions, progress: bool) -> Result<Table, TrainError> {
        let file = std::fs::File::open(path).map_err(|source| TrainError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut t = Table::from_reader(file, &path.display().to_string(), len, opts, progress)?;
        t.source = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(t)
    }

    /// Reads CSV from any reader; `source` names it in errors, `len_hint` (bytes, 0 if unknown)
    /// sizes the progress bar and the initial allocation.
    pub fn from_reader<R: Read>(
        reader: R,
        source: &str,
        len_hint: u64,
        opts: &ReadOptions,
        progress: bool,
    ) -> Result<Table, TrainError> {
        let mut rdr = ::csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .buffer_capacity(1 << 20)
            .from_reader(reader);
        let csv_err = |e: ::csv::Error| TrainError::Csv {
            path: source.to_string(),
            detail: e.to_string(),
        };
        let header: Vec<String> = rdr
            .byte_headers()
            .map_err(csv_err)?
            .iter()
            .map(|h| String::from_utf8_lossy(h).trim().to_string())
            .collect();
        if header.is_empty() || header.iter().all(String::is_empty) {
            return Err(TrainError::TooFewRows {
                part: "input (no header)".into(),
                rows: 0,
                min: super::error::MIN_ROWS,
            });
        }
        check_duplicates(header.iter().map(String::as_str))?;
        let has = |n: &str| header.iter().any(|h| h == n);

        if let Some(t) = &opts.target {
            if !has(t) {
                return Err(TrainError::MissingTarget {
                    target: t.clone(),
                    columns: header.clone(),
                });
            }
        }
        let mut unknown: Vec<String> = opts
            .exclude
            .iter()
            .chain(&opts.text)
            .filter(|n| !has(n))
            .cloned()
            .collect();
        unknown.dedup();
        if !unknown.is_empty() {
            return Err(TrainError::UnknownColumns {
                what: "--exclude / --time-column name".into(),
                missing: unknown,
                columns: header.clone(),
            });
        }
        if let Some(only) = &opts.only {
            let missing: Vec<String> = only.iter().filter(|n| !has(n)).cloned().collect();
            if !missing.is_empty() {
                return Err(TrainError::UnknownColumns {
                    what: "columns the model needs".into(),
                    missing,
                    columns: header.clone(),
                });
            }
        }

        // What to do with each CSV field.
        #[derive(Clone, Copy, PartialEq)]
        enum Slot {
            Skip,
            Num(usize),
            Target(usize),
            Text(usize),
        }
        let mut slots = Vec::with_capacity(header.len());
        let mut names = Vec::new();
        let mut text: Vec<(String, Vec<String>)> = Vec::new();
        for h in &header {
            let slot = if opts.text.contains(h) {
                text.push((h.clone(), Vec::new()));
                Slot::Text(text.len() - 1)
            } else if opts.target.as_deref() == Some(h.as_str()) {
                names.push(h.clone());
                Slot::Target(names.len() - 1)
            } else if opts.exclude.contains(h) || opts.only.as_ref().is_some_and(|o| !o.contains(h))
            {
                Slot::Skip
            } else {
                names.push(h.clone());
                Slot::Num(names.len() - 1)
            };
            slots.push(slot);
        }
        let ncols = names.len();

        let bar = progress_bar(progress, len_hint, "reading");
        let mut data: Vec<f64> = Vec::new();
        let mut record = ::csv::ByteRecord::new();
        let mut rows: u64 = 0;
        let mut row_buf = vec![f64::NAN; ncols];
        loop {
            match rdr.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => return Err(csv_err(e)),
            }
            rows += 1;
            if rows == 1024 && len_hint > 0 {
                // Estimate the row count from the bytes read so far and reserve once.
                let bytes = record.position().map_or(0, |p| p.byte()).max(1);
                let est = (len_hint as f64 / bytes as f64 * 1024.0 * 1.05) as usize;
                data.reserve(est.saturating_mul(ncols).saturating_sub(data.len()));
            }
            for (field, slot) in record.iter().zip(&slots) {
                match *slot {
                    Slot::Skip => {}
                    Slot::Num(j) => {
                        row_buf[j] = parse_cell(field).ok_or_else(|| TrainError::NonNumeric {
                            row: rows,
                            line: line_of(&record, rows),
                            column: names[j].clone(),
                            value: truncate(field),
                        })?;
                    }
                    Slot::Target(j) => {
                        row_buf[j] = match parse_cell(field) {
                            Some(v) if v == 0.0 || v == 1.0 => v,
                            _ => {
                                return Err(TrainError::BadTarget {
                                    row: rows,
                                    line: line_of(&record, rows),
                                    column: names[j].clone(),
                                    value: truncate(field),
                                })
                            }
                        };
                    }
                    Slot::Text(k) => text[k].1.push(String::from_utf8_lossy(field).into_owned()),
                }
            }
            data.extend_from_slice(&row_buf);
            if rows.is_multiple_of(65_536) {
                bar.set_position(record.position().map_or(0, |p| p.byte()));
            }
        }
        bar.finish_and_clear();
        let data = Array2::from_shape_vec((rows as usize, ncols), data).map_err(|e| {
            TrainError::Shape {
                detail: e.to_string(),
            }
        })?;
        Ok(Table {
            names,
            data,
            text,
            source: source.to_string(),
        })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.data.nrows()
    }

    /// Names of the numeric columns, in file order.
    pub fn columns(&self) -> &[String] {
        &self.names
    }

    /// Every column name, numeric and text.
    pub fn all_columns(&self) -> Vec<String> {
        self.names
            .iter()
            .cloned()
            .chain(self.text.iter().map(|(n, _)| n.clone()))
            .collect()
    }

    /// Index of a numeric column.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// A numeric column (strided view into the row-major matrix).
    pub fn column(&self, j: usize) -> ArrayView1<'_, f64> {
        self.data.index_axis(Axis(1), j)
    }

    /// The numeric data, rows × columns, row-major, NaN = missing.
    pub fn data(&self) -> &Array2<f64> {
        &self.data
    }

    /// A text column's values.
    pub fn text_column(&self, name: &str) -> Option<&[String]> {
        self.text
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// The file name the table was read from (empty when built in memory).
    pub fn source(&self) -> &str {
        &self.source
    }
}

fn line_of(record: &::csv::ByteRecord, row: u64) -> u64 {
    record.position().map_or(row + 1, |p| p.line())
}

fn check_duplicates<'a>(names: impl Iterator<Item = &'a str>) -> Result<(), TrainError> {
    let mut seen: Vec<&str> = names.collect();
    seen.sort_unstable();
    if let Some(w) = seen.windows(2).find(|w| w[0] == w[1]) {
        return Err(TrainError::DuplicateColumn {
            column: w[0].to_string(),
        });
    }
    Ok(())
}

/// A cell as a number: `Some(NaN)` for a missing value, `None` when it is not a finite number.
pub fn parse_cell(field: &[u8]) -> Option<f64> {
    let s = field.trim_ascii();
    if s.is_empty()
        || s.eq_ignore_ascii_case(b"na")
        || s.eq_ignore_ascii_case(b"nan")
        || s.eq_ignore_ascii_case(b"n/a")
        || s.eq_ignore_ascii_case(b"null")
    {
        return Some(f64::NAN);
    }
    // Only digits, signs, '.', 'e'/'E' can make a finite number; this rejects "inf" and "infinity".
    if !s
        .iter()
        .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
    {
        return None;
    }
    let s = std::str::from_utf8(s).ok()?;
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A cell's text for an error message, at most 40 characters.
fn truncate(field: &[u8]) -> String {
    let s = String::from_utf8_lossy(field);
    if s.chars().count() > 40 {
        let mut t: String = s.chars().take(40).collect();
        t.push('…');
        t
    } else {
        s.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, opts: &ReadOptions) -> Result<Table, TrainError> {
        Table::from_reader(text.as_bytes(), "t.csv", 0, opts, false)
    }

    #[test]
    fn cells() {
        assert_eq!(parse_cell(b" 1.5 "), Some(1.5));
        assert_eq!(parse_cell(b"-2e3"), Some(-2000.0));
        for m in [&b""[..], b"NA", b"nan", b"NaN", b" ", b"null"] {
            assert!(parse_cell(m).unwrap().is_nan());
        }
        for bad in [&b"abc"[..], b"inf", b"1,5", b"1e999", b"--1"] {
            assert_eq!(parse_cell(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn reads_numeric_text_and_excluded() {
        let opts = ReadOptions {
            exclude: vec!["id".into()],
            text: vec!["day".into()],
            target: Some("y".into()),
            ..Default::default()
        };
        let t = read("id,day,x,y\nA,2026-01-02,1.5,1\nB,2026-01-01,NA,0\n", &opts).unwrap();
        assert_eq!(t.columns(), &["x".to_string(), "y".to_string()]);
        assert_eq!(t.rows(), 2);
        assert_eq!(t.data()[[0, 0]], 1.5);
        assert!(t.data()[[1, 0]].is_nan());
        assert_eq!(t.text_column("day").unwrap()[1], "2026-01-01");
    }

    #[test]
    fn errors_name_row_column_value() {
        let opts = ReadOptions::default();
        let e = read("a,b\n1,2\n3,oops\n", &opts).unwrap_err();
        match e {
            TrainError::NonNumeric {
                row, column, value, ..
            } => {
                assert_eq!((row, column.as_str(), value.as_str()), (2, "b", "oops"));
            }
            other => panic!("{other}"),
        }
        let long = "x".repeat(100);
        let e = read(&format!("a\n{long}\n"), &opts).unwrap_err();
        assert!(e.to_string().contains('…'));
        assert!(matches!(
            read("a,a\n1,2\n", &opts),
            Err(TrainError::DuplicateColumn { .. })
        ));
        let only = ReadOptions {
            only: Some(vec!["zz".into()]),
            ..Default::default()
        };
        assert!(read("a\n1\n", &only)
            .unwrap_err()
            .to_string()
            .contains("zz"));
    }
}
