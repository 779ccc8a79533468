//! PEtab's tab-separated tables: a header row naming the columns, one row
//! per entry. Every cell keeps its line and column for errors.

use crate::Error;
use std::path::Path;

/// A table read from a TSV file.
#[derive(Clone, Debug)]
pub(super) struct Table {
    /// The files read (several when a table is split over files).
    files: Vec<String>,
    header: Vec<String>,
    /// Each row's file (index into `files`), 1-based line number and
    /// cells.
    rows: Vec<(usize, usize, Vec<Cell>)>,
}

/// A cell's 1-based column and text.
type Cell = (usize, String);

/// One row of a table.
#[derive(Clone, Copy)]
pub(super) struct Row<'a> {
    table: &'a Table,
    index: usize,
}

impl Table {
    /// Read and split a TSV file; `required` columns must be in its header.
    pub fn read(path: &Path, required: &[&str]) -> Result<Table, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Table::parse(&path.display().to_string(), &text, required)
    }

    /// Split the text of a TSV file.
    pub fn parse(file: &str, text: &str, required: &[&str]) -> Result<Table, Error> {
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l)).filter(|(_, l)| !l.trim().is_empty());
        let split = |line: &str| -> Vec<Cell> {
            let mut column = 1;
            line.split('\t')
                .map(|cell| {
                    let at = column;
                    column += cell.chars().count() + 1;
                    let cell = cell.trim();
                    let cell = cell.strip_prefix('"').and_then(|c| c.strip_suffix('"')).unwrap_or(cell);
                    (at, cell.to_string())
                })
                .collect()
        };
        let header: Vec<String> = match lines.next() {
            Some((_, l)) => split(l.trim_start_matches('\u{feff}')).into_iter().map(|c| c.1).collect(),
            None => Vec::new(),
        };
        let mut table = Table { files: vec![file.to_string()], header, rows: Vec::new() };
        for (k, name) in table.header.iter().enumerate() {
            if table.header[..k].contains(name) {
                return Err(table.error_at(1, 1, format!("column `{name}` appears twice")));
            }
        }
        for name in required {
            if table.column(name).is_none() {
                return Err(table.error_at(1, 1, format!("no column `{name}`")));
            }
        }
        for (line, text) in lines {
            let mut cells = split(text);
            let n = table.header.len();
            // A row may end early (its missing cells are empty, as pandas
            // and PEtab's own tools read them) or carry empty cells past
            // the last column; a value past the last column is an error.
            if let Some((at, cell)) = cells.iter().skip(n).find(|c| !c.1.is_empty()) {
                let reason = format!("`{cell}` past the table's {n} columns");
                return Err(table.error_at(line, *at, reason));
            }
            cells.truncate(n);
            while cells.len() < n {
                let at = cells.last().map_or(1, |c| c.0 + c.1.chars().count() + 1);
                cells.push((at, String::new()));
            }
            table.rows.push((0, line, cells));
        }
        Ok(table)
    }

    /// The index of a column, if present.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// The column names.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The rows, in file order.
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        (0..self.rows.len()).map(move |index| Row { table: self, index })
    }

    /// Rows of another table of the same kind appended (PEtab allows
    /// several files per table); their headers must hold this one's
    /// required columns, extra columns are kept by name.
    pub fn append(tables: Vec<Table>) -> Option<Table> {
        let mut it = tables.into_iter();
        let mut first = it.next()?;
        for t in it {
            let file = first.files.len();
            first.files.extend(t.files);
            for (_, line, cells) in t.rows {
                let mut row = vec![(1, String::new()); first.header.len()];
                for (k, name) in t.header.iter().enumerate() {
                    match first.column(name) {
                        Some(c) => row[c] = cells[k].clone(),
                        None => {
                            first.header.push(name.clone());
                            first.rows.iter_mut().for_each(|r| r.2.push((1, String::new())));
                            row.push(cells[k].clone());
                        }
                    }
                }
                first.rows.push((file, line, row));
            }
        }
        Some(first)
    }

    fn error_at(&self, line: usize, column: usize, reason: impl Into<String>) -> Error {
        Error::Parse { file: self.files[0].clone(), line, column, reason: reason.into() }
    }
}

