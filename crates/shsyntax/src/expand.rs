//! Word expansion: turning an unexpanded [`Word`] into the strings a program receives.
//!
//! This runs when a command is about to run, not when it is parsed, because the values come
//! from the shell's state at that moment; the shell supplies them through [`Environment`].
//! Of the expansions of XCU §2.6 this does, in order:
//!
//! 1. tilde expansion: a leading unquoted `~` becomes `$HOME`;
//! 2. parameter expansion: `$X`, `${X}`, `$?`, `$1`, `$@`, ...; command substitution,
//!    `$(list)`, whose output the shell produces ([`Environment::command_output`]); and
//!    arithmetic expansion, `$((expression))` ([`crate::arith`]);
//! 3. field splitting: the results of *unquoted* expansions are cut at blanks, so
//!    `X="a b"; echo $X` passes two arguments and `echo "$X"` one;
//! 4. pathname expansion: a field with an unquoted `*`, `?` or `[` is replaced by the paths it
//!    matches, sorted ([`crate::glob`]), or kept as written if none does;
//! 5. quote removal, which the lexer has already done.
//!
//! Field splitting is why quoting matters so much in shell scripts, and why it is applied to
//! expansion results only: text written in the line was already cut into words by the lexer.
//! An unquoted word that expands to nothing disappears (`echo $UNSET` has no argument), while
//! a quoted empty string stays (`echo ""` has one). The field separators are fixed at space,
//! tab and newline, which is what an unset `IFS` means.
//!
//! To know which `*` may glob, each field is built twice: as text, and as a pattern in which
//! every character that was quoted (or escaped) is backslash-escaped. `"*".rs` is the pattern
//! `\*.rs`, which matches only a file named `*.rs`.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::ast::{List, Param, QuotedPart, Word, WordPart};

/// The characters that separate fields: those of the default `IFS` (XCU §2.5.3).
const FIELD_SEPARATORS: [char; 3] = [' ', '\t', '\n'];

/// The separator `"$*"` puts between positional parameters: the first character of `IFS`.
const STAR_JOINER: &str = " ";

/// The variable a leading `~` stands for.
const HOME: &str = "HOME";

/// The shell state that expansion reads; the shell implements it.
pub trait Environment {
    /// The value of a parameter, or `None` if it is unset (which expands to nothing).
    ///
    /// `name` is a variable name (`PATH`), a special parameter (`?` last status, `$` the
    /// shell's process id, `!` the last background process id, `#` the number of positional
    /// parameters) or a positional parameter by number (`0` the shell's name, `1`, `2`, ...).
    /// Numbered ones from `1` on should agree with [`Environment::positional`].
    fn var(&self, name: &str) -> Option<String>;

    /// The positional parameters `$1`, `$2`, ..., for `$@` and `$*`.
    fn positional(&self) -> Vec<String>;

    /// What `list` prints on its standard output, for `$(list)`. The shell runs it in a child
    /// and reads the output through a pipe; the expander removes the trailing newlines. Without
    /// a shell to run it (a test's environment), nothing.
    fn command_output(&self, list: &List) -> String {
        let _ = list;
        String::new()
    }

    /// The names in directory `dir` (`"."` for the working directory), for pathname
    /// expansion; `None` if it cannot be listed, and then nothing globs.
    fn read_dir(&self, dir: &str) -> Option<Vec<String>> {
        let _ = dir;
        None
    }
}

/// Why a word could not be expanded the way its use requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpandError {
    /// `$((...))` has no value: a syntax error in it, or a division by zero.
    Arithmetic {
        /// The expression as written.
        expression: String,
        /// What is wrong.
        reason: String,
    },
    /// A redirection's file name did not expand to exactly one field, as `> $X` with
    /// `X="a b"` (two) or unset (none): there is no one file to open.
    AmbiguousRedirect {
        /// The word as written (canonically), for the message.
        word: String,
        /// How many fields it expanded to.
        fields: usize,
    },
}

