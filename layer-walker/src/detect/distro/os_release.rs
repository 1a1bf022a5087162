//! The `os-release` format (os-release(5)): newline-separated `KEY=VALUE` assignments in a
//! subset of shell syntax. Values may be unquoted, `"double"` or `'single'` quoted; inside
//! double quotes `\"`, `\\`, `\$` and `` \` `` are escapes. Comments start with `#`; lines
//! that are not assignments are ignored, as systemd's own reader does.

use std::collections::BTreeMap;

/// Parses an os-release (or lsb-release) body into its assignments. Later assignments of
/// the same key win, as they would in a shell.
pub fn parse(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        // Keys are shell variable names: reject anything else rather than guessing.
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        out.insert(key.to_string(), unquote(raw.trim()));
    }
    out
}

/// Undoes shell quoting of one value: concatenated quoted and unquoted pieces are joined
/// (`"a"'b'c` is `abc`), an unterminated quote runs to the end of the line.
fn unquote(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.peek() {
                            // only these are escapes inside double quotes (POSIX shell)
                            Some(&n @ ('"' | '\\' | '$' | '`')) => {
                                out.push(n);
                                chars.next();
                            }
                            _ => out.push('\\'),
                        },
                        _ => out.push(c),
                    }
                }
            }
            '\'' => {
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    out.push(c);
                }
            }
            '\\' => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            // an unquoted `#` after white space starts a comment; white space ends the word
            c if c.is_whitespace() => break,
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_escapes() {
        let m = parse(
            "A=plain\nB=\"double \\\"q\\\" \\\\ \\$x\"\nC='single \\n'\n# C=no\nD=\"unterminated\n\
             E=\"a\"'b'c\n  F = spaced \nbad line\n=novalue\nG-H=x\nI=\n",
        );
        assert_eq!(m["A"], "plain");
        assert_eq!(m["B"], "double \"q\" \\ $x");
        assert_eq!(m["C"], "single \\n");
        assert_eq!(m["D"], "unterminated");
        assert_eq!(m["E"], "abc");
        assert_eq!(m["F"], "spaced");
        assert_eq!(m["I"], "");
        assert!(!m.contains_key("G-H"));
        assert_eq!(m.len(), 7);
    }

    #[test]
    fn later_assignment_wins_and_crlf_is_tolerated() {
        let m = parse("ID=a\r\nID=b\r\n");
        assert_eq!(m["ID"], "b");
    }
}
