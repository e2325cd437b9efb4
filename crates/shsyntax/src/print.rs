//! Printing a tree back as shell text, in one canonical spelling that parses to the same tree.
//!
//! The shell needs this to show a job (`[1] sleep 5 &`) and to quote a word in an error
//! message; the tests need it for a stronger check than examples give: for any input that
//! parses, printing the tree and parsing the text again must give the same tree. That only
//! holds if the printer knows every rule the lexer applies, so the two are kept side by side
//! in reading order, and the fuzz test in `tests/roundtrip.rs` holds them to it.
//!
//! The canonical spelling keeps the quoting of the input (a `'single-quoted'` piece stays one)
//! and otherwise chooses: one blank between words, `; ` between items, a backslash before each
//! unquoted character the lexer would treat specially, and `${X}` only where `$X` would run
//! into the next letter. The tree keeps no record of comments, blanks or escapes that did not
//! matter, so those are not reproduced.

use alloc::string::ToString;
use core::fmt::{self, Display, Formatter, Write};

use crate::ast::{
    AndOr, Assignment, CaseArm, Command, Compound, CompoundCommand, Connector, FunctionDefinition,
    List, Param, Pipeline, QuotedPart, RedirKind, Redirection, Separator, SimpleCommand, Word,
    WordPart,
};
use crate::lexer::{assignment_name, is_name_char, is_name_start};

impl Display for List {
    /// Items joined by `; `, with ` &` after each background item: `a; b & c`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let last = self.items.len().saturating_sub(1);
        for (index, (and_or, separator)) in self.items.iter().enumerate() {
            if index > 0 {
                f.write_char(' ')?;
            }
            write!(f, "{and_or}")?;
            match separator {
                Separator::Background => f.write_str(" &")?,
                Separator::Sequential if index < last => f.write_char(';')?,
                Separator::Sequential => {}
            }
        }
        Ok(())
    }
}

impl Display for AndOr {
    /// Pipelines joined by ` && ` and ` || `.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.first)?;
        for (connector, pipeline) in &self.rest {
            let op = match connector {
                Connector::And => "&&",
                Connector::Or => "||",
            };
            write!(f, " {op} {pipeline}")?;
        }
        Ok(())
    }
}

impl Display for Pipeline {
    /// Commands joined by ` | `, after `! ` if negated.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.negated {
            f.write_str("! ")?;
        }
        for (index, command) in self.commands.iter().enumerate() {
            if index > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{command}")?;
        }
        Ok(())
    }
}

impl Display for Command {
    /// The command in its own canonical form.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Command::Simple(simple) => write!(f, "{simple}"),
            Command::Compound(compound) => write!(f, "{compound}"),
            Command::Function(function) => write!(f, "{function}"),
        }
    }
}

impl Display for FunctionDefinition {
    /// `name() { body; }`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}() {}", self.name, self.body)
    }
}

impl Display for CompoundCommand {
    /// The command, then its redirections.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        for redirection in &self.redirections {
            write!(f, " {redirection}")?;
        }
        Ok(())
    }
}

/// Writes a list that a reserved word follows: `a; ` or, after a background item, `a & `.
fn body(f: &mut Formatter<'_>, list: &List) -> fmt::Result {
    write!(f, "{list}")?;
    match list.items.last() {
        Some((_, Separator::Background)) => f.write_char(' '),
        _ => f.write_str("; "),
    }
}

impl Display for Compound {
    /// On one line, `;` where a script would have newlines: `if a; then b; else c; fi`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Compound::Group(list) => {
                f.write_str("{ ")?;
                body(f, list)?;
                f.write_char('}')
            }
            Compound::Subshell(list) => write!(f, "({list})"),
            Compound::If {
                branches,
                otherwise,
            } => {
                for (index, (condition, then)) in branches.iter().enumerate() {
                    f.write_str(if index == 0 { "if " } else { "elif " })?;
                    body(f, condition)?;
                    f.write_str("then ")?;
                    body(f, then)?;
                }
                if let Some(otherwise) = otherwise {
                    f.write_str("else ")?;
                    body(f, otherwise)?;
                }
                f.write_str("fi")
            }
            Compound::While {
                until,
                condition,
                body: inner,
            } => {
                f.write_str(if *until { "until " } else { "while " })?;
                body(f, condition)?;
                f.write_str("do ")?;
                body(f, inner)?;
                f.write_str("done")
            }
            Compound::For {
                name,
                words,
                body: inner,
            } => {
                write!(f, "for {name}")?;
                if let Some(words) = words {
                    f.write_str(" in")?;
                    for word in words {
                        write!(f, " {word}")?;
                    }
                }
                f.write_str("; do ")?;
                body(f, inner)?;
                f.write_str("done")
            }
            Compound::Case { word, arms } => {
                write!(f, "case {word} in ")?;
                for arm in arms {
                    write!(f, "{arm} ")?;
                }
                f.write_str("esac")
            }
        }
    }
}

