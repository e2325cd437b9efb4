//! Why a line did not parse: one error kind per mistake, a place, and whether more input helps.
//!
//! A shell's error message is read by someone who just typed the line, so each kind names the
//! mistake in the words of the language (`'&&' must be followed by a command`) and the position
//! points at it. Some errors only mean the input stopped early (an open quote, a trailing `|`);
//! [`SyntaxError::is_incomplete`] tells those apart so that an interactive shell can print a
//! continuation prompt and parse the two lines together instead of complaining.

use alloc::string::String;
use core::fmt;

use crate::MAX_INPUT_BYTES;

/// A line that does not parse: what is wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// What is wrong.
    pub kind: SyntaxErrorKind,
    /// Byte offset in the input of the character the error is about.
    pub offset: usize,
    /// Line of that character, counting from 1.
    pub line: usize,
    /// Column of that character on its line, in characters, counting from 1.
    pub column: usize,
}

/// The mistakes [`crate::parse`] reports. Operators are given as written, e.g. `"&&"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyntaxErrorKind {
    /// An operator where a command should start, e.g. `; a` or the second `;` of `a;;b`.
    Unexpected(&'static str),
    /// `|`, `&&`, `||` or `!` followed by something that is not a command, e.g. `a && ; b`.
    MissingCommand(&'static str),
    /// `|`, `&&` or `||` at the very end of the input: the command may follow on the next line.
    UnfinishedOperator(&'static str),
    /// `<`, `>` or `>>` with no word after it to name the file.
    MissingRedirectTarget(&'static str),
    /// `>&` or `<&` not followed by a single digit, e.g. `2>&x`.
    BadDupTarget(&'static str),
    /// A descriptor number above 9 before a redirection, e.g. `12>f`; holds the digits.
    FdOutOfRange(String),
    /// A `'` with no closing `'`.
    UnterminatedSingleQuote,
    /// A `"` with no closing `"`.
    UnterminatedDoubleQuote,
    /// A `${` with no closing `}`.
    UnterminatedBrace,
    /// A backslash at the end of the input, alone or before a final newline: the line goes on.
    TrailingBackslash,
    /// A `${...}` whose inside is not a name, a number or a special parameter; holds the inside.
    BadSubstitution(String),
    /// `<<`: here-documents are left out.
    HereDocument,
    /// Something opened and not closed before the input ended: `if` without `fi`, `$(`
    /// without `)`, `case` without `esac`... More input may close it.
    Unclosed {
        /// What was opened, as written: `if`, `$(`, `{`...
        open: &'static str,
        /// What closes it.
        close: &'static str,
    },
    /// A compound command's next word is missing or wrong, e.g. `if a; fi` (no `then`).
    Expected {
        /// What should have come, as written: `then`, `do`, `in`...
        what: &'static str,
        /// What construct it belongs to: `if`, `while`, `for`, `case`...
        of: &'static str,
    },
    /// A body that must hold at least one command is empty, e.g. `if a; then fi`.
    EmptyBody(&'static str),
    /// A `for` or a function definition whose name is not a valid name; holds it.
    BadName(String),
    /// Compound commands or substitutions nested more than [`crate::MAX_DEPTH`] deep.
    TooDeep,
    /// The input is longer than [`MAX_INPUT_BYTES`]; holds its length in bytes.
    TooLong(usize),
}

impl SyntaxError {
    /// An error of `kind` about the character at byte `offset` of `input`.
    pub(crate) fn new(kind: SyntaxErrorKind, input: &str, offset: usize) -> SyntaxError {
        // Errors are rare, so the line and column are worked out here, once, rather than
        // tracked by the lexer for every character it reads.
        let before = input.get(..offset).unwrap_or(input);
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        SyntaxError {
            kind,
            offset,
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }

    /// Whether the input only stopped too early: an unterminated quote or `${`, a trailing
    /// backslash, a trailing `|`, `&&` or `||`, or a compound command or substitution not yet
    /// closed (`if` without `fi`, `$(` without `)`). An interactive shell should then read
    /// another line and parse both, joined by a newline, instead of reporting the error.
    pub fn is_incomplete(&self) -> bool {
        matches!(
            self.kind,
            SyntaxErrorKind::UnterminatedSingleQuote
                | SyntaxErrorKind::UnterminatedDoubleQuote
                | SyntaxErrorKind::UnterminatedBrace
                | SyntaxErrorKind::TrailingBackslash
                | SyntaxErrorKind::UnfinishedOperator(_)
                | SyntaxErrorKind::Unclosed { .. }
        )
    }

    /// Whether the message should point at a place. An incomplete input is wrong at its end,
    /// not at any character, and a too-long one is wrong as a whole.
    fn has_place(&self) -> bool {
        !self.is_incomplete() && !matches!(self.kind, SyntaxErrorKind::TooLong(_))
    }
}

impl fmt::Display for SyntaxError {
    /// One line: `syntax error at column 7: unexpected '|'`, with `line N, ` added when the
    /// input has more than one line and the error is not on the first.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("syntax error")?;
        if self.has_place() {
            if self.line > 1 {
                write!(f, " at line {}, column {}", self.line, self.column)?;
            } else {
                write!(f, " at column {}", self.column)?;
            }
        }
        write!(f, ": {}", self.kind)
    }
}

impl fmt::Display for SyntaxErrorKind {
    /// The message alone, without `syntax error` or a place.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use SyntaxErrorKind::*;
        match self {
            Unexpected(op) => write!(f, "unexpected '{op}'"),
            MissingCommand(op) | UnfinishedOperator(op) => {
                write!(f, "'{op}' must be followed by a command")
            }
            MissingRedirectTarget(op) => write!(f, "redirection '{op}' needs a file name"),
            BadDupTarget(op) => {
                write!(f, "redirection '{op}' needs a file descriptor number 0-9")
            }
            FdOutOfRange(digits) => write!(
                f,
                "file descriptor {digits} is out of range: only 0-9 can be redirected"
            ),
            UnterminatedSingleQuote => f.write_str("unterminated single quote"),
            UnterminatedDoubleQuote => f.write_str("unterminated double quote"),
            UnterminatedBrace => f.write_str("unterminated '${': missing '}'"),
            TrailingBackslash => f.write_str("backslash at the end of the input"),
            BadSubstitution(inside) => write!(
                f,
                "bad substitution '${{{inside}}}': only ${{NAME}}, ${{digits}} and \
                 ${{?}}-style special parameters are supported"
            ),
            HereDocument => f.write_str("here-documents (<<) are not supported"),
            Unclosed { open, close } => write!(f, "'{open}' is not closed: '{close}' is missing"),
            Expected { what, of } => write!(f, "'{what}' expected in this '{of}'"),
            EmptyBody(after) => write!(f, "'{after}' must be followed by a command"),
            BadName(name) => write!(f, "'{name}' is not a valid name"),
            TooDeep => write!(
                f,
                "nested too deeply: at most {} levels of compound commands and substitutions",
                crate::MAX_DEPTH
            ),
            TooLong(len) => write!(
                f,
                "input too long: {len} bytes, the limit is {MAX_INPUT_BYTES}"
            ),
        }
    }
}

impl core::error::Error for SyntaxError {}