impl fmt::Display for ExpandError {
    /// One line, e.g. `ambiguous redirect: '$X' expands to 2 words, not one file name`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpandError::Arithmetic { expression, reason } => {
                write!(f, "arithmetic expansion $(({expression})): {reason}")
            }
            ExpandError::AmbiguousRedirect { word, fields } => write!(
                f,
                "ambiguous redirect: '{word}' expands to {fields} words, not one file name"
            ),
        }
    }
}

impl core::error::Error for ExpandError {}

/// Expands a word into fields: the arguments it contributes to a command. May be none
/// (an unquoted unset variable) or several (`$X` holding blanks, `"$@"`, `*.rs`).
pub fn expand_word(word: &Word, env: &dyn Environment) -> Result<Vec<String>, ExpandError> {
    let mut fields = Fields::default();
    for part in &word.parts {
        match part {
            WordPart::Literal(text) => fields.push_literal(text),
            WordPart::SingleQuoted(text) => fields.push_quoted(text),
            WordPart::Tilde => fields.push_quoted(&home(env)),
            WordPart::Param(Param::Var(name)) => {
                fields.push_split(&env.var(name).unwrap_or_default());
            }
            // Unquoted, each parameter is split on its own, and two parameters never join.
            WordPart::Param(Param::At | Param::Star) => {
                for (index, value) in env.positional().iter().enumerate() {
                    if index > 0 {
                        fields.end_field();
                    }
                    fields.push_split(value);
                }
            }
            WordPart::Command(list) => fields.push_split(&command_output(env, list)),
            WordPart::Arithmetic(text) => fields.push_split(&arithmetic(text, env)?),
            WordPart::DoubleQuoted(inner) => expand_quoted(inner, env, &mut fields)?,
        }
    }
    Ok(fields.finish(env))
}

/// Expands a word into one string without field splitting or pathname expansion: for an
/// assignment's value, where POSIX does neither (`X=$Y` copies `Y` whole), and wherever one
/// string is wanted. `$@` and `$*` give the positional parameters joined by spaces.
pub fn expand_single(word: &Word, env: &dyn Environment) -> Result<String, ExpandError> {
    let mut out = String::new();
    for part in &word.parts {
        match part {
            WordPart::Literal(text) | WordPart::SingleQuoted(text) => out.push_str(text),
            WordPart::Tilde => out.push_str(&home(env)),
            WordPart::Param(p) => out.push_str(&param_text(p, env)),
            WordPart::Command(list) => out.push_str(&command_output(env, list)),
            WordPart::Arithmetic(text) => out.push_str(&arithmetic(text, env)?),
            WordPart::DoubleQuoted(inner) => {
                for quoted in inner {
                    out.push_str(&quoted_text(quoted, env)?);
                }
            }
        }
    }
    Ok(out)
}

/// Expands a `case` pattern: as one string, with every quoted character escaped so that it
/// matches only itself, for [`crate::glob::matches`].
pub fn expand_pattern(word: &Word, env: &dyn Environment) -> Result<String, ExpandError> {
    let mut out = String::new();
    for part in &word.parts {
        match part {
            WordPart::Literal(text) => out.push_str(text),
            WordPart::SingleQuoted(text) => escape_into(&mut out, text),
            WordPart::Tilde => escape_into(&mut out, &home(env)),
            WordPart::Param(p) => out.push_str(&param_text(p, env)),
            WordPart::Command(list) => out.push_str(&command_output(env, list)),
            WordPart::Arithmetic(text) => out.push_str(&arithmetic(text, env)?),
            WordPart::DoubleQuoted(inner) => {
                for quoted in inner {
                    escape_into(&mut out, &quoted_text(quoted, env)?);
                }
            }
        }
    }
    Ok(out)
}

