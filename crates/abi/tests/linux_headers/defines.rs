//! A deliberately small reader of `#define NAME VALUE` lines, enough for the Linux UAPI headers.
//!
//! It understands integer literals (decimal, `0x` hex, `0` octal, with `U`/`L` suffixes),
//! references to other names, parentheses and the operators `+ - | & << >> ~`. Anything else
//! (function-like macros, casts, strings) is left unevaluated, so a check of such a name fails
//! with "not found" rather than passing on a guess. Conditionals (`#ifdef`) are ignored: the first
//! definition of a name wins, which is right for every header this test reads.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

/// The `#define`s of one or more headers, as unevaluated text by name.
pub struct Defines {
    /// Macro name to its replacement text; the first definition wins.
    text: HashMap<String, String>,
    /// The files read, for messages.
    files: Vec<String>,
}

impl Defines {
    /// Reads `paths` (relative to /usr/include), which `package` installs; panics with the
    /// install command if one is missing.
    pub fn load(package: &str, paths: &[&str]) -> Defines {
        let mut defines = Defines {
            text: HashMap::new(),
            files: Vec::new(),
        };
        for relative in paths {
            let path = Path::new("/usr/include").join(relative);
            let source = fs::read_to_string(&path).unwrap_or_else(|error| {
                panic!(
                    "cannot read {} ({error}); the ABI test needs the real header, \
                     install it with: sudo apt-get install {package}",
                    path.display()
                )
            });
            defines.add(&source);
            defines.files.push(path.display().to_string());
        }
        defines
    }

    /// Records the object-like macros of `source`.
    pub fn add(&mut self, source: &str) {
        let source = strip_comments(source).replace("\\\n", " ");
        for line in source.lines() {
            let Some(rest) = line.trim_start().strip_prefix('#') else {
                continue;
            };
            let Some(rest) = rest.trim_start().strip_prefix("define") else {
                continue;
            };
            if !rest.starts_with([' ', '\t']) {
                continue;
            }
            let rest = rest.trim_start();
            let name_len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let (name, body) = rest.split_at(name_len);
            if name.is_empty() || body.starts_with('(') {
                continue; // function-like macro
            }
            self.text
                .entry(name.to_string())
                .or_insert_with(|| body.trim().to_string());
        }
    }

    /// Adds the headers `paths` of `package` to these, as [`Defines::load`] reads them.
    pub fn and_load(mut self, package: &str, paths: &[&str]) -> Defines {
        let more = Defines::load(package, paths);
        for (name, text) in more.text {
            self.text.entry(name).or_insert(text);
        }
        self.files.extend(more.files);
        self
    }

    /// The value of macro `name`, if it is defined and its text is an expression this reader
    /// understands.
    pub fn value(&self, name: &str) -> Option<i128> {
        self.evaluate(name, 0)
    }

    fn evaluate(&self, name: &str, depth: u32) -> Option<i128> {
        // Deep enough for real alias chains; stops self-references such as glibc's
        // `#define DT_DIR DT_DIR`.
        if depth > 16 {
            return None;
        }
        let tokens = tokenize(self.text.get(name)?)?;
        let mut parser = Parser {
            tokens: &tokens,
            next: 0,
            defines: self,
            depth,
        };
        let value = parser.or()?;
        (parser.next == tokens.len()).then_some(value)
    }

    /// The names defined with prefix `prefix`, with their values where they evaluate.
    pub fn with_prefix(&self, prefix: &str) -> Vec<(String, Option<i128>)> {
        let mut found: Vec<_> = self
            .text
            .keys()
            .filter(|name| name.starts_with(prefix))
            .map(|name| (name.clone(), self.value(name)))
            .collect();
        found.sort();
        found
    }

    /// Compares each (name, crate value) with the headers; panics listing every difference.
    pub fn check(&self, expected: &[(&str, i128)]) {
        let problems: Vec<String> = expected
            .iter()
            .filter_map(|&(name, ours)| match self.value(name) {
                Some(theirs) if theirs == ours => None,
                Some(theirs) => Some(format!("{name}: crate has {ours:#x}, header {theirs:#x}")),
                None => Some(format!(
                    "{name}: not found (or not a plain value) in the header"
                )),
            })
            .collect();
        assert!(
            problems.is_empty(),
            "in {:?}:\n{}",
            self.files,
            problems.join("\n")
        );
    }
}