impl<'a> Row<'a> {
    /// The row's 1-based line in its file.
    pub fn line(&self) -> usize {
        self.table.rows[self.index].1
    }

    /// The file the row is in.
    pub fn file(&self) -> &'a str {
        &self.table.files[self.table.rows[self.index].0]
    }

    /// The cell in column `name` (empty if the table has no such column).
    pub fn get(&self, name: &str) -> &'a str {
        self.table.column(name).map_or("", |c| self.table.rows[self.index].2[c].1.as_str())
    }

    /// The cell in column index `c`.
    pub fn cell(&self, c: usize) -> &'a str {
        &self.table.rows[self.index].2[c].1
    }

    /// An error at the cell in column `name`.
    pub fn error(&self, name: &str, reason: impl Into<String>) -> Error {
        let column = self.table.column(name).map_or(1, |c| self.table.rows[self.index].2[c].0);
        let reason = format!("{name}: {}", reason.into());
        Error::Parse { file: self.file().to_string(), line: self.line(), column, reason }
    }

    /// A required, non-empty cell.
    pub fn text(&self, name: &str) -> Result<&'a str, Error> {
        match self.get(name) {
            "" => Err(self.error(name, "empty")),
            v => Ok(v),
        }
    }

    /// A number cell (PEtab writes `inf`, `-inf` and `nan` as pandas does).
    pub fn number(&self, name: &str) -> Result<f64, Error> {
        let v = self.text(name)?;
        parse_number(v).ok_or_else(|| self.error(name, format!("`{v}` is not a number")))
    }
}

/// A number as PEtab's tables write it (also `inf`, `-inf`, `nan` in any case).
pub(super) fn parse_number(v: &str) -> Option<f64> {
    match v.to_ascii_lowercase().as_str() {
        "inf" | "+inf" | "infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        "nan" => Some(f64::NAN),
        _ => v.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_keep_their_lines_and_columns() {
        let t = Table::parse("m.tsv", "a\tbb\tc\n\n1\t\"x\"\t3.5\n", &["a", "c"]).unwrap();
        let row = t.rows().next().unwrap();
        assert_eq!((row.line(), row.get("bb"), row.number("c").unwrap()), (3, "x", 3.5));
        let e = row.number("bb").unwrap_err().to_string();
        assert!(e.contains("m.tsv:3:3") && e.contains("`x` is not a number"), "{e}");
        assert_eq!(parse_number("-Inf"), Some(f64::NEG_INFINITY));
    }

    #[test]
    fn short_rows_end_in_empty_cells() {
        let t = Table::parse("m.tsv", "a\tb\tc\n1\n2\t\t3\t\t\n", &["a"]).unwrap();
        let rows: Vec<_> = t.rows().map(|r| (r.get("a"), r.get("b"), r.get("c"))).collect();
        assert_eq!(rows, [("1", "", ""), ("2", "", "3")]);
    }

    #[test]
    fn malformed_tables_are_errors() {
        let missing = Table::parse("m.tsv", "a\tb\n1\t2\n", &["c"]).unwrap_err().to_string();
        assert!(missing.contains("m.tsv:1:1") && missing.contains("no column `c`"), "{missing}");
        let ragged = Table::parse("m.tsv", "a\tb\n1\t2\t\t3\n", &[]).unwrap_err().to_string();
        assert!(ragged.contains("m.tsv:2:6") && ragged.contains("`3` past the table's 2 columns"), "{ragged}");
        let twice = Table::parse("m.tsv", "a\ta\n", &[]).unwrap_err().to_string();
        assert!(twice.contains("appears twice"), "{twice}");
    }
}
