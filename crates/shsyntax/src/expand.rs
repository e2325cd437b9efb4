//! Word expansion: turning an unexpanded [`Word`] into the strings a program receives.
//!
//! This runs when a command is about to run, not when it is parsed, because the values come
//! from the shell's state at that moment; the shell supplies them through [`Environment`].
//! Of the expansions of XCU §2.6 this does, in order:
//!
//! 1. tilde expansion: a leading unquoted `~` becomes `$HOME`;
//! 2. parameter expansion: `$X`, `${X}`, `$?`, `$1`, `$@`, ...;
//! 3. field splitting: the results of *unquoted* parameters are cut at blanks, so
//!    `X="a b"; echo $X` passes two arguments and `echo "$X"` one;
//! 4. quote removal, which the lexer has already done.
//!
//! Field splitting is why quoting matters so much in shell scripts, and why it is applied to
//! expansion results only: text written in the line was already cut into words by the lexer.
//! An unquoted word that expands to nothing disappears (`echo $UNSET` has no argument), while
//! a quoted empty string stays (`echo ""` has one). The field separators are fixed at space,
//! tab and newline, which is what an unset `IFS` means. There is no globbing: `*` stays `*`.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::ast::{Param, QuotedPart, Word, WordPart};

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
}

/// Why a word could not be expanded the way its use requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpandError {
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
            ExpandError::AmbiguousRedirect { word, fields } => write!(
                f,
                "ambiguous redirect: '{word}' expands to {fields} words, not one file name"
            ),
        }
    }
}

impl core::error::Error for ExpandError {}

/// Expands a word into fields: the arguments it contributes to a command. May be none
/// (an unquoted unset variable) or several (`$X` holding blanks, `"$@"`).
pub fn expand_word(word: &Word, env: &dyn Environment) -> Vec<String> {
    let mut fields = Fields::default();
    for part in &word.parts {
        match part {
            WordPart::Literal(text) | WordPart::SingleQuoted(text) => fields.push_str(text),
            WordPart::Tilde => fields.push_str(&home(env)),
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
            WordPart::DoubleQuoted(inner) => expand_quoted(inner, env, &mut fields),
        }
    }
    fields.finish()
}

/// Expands a word into one string without field splitting: for an assignment's value, where
/// POSIX does no splitting (`X=$Y` copies `Y` whole), and wherever one string is wanted.
/// `$@` and `$*` give the positional parameters joined by spaces.
pub fn expand_single(word: &Word, env: &dyn Environment) -> String {
    let mut out = String::new();
    let param = |param: &Param, out: &mut String| match param {
        Param::Var(name) => out.push_str(&env.var(name).unwrap_or_default()),
        Param::At | Param::Star => out.push_str(&env.positional().join(STAR_JOINER)),
    };
    for part in &word.parts {
        match part {
            WordPart::Literal(text) | WordPart::SingleQuoted(text) => out.push_str(text),
            WordPart::Tilde => out.push_str(&home(env)),
            WordPart::Param(p) => param(p, &mut out),
            WordPart::DoubleQuoted(inner) => {
                for quoted in inner {
                    match quoted {
                        QuotedPart::Literal(text) => out.push_str(text),
                        QuotedPart::Param(p) => param(p, &mut out),
                    }
                }
            }
        }
    }
    out
}

/// Expands a redirection's file name: as an argument would be, and it must come out as
/// exactly one field, or the error is the "ambiguous redirect" common shells report.
pub fn expand_redirect_target(word: &Word, env: &dyn Environment) -> Result<String, ExpandError> {
    let mut fields = expand_word(word, env);
    match fields.pop() {
        Some(name) if fields.is_empty() => Ok(name),
        other => Err(ExpandError::AmbiguousRedirect {
            word: word.to_string(),
            fields: fields.len() + usize::from(other.is_some()),
        }),
    }
}

/// Expands the inside of `"..."` into the current field; nothing in it is split.
fn expand_quoted(inner: &[QuotedPart], env: &dyn Environment, fields: &mut Fields) {
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
            QuotedPart::Literal(text) => fields.push_str(text),
            QuotedPart::Param(Param::Var(name)) => {
                fields.push_str(&env.var(name).unwrap_or_default());
            }
            QuotedPart::Param(Param::Star) => {
                let all = positional.get_or_insert_with(|| env.positional());
                fields.push_str(&all.join(STAR_JOINER));
            }
            // Each parameter its own field: the text before `"$@"` joins the first one and
            // the text after joins the last, as in `"-$@-"`. Inside quotes the current field
            // has always started, so an empty parameter still ends as an (empty) field.
            QuotedPart::Param(Param::At) => {
                let all = positional.get_or_insert_with(|| env.positional());
                for (index, value) in all.iter().enumerate() {
                    if index > 0 {
                        fields.end_field();
                    }
                    fields.push_str(value);
                }
            }
        }
    }
}

/// What `~` expands to: `$HOME`, or `~` itself if `HOME` is unset.
fn home(env: &dyn Environment) -> String {
    env.var(HOME).unwrap_or_else(|| String::from("~"))
}

/// The fields built so far, and the one being built.
#[derive(Default)]
struct Fields {
    /// Finished fields.
    done: Vec<String>,
    /// The field being built.
    current: String,
    /// Whether the current field exists even if it is empty: it has had text, or quotes
    /// (`""` is one empty field), since it began.
    started: bool,
}

impl Fields {
    /// Appends text that is not split: literal, quoted, or a quoted expansion.
    fn push_str(&mut self, text: &str) {
        self.current.push_str(text);
        self.started = true;
    }

    /// Appends an unquoted expansion's value, cutting a field at each run of separators.
    fn push_split(&mut self, value: &str) {
        for c in value.chars() {
            if FIELD_SEPARATORS.contains(&c) {
                self.end_field();
            } else {
                self.current.push(c);
                self.started = true;
            }
        }
    }

    /// Ends the current field if it has begun; a run of separators thus makes one cut.
    fn end_field(&mut self) {
        if self.started {
            self.done.push(core::mem::take(&mut self.current));
            self.started = false;
        }
    }

    fn finish(mut self) -> Vec<String> {
        self.end_field();
        self.done
    }
}