/// Expands a redirection's file name: as an argument would be, and it must come out as
/// exactly one field, or the error is the "ambiguous redirect" common shells report.
pub fn expand_redirect_target(word: &Word, env: &dyn Environment) -> Result<String, ExpandError> {
    let mut fields = expand_word(word, env)?;
    match fields.pop() {
        Some(name) if fields.is_empty() => Ok(name),
        other => Err(ExpandError::AmbiguousRedirect {
            word: word.to_string(),
            fields: fields.len() + usize::from(other.is_some()),
        }),
    }
}

/// A parameter's value as one string.
fn param_text(param: &Param, env: &dyn Environment) -> String {
    match param {
        Param::Var(name) => env.var(name).unwrap_or_default(),
        Param::At | Param::Star => env.positional().join(STAR_JOINER),
    }
}

/// A piece inside double quotes as one string.
fn quoted_text(part: &QuotedPart, env: &dyn Environment) -> Result<String, ExpandError> {
    Ok(match part {
        QuotedPart::Literal(text) => text.clone(),
        QuotedPart::Param(p) => param_text(p, env),
        QuotedPart::Command(list) => command_output(env, list),
        QuotedPart::Arithmetic(text) => arithmetic(text, env)?,
    })
}

/// The output of `$(list)`, its trailing newlines removed (XCU §2.6.3).
fn command_output(env: &dyn Environment, list: &List) -> String {
    let mut output = env.command_output(list);
    let kept = output.trim_end_matches('\n').len();
    output.truncate(kept);
    output
}

/// The value of `$((text))` as decimal text. As XCU §2.6.4 says, the text first undergoes
/// parameter expansion, command substitution and (nested) arithmetic expansion, so
/// `$(( $(wc -l < f) + 1 ))` works; bare names are read as variables by the evaluator.
fn arithmetic(text: &str, env: &dyn Environment) -> Result<String, ExpandError> {
    let error = |reason| ExpandError::Arithmetic {
        expression: text.to_string(),
        reason,
    };
    let expanded = substitute(text, env, 0).map_err(error)?;
    crate::arith::evaluate(&expanded, &|name| env.var(name))
        .map(|value| value.to_string())
        .map_err(error)
}

