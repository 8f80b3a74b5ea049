//! The verify table: aligned columns, colour only on a terminal.
//!
//! Widths count characters, not bytes, so `≤` and `µ` do not break the alignment; colour
//! codes are added after padding so they never count toward a width.

use super::check::{Row, Status};

const HEADERS: [&str; 5] = ["Exercise", "Checked", "Expected", "Measured", "Result"];

/// Renders `rows` as an aligned table; with `color`, the verdicts are green or red.
///
/// ```
/// use xtask::verify::check::{Row, Status};
///
/// let row = Row {
///     exercise: "5.1".into(),
///     what: "polls".into(),
///     expected: "= 6".into(),
///     measured: "6".into(),
///     status: Status::Pass,
/// };
/// let text = xtask::verify::table::render(&[row], false);
/// assert!(text.lines().nth(2).unwrap().starts_with("5.1"));
/// assert!(text.trim_end().ends_with("PASS"));
/// ```
pub fn render(rows: &[Row], color: bool) -> String {
    let cells: Vec<[&str; 4]> = rows
        .iter()
        .map(|r| {
            [
                r.exercise.as_str(),
                r.what.as_str(),
                r.expected.as_str(),
                r.measured.as_str(),
            ]
        })
        .collect();
    let mut widths = [0usize; 4];
    for (i, w) in widths.iter_mut().enumerate() {
        *w = cells
            .iter()
            .map(|c| width(c[i]))
            .chain([width(HEADERS[i])])
            .max()
            .unwrap_or(0);
    }
    let mut out = String::new();
    let line = |out: &mut String, cols: [&str; 4], verdict: &str| {
        for (text, w) in cols.iter().zip(widths) {
            out.push_str(text);
            out.push_str(&" ".repeat(w - width(text) + 2));
        }
        out.push_str(verdict);
        out.push('\n');
    };
    line(
        &mut out,
        [HEADERS[0], HEADERS[1], HEADERS[2], HEADERS[3]],
        HEADERS[4],
    );
    let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
    line(&mut out, [&rule[0], &rule[1], &rule[2], &rule[3]], "──────");
    for (row, c) in rows.iter().zip(&cells) {
        line(&mut out, *c, &paint(row.status, color));
    }
    out
}

fn width(s: &str) -> usize {
    s.chars().count()
}

fn paint(status: Status, color: bool) -> String {
    let label = status.label();
    if !color {
        return label.to_owned();
    }
    let code = match status {
        Status::Pass => "32",
        Status::Fail => "1;31",
    };
    format!("\x1b[{code}m{label}\x1b[0m")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(ex: &str, what: &str, status: Status) -> Row {
        Row {
            exercise: ex.into(),
            what: what.into(),
            expected: "≤ 5 ms".into(),
            measured: "0.2 µs".into(),
            status,
        }
    }

    #[test]
    fn columns_line_up_and_colour_is_optional() {
        let rows = [
            row("5.1", "short", Status::Pass),
            row("5.10", "a longer check", Status::Fail),
        ];
        let plain = render(&rows, false);
        let lines: Vec<&str> = plain.lines().collect();
        let ends: Vec<usize> = lines.iter().map(|l| l.chars().count()).collect();
        assert_eq!(
            ends[2], ends[3],
            "PASS and FAIL start in the same column: {plain}"
        );
        assert!(!plain.contains('\x1b'));
        let coloured = render(&rows, true);
        assert!(coloured.contains("\x1b[32mPASS\x1b[0m"));
        assert!(coloured.contains("\x1b[1;31mFAIL\x1b[0m"));
    }
}