impl Display for CaseArm {
    /// `(a|b) list;;`: the `(` keeps a pattern spelled `esac` from closing the `case`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_char('(')?;
        for (index, pattern) in self.patterns.iter().enumerate() {
            if index > 0 {
                f.write_char('|')?;
            }
            write!(f, "{pattern}")?;
        }
        f.write_str(") ")?;
        if !self.body.items.is_empty() {
            write!(f, "{}", self.body)?;
        }
        f.write_str(";;")
    }
}

impl Display for SimpleCommand {
    /// Assignments, then words, then redirections, one blank apart. Moving the redirections
    /// to the end changes nothing: only their order among themselves matters.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut gap = |f: &mut Formatter<'_>| {
            let result = if first { Ok(()) } else { f.write_char(' ') };
            first = false;
            result
        };
        for assignment in &self.assignments {
            gap(f)?;
            write!(f, "{assignment}")?;
        }
        for (index, word) in self.words.iter().enumerate() {
            gap(f)?;
            // `X=1` as the command name would read back as an assignment; `X\=1` does not.
            write_word(f, word, index == 0)?;
        }
        for redirection in &self.redirections {
            gap(f)?;
            write!(f, "{redirection}")?;
        }
        Ok(())
    }
}

impl Display for Assignment {
    /// `NAME=value`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.name, self.value)
    }
}

impl Display for Redirection {
    /// `2> file`, `>> file`, `2>&1`: the number only when it is not the operator's default.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let op = match &self.kind {
            RedirKind::Read(_) => "<",
            RedirKind::Write(_) => ">",
            RedirKind::Append(_) => ">>",
            RedirKind::DupOut(_) => ">&",
            RedirKind::DupIn(_) => "<&",
        };
        if self.fd != self.kind.default_fd() {
            write!(f, "{}", self.fd)?;
        }
        match &self.kind {
            RedirKind::Read(word) | RedirKind::Write(word) | RedirKind::Append(word) => {
                write!(f, "{op} {word}")
            }
            RedirKind::DupOut(to) | RedirKind::DupIn(to) => write!(f, "{op}{to}"),
        }
    }
}

impl Display for Word {
    /// The word with its quoting: `'a b'"$X"c\;`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_word(f, self, false)
    }
}

/// Writes `word`; `command_name` asks for a leading `NAME=` to be escaped so that it does not
/// read back as an assignment.
fn write_word(f: &mut Formatter<'_>, word: &Word, command_name: bool) -> fmt::Result {
    for (index, part) in word.parts.iter().enumerate() {
        let next = word.parts.get(index + 1);
        match part {
            // A reserved word standing alone as the command name would start a compound
            // command; escaped, it is the name of a program again.
            WordPart::Literal(text)
                if index == 0 && command_name && word.parts.len() == 1 && is_reserved(text) =>
            {
                f.write_char('\\')?;
                write_literal(f, text)?;
            }
            WordPart::Literal(text) if index == 0 && command_name => match assignment_name(text) {
                Some(name) => {
                    write!(f, "{name}\\=")?;
                    write_literal(f, &text[name.len() + 1..])?;
                }
                None => write_literal(f, text)?,
            },
            WordPart::Literal(text) => write_literal(f, text)?,
            WordPart::SingleQuoted(text) => write_single_quoted(f, text)?,
            WordPart::DoubleQuoted(inner) => write_double_quoted(f, inner)?,
            WordPart::Param(param) => {
                let glued = matches!(next, Some(WordPart::Literal(text)) if starts_name(text));
                write_param(f, param, glued)?;
            }
            WordPart::Tilde => f.write_char('~')?,
            WordPart::Command(list) => write_substitution(f, list)?,
            WordPart::Arithmetic(text) => write!(f, "$(({text}))")?,
        }
    }
    Ok(())
}