/// `text` with its `$name`, `${name}`, `$(...)` and `$((...))` replaced by their values;
/// `depth` counts the arithmetic expansions around it.
fn substitute(text: &str, env: &dyn Environment, depth: usize) -> Result<String, String> {
    if depth > crate::MAX_DEPTH {
        return Err(String::from("nested too deeply"));
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(body) = after.strip_prefix("((") {
            let end = crate::lexer::arithmetic_end(body).ok_or("a '$((' is not closed")?;
            let inner = substitute(&body[..end], env, depth + 1)?;
            let value = crate::arith::evaluate(&inner, &|name| env.var(name))?;
            out.push_str(&value.to_string());
            rest = &body[end + 2..];
        } else if let Some(body) = after.strip_prefix('(') {
            let end = crate::lexer::closing_paren(body).ok_or("a '$(' is not closed")?;
            let list =
                crate::parser::parse_nested(&body[..end], depth + 1).map_err(|e| e.to_string())?;
            out.push_str(&command_output(env, &list));
            rest = &body[end + 1..];
        } else if let Some(body) = after.strip_prefix('{') {
            let end = body.find('}').ok_or("a '${' is not closed")?;
            out.push_str(&env.var(&body[..end]).unwrap_or_default());
            rest = &body[end + 1..];
        } else {
            let len = match after.chars().next() {
                Some(c) if c.is_ascii_digit() || "?$!#".contains(c) => 1,
                _ => after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len()),
            };
            if len == 0 {
                return Err(String::from("'$' without a name"));
            }
            out.push_str(&env.var(&after[..len]).unwrap_or_default());
            rest = &after[len..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Appends `text` to a pattern with every character that is special in patterns escaped.
fn escape_into(pattern: &mut String, text: &str) {
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
}

/// Expands the inside of `"..."` into the current field; nothing in it is split.
fn expand_quoted(
    inner: &[QuotedPart],
    env: &dyn Environment,
    fields: &mut Fields,
) -> Result<(), ExpandError> {
    // `"$@"` with no positional parameters is no field at all rather than one empty field
    // (XCU §2.5.2), so that `prog "$@"` passes exactly the arguments the script got.
    let only_at = !inner.is_empty()
        && inner
            .iter()
            .all(|part| matches!(part, QuotedPart::Param(Param::At)));
    let mut positional = None;
    if !only_at
        || !positional
            .get_or_insert_with(|| env.positional())
            .is_empty()
    {
        fields.started = true;
    }
    for part in inner {
        match part {
            // Each parameter its own field: the text before `"$@"` joins the first one and
            // the text after joins the last, as in `"-$@-"`. Inside quotes the current field
            // has always started, so an empty parameter still ends as an (empty) field.
            QuotedPart::Param(Param::At) => {
                let all = positional.get_or_insert_with(|| env.positional());
                for (index, value) in all.iter().enumerate() {
                    if index > 0 {
                        fields.end_field();
                    }
                    fields.push_quoted(value);
                }
            }
            QuotedPart::Param(Param::Star) => {
                let all = positional.get_or_insert_with(|| env.positional());
                fields.push_quoted(&all.join(STAR_JOINER));
            }
            other => fields.push_quoted(&quoted_text(other, env)?),
        }
    }
    Ok(())
}

/// What `~` expands to: `$HOME`, or `~` itself if `HOME` is unset.
fn home(env: &dyn Environment) -> String {
    env.var(HOME).unwrap_or_else(|| String::from("~"))
}

/// The fields built so far, and the one being built.
#[derive(Default)]
struct Fields {
    /// Finished fields, each with its pattern if it has an unquoted pattern character.
    done: Vec<(String, Option<String>)>,
    /// The field being built.
    current: String,
    /// The same field as a pattern: quoted characters escaped.
    pattern: String,
    /// Whether the current field has an unquoted `*`, `?` or `[`.
    globs: bool,
    /// Whether the current field exists even if it is empty: it has had text, or quotes
    /// (`""` is one empty field), since it began.
    started: bool,
}

impl Fields {
    /// Appends text written unquoted in the line: never split, but its pattern characters glob.
    fn push_literal(&mut self, text: &str) {
        self.current.push_str(text);
        self.pattern.push_str(text);
        self.globs |= crate::glob::has_pattern(text);
        self.started = true;
    }

    /// Appends text that is neither split nor globbed: quoted, or a quoted expansion.
    fn push_quoted(&mut self, text: &str) {
        self.current.push_str(text);
        escape_into(&mut self.pattern, text);
        self.started = true;
    }

    /// Appends an unquoted expansion's value, cutting a field at each run of separators; its
    /// pattern characters glob.
    fn push_split(&mut self, value: &str) {
        for c in value.chars() {
            if FIELD_SEPARATORS.contains(&c) {
                self.end_field();
            } else {
                self.current.push(c);
                if c == '\\' {
                    self.pattern.push('\\');
                }
                self.pattern.push(c);
                self.globs |= matches!(c, '*' | '?' | '[');
                self.started = true;
            }
        }
    }

    /// Ends the current field if it has begun; a run of separators thus makes one cut.
    fn end_field(&mut self) {
        if self.started {
            let pattern = core::mem::take(&mut self.pattern);
            let pattern = self.globs.then_some(pattern);
            self.done
                .push((core::mem::take(&mut self.current), pattern));
            self.started = false;
            self.globs = false;
        }
    }

    /// The fields, each pattern replaced by the paths it matches (kept if it matches none).
    fn finish(mut self, env: &dyn Environment) -> Vec<String> {
        self.end_field();
        let mut out = Vec::new();
        for (text, pattern) in self.done {
            let matched = match pattern {
                Some(pattern) => crate::glob::expand(&pattern, &|dir| env.read_dir(dir)),
                None => Vec::new(),
            };
            if matched.is_empty() {
                out.push(text);
            } else {
                out.extend(matched);
            }
        }
        out
    }
}
