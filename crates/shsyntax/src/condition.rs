//! `test` and `[`: the conditions `if` and `while` usually ask.
//!
//! `test` is a utility, not syntax, but every script leans on it (`if [ -f "$f" ]`), so the shell
//! has it built in and the rules live here, tested on the host. The file questions go to the
//! shell through a `stat` function, as pathname expansion's directory listings do.
//!
//! POSIX decides by the number of arguments first (XCU `test`), which is what keeps `[ "$x" ]`
//! right when `$x` is `-n` or `!`: one argument is true if it is not empty, whatever it is; two
//! are `! arg` or a unary question; three are a binary comparison, `! a b`, or `( a )`; four are
//! `! a op b` or `( a b )`. Beyond four, the XSI operators `-a` and `-o` and parentheses build
//! larger expressions, `-a` binding tighter.

use alloc::format;
use alloc::string::String;

/// What `stat` says about a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileInfo {
    /// Its kind.
    pub kind: FileKind,
    /// Its size in bytes.
    pub size: u64,
    /// Its permission bits (`0o755`).
    pub mode: u32,
}

/// The kinds of file `test` tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    Regular,
    /// A directory.
    Directory,
    /// A device, a pipe or anything else.
    Other,
}

/// Why a `test` expression has no answer (exit status 2): the message.
pub type Error = String;

/// How deeply `!` and parentheses may nest.
const MAX_NESTING: usize = 64;

/// The unary questions.
const UNARY: [&str; 10] = ["-n", "-z", "-e", "-f", "-d", "-r", "-w", "-x", "-s", "-c"];
/// The binary comparisons.
const BINARY: [&str; 9] = ["=", "!=", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", "=="];

/// Evaluates `test ARGS...`; `stat` answers for a path, or `None` if there is nothing there.
pub fn evaluate(args: &[&str], stat: &dyn Fn(&str) -> Option<FileInfo>) -> Result<bool, Error> {
    let eval = Evaluator { stat };
    match args {
        [] => Ok(false),
        [one] => Ok(!one.is_empty()),
        ["!", one] => Ok(one.is_empty()),
        [op, operand] if UNARY.contains(op) => eval.unary(op, operand),
        [_, _] => Err(format!("{}: unary operator expected", args[0])),
        [a, op, b] if BINARY.contains(op) => eval.binary(a, op, b),
        ["!", a, b] => Ok(!evaluate(&[a, b], stat)?),
        ["(", inner, ")"] => Ok(!inner.is_empty()),
        [a, "-a", b] => Ok(!a.is_empty() && !b.is_empty()),
        [a, "-o", b] => Ok(!a.is_empty() || !b.is_empty()),
        [_, op, _] => Err(format!("{op}: binary operator expected")),
        ["!", rest @ ..] if rest.len() == 3 => Ok(!evaluate(rest, stat)?),
        ["(", a, b, ")"] => evaluate(&[a, b], stat),
        _ => {
            let mut parser = Parser {
                args,
                at: 0,
                eval,
                depth: 0,
            };
            let value = parser.or()?;
            match parser.args.get(parser.at) {
                None => Ok(value),
                Some(extra) => Err(format!("{extra}: unexpected argument")),
            }
        }
    }
}

struct Evaluator<'a> {
    stat: &'a dyn Fn(&str) -> Option<FileInfo>,
}

impl Evaluator<'_> {
    fn unary(&self, op: &str, operand: &str) -> Result<bool, Error> {
        let file = || (self.stat)(operand);
        Ok(match op {
            "-n" => !operand.is_empty(),
            "-z" => operand.is_empty(),
            "-e" => file().is_some(),
            "-f" => file().is_some_and(|f| f.kind == FileKind::Regular),
            "-d" => file().is_some_and(|f| f.kind == FileKind::Directory),
            "-c" => file().is_some_and(|f| f.kind == FileKind::Other),
            "-s" => file().is_some_and(|f| f.size > 0),
            // Programs run as root here, as on a system with one user: anything that exists
            // can be read and written, and run if some execute bit is set.
            "-r" | "-w" => file().is_some(),
            "-x" => file().is_some_and(|f| f.mode & 0o111 != 0),
            _ => return Err(format!("{op}: unary operator expected")),
        })
    }

    fn binary(&self, a: &str, op: &str, b: &str) -> Result<bool, Error> {
        if matches!(op, "=" | "==") {
            return Ok(a == b);
        }
        if op == "!=" {
            return Ok(a != b);
        }
        let (x, y) = (integer(a)?, integer(b)?);
        Ok(match op {
            "-eq" => x == y,
            "-ne" => x != y,
            "-lt" => x < y,
            "-le" => x <= y,
            "-gt" => x > y,
            "-ge" => x >= y,
            _ => return Err(format!("{op}: binary operator expected")),
        })
    }
}

/// An integer operand, blanks around it allowed.
fn integer(text: &str) -> Result<i64, Error> {
    text.trim()
        .parse()
        .map_err(|_| format!("{text}: integer expression expected"))
}