/// Writes `$(list)`; with a blank after `$(` when the list starts with `(`, which would
/// otherwise read as `$((`, arithmetic.
fn write_substitution(f: &mut Formatter<'_>, list: &List) -> fmt::Result {
    let text = list.to_string();
    let gap = if text.starts_with('(') { " " } else { "" };
    write!(f, "$({gap}{text})")
}

/// Whether `text` is a word the parser reads as reserved where a command starts.
fn is_reserved(text: &str) -> bool {
    matches!(
        text,
        "{" | "}"
            | "if"
            | "then"
            | "elif"
            | "else"
            | "fi"
            | "while"
            | "until"
            | "do"
            | "done"
            | "for"
            | "case"
            | "esac"
    )
}

/// Writes unquoted text, escaping every character that is not itself outside quotes.
fn write_literal(f: &mut Formatter<'_>, text: &str) -> fmt::Result {
    for c in text.chars() {
        match c {
            // Backslash-newline is a line continuation, not a newline; quote it instead.
            '\n' => f.write_str("'\n'")?,
            // `#` and `~` are special only at the start of a word and `!` only alone, but
            // escaping them everywhere keeps the rule simple and the output still reads back.
            ' ' | '\t' | '|' | '&' | ';' | '<' | '>' | '(' | ')' | '$' | '`' | '\\' | '"'
            | '\'' | '#' | '~' | '!' => {
                f.write_char('\\')?;
                f.write_char(c)?;
            }
            _ => f.write_char(c)?,
        }
    }
    Ok(())
}

/// Writes `'text'`. A `'` cannot appear inside single quotes, so one (possible only in a tree
/// built by hand) is written as `'\''`: close, escaped quote, reopen.
fn write_single_quoted(f: &mut Formatter<'_>, text: &str) -> fmt::Result {
    f.write_char('\'')?;
    for c in text.chars() {
        if c == '\'' {
            f.write_str("'\\''")?;
        } else {
            f.write_char(c)?;
        }
    }
    f.write_char('\'')
}

/// Writes `"..."`, escaping the four characters a backslash escapes inside double quotes.
fn write_double_quoted(f: &mut Formatter<'_>, inner: &[QuotedPart]) -> fmt::Result {
    f.write_char('"')?;
    for (index, part) in inner.iter().enumerate() {
        match part {
            QuotedPart::Literal(text) => {
                for c in text.chars() {
                    if matches!(c, '$' | '`' | '"' | '\\') {
                        f.write_char('\\')?;
                    }
                    f.write_char(c)?;
                }
            }
            QuotedPart::Param(param) => {
                let next = inner.get(index + 1);
                let glued = matches!(next, Some(QuotedPart::Literal(text)) if starts_name(text));
                write_param(f, param, glued)?;
            }
            QuotedPart::Command(list) => write_substitution(f, list)?,
            QuotedPart::Arithmetic(text) => write!(f, "$(({text}))")?,
        }
    }
    f.write_char('"')
}

/// Writes a parameter; `glued` says the text after it starts with a name character, so a
/// name must be closed with braces (`${X}y`, since `$Xy` is the variable `Xy`).
fn write_param(f: &mut Formatter<'_>, param: &Param, glued: bool) -> fmt::Result {
    match param {
        Param::At => f.write_str("$@"),
        Param::Star => f.write_str("$*"),
        // One character (`$?`, `$1`) ends by itself: `$10` is `$1` then `0`.
        Param::Var(name) if name.chars().count() == 1 && !name.starts_with(is_name_start) => {
            write!(f, "${name}")
        }
        Param::Var(name) if !glued && is_plain_name(name) => write!(f, "${name}"),
        Param::Var(name) => write!(f, "${{{name}}}"),
    }
}

/// Whether `text` starts with a character that would continue a `$NAME`.
fn starts_name(text: &str) -> bool {
    text.starts_with(is_name_char)
}

/// Whether `name` can follow a bare `$`: a letter or `_`, then name characters.
fn is_plain_name(name: &str) -> bool {
    name.starts_with(is_name_start) && name.chars().all(is_name_char)
}