/// `source` with each `/* */` or `//` comment replaced by one space, as the C preprocessor
/// does (so a comment that spans lines inside a `#define` does not end it).
fn strip_comments(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    loop {
        let block = rest.find("/*");
        let line = rest.find("//");
        match (block, line) {
            (Some(b), l) if l.is_none_or(|l| b < l) => {
                out.push_str(&rest[..b]);
                out.push(' ');
                let end = rest[b + 2..]
                    .find("*/")
                    .map_or(rest.len(), |e| b + 2 + e + 2);
                rest = &rest[end..];
            }
            (_, Some(l)) => {
                out.push_str(&rest[..l]);
                rest = &rest[l..];
                rest = &rest[rest.find('\n').unwrap_or(rest.len())..];
            }
            (_, None) => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

/// One token of a macro body.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(i128),
    Name(String),
    Operator(&'static str),
}

/// Splits `text` into tokens, or `None` if it holds anything this reader does not know.
fn tokenize(text: &str) -> Option<Vec<Token>> {
    const OPERATORS: [&str; 9] = ["<<", ">>", "+", "-", "|", "&", "~", "(", ")"];
    let mut tokens = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        if let Some(&op) = OPERATORS.iter().find(|op| rest.starts_with(**op)) {
            tokens.push(Token::Operator(op));
            rest = &rest[op.len()..];
        } else {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if end == 0 {
                return None; // a character no expression here uses: a cast, a string, ...
            }
            let word = &rest[..end];
            tokens.push(if word.as_bytes()[0].is_ascii_digit() {
                Token::Number(parse_literal(word)?)
            } else {
                Token::Name(word.to_string())
            });
            rest = &rest[end..];
        }
        rest = rest.trim_start();
    }
    Some(tokens)
}

/// A C integer literal: `0x1f`, `0755` (octal), `42`, with any `u`/`l` suffix.
fn parse_literal(word: &str) -> Option<i128> {
    let digits = word.trim_end_matches(['u', 'U', 'l', 'L']);
    if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        i128::from_str_radix(hex, 16).ok()
    } else if digits.len() > 1 && digits.starts_with('0') {
        i128::from_str_radix(&digits[1..], 8).ok()
    } else {
        digits.parse().ok()
    }
}

/// Recursive descent over C's precedence: `|` < `&` < shifts < `+ -` < unary.
struct Parser<'a> {
    tokens: &'a [Token],
    next: usize,
    defines: &'a Defines,
    depth: u32,
}

impl Parser<'_> {
    /// Consumes the next token if it is operator `op`.
    fn eat(&mut self, op: &str) -> bool {
        let found = matches!(self.tokens.get(self.next), Some(Token::Operator(o)) if *o == op);
        if found {
            self.next += 1;
        }
        found
    }

    fn or(&mut self) -> Option<i128> {
        let mut value = self.and()?;
        while self.eat("|") {
            value |= self.and()?;
        }
        Some(value)
    }

    fn and(&mut self) -> Option<i128> {
        let mut value = self.shift()?;
        while self.eat("&") {
            value &= self.shift()?;
        }
        Some(value)
    }

    fn shift(&mut self) -> Option<i128> {
        let mut value = self.sum()?;
        loop {
            if self.eat("<<") {
                value = value.checked_shl(u32::try_from(self.sum()?).ok()?)?;
            } else if self.eat(">>") {
                value = value.checked_shr(u32::try_from(self.sum()?).ok()?)?;
            } else {
                return Some(value);
            }
        }
    }

    fn sum(&mut self) -> Option<i128> {
        let mut value = self.unary()?;
        loop {
            if self.eat("+") {
                value = value.checked_add(self.unary()?)?;
            } else if self.eat("-") {
                value = value.checked_sub(self.unary()?)?;
            } else {
                return Some(value);
            }
        }
    }

    fn unary(&mut self) -> Option<i128> {
        if self.eat("-") {
            return self.unary()?.checked_neg();
        }
        if self.eat("~") {
            return Some(!self.unary()?);
        }
        if self.eat("(") {
            let value = self.or()?;
            return self.eat(")").then_some(value);
        }
        let token = self.tokens.get(self.next)?;
        self.next += 1;
        match token {
            Token::Number(value) => Some(*value),
            Token::Name(name) => self.defines.evaluate(name, self.depth + 1),
            Token::Operator(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser_understands_the_forms_headers_use() {
        let mut defines = Defines {
            text: HashMap::new(),
            files: Vec::new(),
        };
        defines.add(
            "#define A 0x10 /* hex */\n\
             #  define B\t0755 // octal\n\
             #define C (A + 6)\n\
             #define D -100\n\
             #define E 0x100000000ULL\n\
             #define F (A | B)\n\
             #define G(x) ((x) + 1)\n\
             #define H H\n\
             #define I (1U << 4)\n\
             #define J /* multi\n line */ 7\n\
             #define K (unsigned int)3\n\
             #define L 0\n",
        );
        assert_eq!(defines.value("A"), Some(16));
        assert_eq!(defines.value("B"), Some(0o755));
        assert_eq!(defines.value("C"), Some(22));
        assert_eq!(defines.value("D"), Some(-100));
        assert_eq!(defines.value("E"), Some(1 << 32));
        assert_eq!(defines.value("F"), Some(16 | 0o755));
        assert_eq!(defines.value("G"), None);
        assert_eq!(defines.value("H"), None);
        assert_eq!(defines.value("I"), Some(16));
        assert_eq!(defines.value("J"), Some(7));
        assert_eq!(defines.value("K"), None);
        assert_eq!(defines.value("L"), Some(0));
    }
}