/// The expression grammar for more than four arguments.
struct Parser<'a> {
    args: &'a [&'a str],
    at: usize,
    eval: Evaluator<'a>,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a str> {
        self.args.get(self.at).copied()
    }

    fn or(&mut self) -> Result<bool, Error> {
        let mut value = self.and()?;
        while self.peek() == Some("-o") {
            self.at += 1;
            let right = self.and()?;
            value = value || right;
        }
        Ok(value)
    }

    fn and(&mut self) -> Result<bool, Error> {
        let mut value = self.not()?;
        while self.peek() == Some("-a") {
            self.at += 1;
            let right = self.not()?;
            value = value && right;
        }
        Ok(value)
    }

    fn not(&mut self) -> Result<bool, Error> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(String::from("expression nested too deeply"));
        }
        let value = if self.peek() == Some("!") {
            self.at += 1;
            !self.not()?
        } else {
            self.primary()?
        };
        self.depth -= 1;
        Ok(value)
    }

    fn primary(&mut self) -> Result<bool, Error> {
        let Some(first) = self.peek() else {
            return Err(String::from("argument expected"));
        };
        if first == "(" {
            self.at += 1;
            let value = self.or()?;
            if self.peek() != Some(")") {
                return Err(String::from("')' expected"));
            }
            self.at += 1;
            return Ok(value);
        }
        if let Some(op) = self.args.get(self.at + 1).filter(|op| BINARY.contains(op)) {
            let b = self
                .args
                .get(self.at + 2)
                .ok_or_else(|| format!("{op}: argument expected"))?;
            self.at += 3;
            return self.eval.binary(first, op, b);
        }
        if UNARY.contains(&first) {
            let operand = self
                .args
                .get(self.at + 1)
                .ok_or_else(|| format!("{first}: argument expected"))?;
            self.at += 2;
            return self.eval.unary(first, operand);
        }
        self.at += 1;
        Ok(!first.is_empty())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    fn stat(path: &str) -> Option<FileInfo> {
        match path {
            "/bin/ls" => Some(FileInfo {
                kind: FileKind::Regular,
                size: 100,
                mode: 0o755,
            }),
            "/empty" => Some(FileInfo {
                kind: FileKind::Regular,
                size: 0,
                mode: 0o644,
            }),
            "/tmp" => Some(FileInfo {
                kind: FileKind::Directory,
                size: 0,
                mode: 0o777,
            }),
            _ => None,
        }
    }

    fn test(args: &[&str]) -> Result<bool, Error> {
        evaluate(args, &stat)
    }

    #[test]
    fn posix_decides_by_the_number_of_arguments() {
        assert_eq!(test(&[]), Ok(false));
        assert_eq!(test(&[""]), Ok(false));
        assert_eq!(test(&["-n"]), Ok(true), "one argument: is it empty");
        assert_eq!(test(&["!"]), Ok(true));
        assert_eq!(test(&["!", ""]), Ok(true));
        assert_eq!(test(&["-z", ""]), Ok(true));
        assert_eq!(test(&["a", "=", "a"]), Ok(true));
        assert_eq!(test(&["!", "a", "=", "b"]), Ok(true));
        assert_eq!(test(&["(", "x", ")"]), Ok(true));
        assert_eq!(
            test(&["-n", "=", "-n"]),
            Ok(true),
            "three: a binary operator wins"
        );
    }

    #[test]
    fn integers_and_strings() {
        assert_eq!(test(&["10", "-gt", "9"]), Ok(true));
        assert_eq!(
            test(&["10", ">", "9"]).unwrap_err(),
            ">: binary operator expected"
        );
        assert_eq!(test(&["2", "-le", "2"]), Ok(true));
        assert_eq!(test(&["a", "!=", "b"]), Ok(true));
        assert_eq!(
            test(&["x", "-eq", "1"]),
            Err(String::from("x: integer expression expected"))
        );
    }

    #[test]
    fn files() {
        assert_eq!(test(&["-f", "/bin/ls"]), Ok(true));
        assert_eq!(test(&["-d", "/bin/ls"]), Ok(false));
        assert_eq!(test(&["-d", "/tmp"]), Ok(true));
        assert_eq!(test(&["-e", "/nothing"]), Ok(false));
        assert_eq!(test(&["-s", "/empty"]), Ok(false));
        assert_eq!(test(&["-x", "/bin/ls"]), Ok(true));
        assert_eq!(test(&["-x", "/empty"]), Ok(false));
    }

    #[test]
    fn longer_expressions_with_and_or_and_parentheses() {
        assert_eq!(test(&["-f", "/bin/ls", "-a", "-d", "/tmp"]), Ok(true));
        assert_eq!(test(&["-f", "/tmp", "-o", "a", "=", "a"]), Ok(true));
        assert_eq!(test(&["!", "(", "a", "=", "b", ")", "-a", "x"]), Ok(true));
        assert_eq!(
            test(&["a", "=", "a", "-o", "x", "-a", ""]),
            Ok(true),
            "-a binds tighter"
        );
        assert!(test(&["(", "a", "=", "a", "-a", "x"]).is_err());
    }
}
