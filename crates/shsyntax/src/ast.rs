//! The tree a command line parses into: lists of and-or chains of pipelines of commands.
//!
//! The shape follows the POSIX grammar (XCU §2.9) from the top down, one type per level, so a
//! reader of the shell can match each loop in its executor to one type here:
//!
//! ```text
//! List       a && b | c > f & d        items run one after another (or in the background)
//! └ AndOr    a && b | c > f            pipelines joined by && and ||, left to right
//!   └ Pipeline  b | c > f              commands whose output feeds the next one's input
//!     └ Command c > f                  a simple command, a compound one, or a function
//!       └ Word  "$HOME"/x              text still to be expanded, quoting remembered
//! ```
//!
//! A compound command ([`Compound`]: `if`, `while`, `for`, `case`, `{ ...; }`, `( ... )`)
//! holds lists of its own, so the tree nests: `if a; then b | c; fi` is a command whose parts
//! are lists. So does a word, through command substitution: `$(ls)` holds a list.
//!
//! Words are kept *unexpanded*: a [`Word`] records which pieces were quoted and where a
//! parameter such as `$X` stands, because what `$X` means is only known when the command runs
//! (see [`crate::expand`]). Quote characters themselves are gone; what they protected is not.

use alloc::string::String;
use alloc::vec::Vec;

/// A whole input: and-or chains separated by `;`, `&` or newlines. Empty for a blank line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct List {
    /// Each chain with the separator that ended it, in order.
    pub items: Vec<(AndOr, Separator)>,
}

/// How an item of a [`List`] ends, which decides whether the shell waits for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    /// `;`, a newline, or the end of the input: wait for it before going on.
    Sequential,
    /// `&`: start it and go on at once; its process id becomes `$!`.
    Background,
}

/// Pipelines joined by `&&` and `||`, e.g. `make && run || echo failed`.
///
/// POSIX gives `&&` and `||` equal precedence, grouped from the left: `a && b || c` is
/// `(a && b) || c`. So the shell runs `first`, then walks `rest` in order, running each
/// pipeline only if its connector accepts the status so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AndOr {
    /// The pipeline that always runs.
    pub first: Pipeline,
    /// The pipelines that run depending on the status before them.
    pub rest: Vec<(Connector, Pipeline)>,
}

/// What joins two pipelines of an [`AndOr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connector {
    /// `&&`: run the next pipeline only if the status so far is 0 (success).
    And,
    /// `||`: run the next pipeline only if the status so far is not 0.
    Or,
}

/// Commands joined by `|`, each one's standard output feeding the next one's standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    /// Whether a leading `!` inverts the status (0 becomes 1, anything else becomes 0).
    pub negated: bool,
    /// The commands, left to right; never empty. The pipeline's status is the last one's.
    pub commands: Vec<Command>,
}

/// One command of a pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `X=1 prog arg 2> err`.
    Simple(SimpleCommand),
    /// `if`, `while`, `until`, `for`, `case`, `{ ...; }` or `( ... )`, with redirections that
    /// apply to the whole of it (`while read l; do ...; done < file`).
    Compound(CompoundCommand),
    /// `name() compound-command`: defines a function, run later like a program.
    Function(FunctionDefinition),
}

/// A compound command and the redirections written after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompoundCommand {
    /// What it is.
    pub kind: Compound,
    /// Redirections for the whole command, in the order written.
    pub redirections: Vec<Redirection>,
}

/// The compound commands of XCU §2.9.4.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compound {
    /// `{ list; }`: the list, run in the shell itself.
    Group(List),
    /// `( list )`: the list, run in a copy of the shell (a child process), so nothing it
    /// changes (`cd`, variables) reaches the shell.
    Subshell(List),
    /// `if c1; then b1; elif c2; then b2; else b3; fi`: each condition in turn, the body of the
    /// first that succeeds, else the `else` body.
    If {
        /// Each `if`/`elif` condition with its `then` body, in order; at least one.
        branches: Vec<(List, List)>,
        /// The `else` body, if any.
        otherwise: Option<List>,
    },
    /// `while c; do b; done` (or `until`, which runs while the condition fails).
    While {
        /// `until` rather than `while`.
        until: bool,
        /// The condition, run before each round.
        condition: List,
        /// The body.
        body: List,
    },
    /// `for NAME in words; do b; done`, or `for NAME; do b; done` for `"$@"`.
    For {
        /// The variable each word is assigned to.
        name: String,
        /// The words after `in`, expanded when the loop starts; `None` for `"$@"`.
        words: Option<Vec<Word>>,
        /// The body.
        body: List,
    },
    /// `case word in pattern|pattern) list;; ... esac`.
    Case {
        /// The word matched.
        word: Word,
        /// The arms, tried in order: the first whose pattern matches runs.
        arms: Vec<CaseArm>,
    },
}

/// One arm of a `case`: `a|b*) list;;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseArm {
    /// The patterns, at least one; quoted characters in them match only themselves.
    pub patterns: Vec<Word>,
    /// What runs when one matches.
    pub body: List,
}

/// `name() { ...; }`: the body is stored under the name and runs when the name is called,
/// with the call's arguments as `$1`, `$2`...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionDefinition {
    /// The name.
    pub name: String,
    /// The body: any compound command, usually a group.
    pub body: alloc::boxed::Box<CompoundCommand>,
}

/// One simple command: `X=1 prog arg 2> err`.
///
/// Any of the three lists may be empty, but not all of them: `X=1` alone sets a shell
/// variable, and `> f` alone creates (truncates) a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimpleCommand {
    /// `NAME=value` words before the command name: the command's environment, or the shell's
    /// variables when there is no command name.
    pub assignments: Vec<Assignment>,
    /// The command name and its arguments, before expansion.
    pub words: Vec<Word>,
    /// Redirections in the order written; the order matters (`> f 2>&1` differs from
    /// `2>&1 > f`). They may be written anywhere among the words.
    pub redirections: Vec<Redirection>,
}

/// `NAME=value` before the command name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The variable's name: a letter or `_`, then letters, digits or `_`.
    pub name: String,
    /// The value, expanded without field splitting (see [`crate::expand_single`]).
    pub value: Word,
}

/// One redirection: which descriptor of the command to change, and to what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirection {
    /// The command's file descriptor to change: the number written right before the
    /// operator (0-9), or else the operator's [default](RedirKind::default_fd).
    pub fd: u32,
    /// What `fd` becomes.
    pub kind: RedirKind,
}

/// What a redirection connects its descriptor to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirKind {
    /// `< file`: the file, opened for reading.
    Read(Word),
    /// `> file`: the file, created or truncated, opened for writing.
    Write(Word),
    /// `>> file`: the file, created if missing, opened for writing at its end.
    Append(Word),
    /// `>& m`: a copy of descriptor `m` (`dup2(m, fd)`), as in `2>&1`.
    DupOut(u32),
    /// `<& m`: a copy of descriptor `m`; the same `dup2(m, fd)`, written for an input.
    DupIn(u32),
}

/// One word before expansion: pieces written next to each other with no blank between, such
/// as `'it'\''s'` (three pieces) or `"$HOME"/bin` (two).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Word {
    /// The pieces in order. Adjacent [`WordPart::Literal`]s are always merged into one.
    pub parts: Vec<WordPart>,
}

/// A piece of a [`Word`]. Whether a piece was quoted decides how its expansion is treated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WordPart {
    /// Unquoted text, with backslash escapes already removed (`a\ b` is `a b`).
    Literal(String),
    /// `'text'`: taken exactly as written.
    SingleQuoted(String),
    /// `"..."`: literal text and parameters; the result is never split into fields.
    DoubleQuoted(Vec<QuotedPart>),
    /// An unquoted parameter such as `$X`: its value is split into fields on blanks.
    Param(Param),
    /// An unquoted `~` starting the word, alone or before `/`: the value of `$HOME`.
    Tilde,
    /// `$(list)` (or `` `list` ``) unquoted: the list's output, trailing newlines removed,
    /// split into fields.
    Command(List),
    /// `$((expression))` unquoted: the expression's value, as a decimal number. The text is
    /// kept as written; `$X` and names in it are read when it is evaluated.
    Arithmetic(String),
}

/// A piece inside double quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuotedPart {
    /// Text, with the escapes `\$`, `` \` ``, `\"` and `\\` removed.
    Literal(String),
    /// A parameter, such as the `$X` of `"a $X"`.
    Param(Param),
    /// `"$(list)"`: the list's output, trailing newlines removed, never split.
    Command(List),
    /// `"$((expression))"`: the expression's value.
    Arithmetic(String),
}

/// A parameter reference: `$NAME`, `${NAME}`, `$?`, `$1`, `$@`, ...
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    /// A parameter looked up by name with [`crate::Environment::var`]: a variable (`X`),
    /// a special parameter (`?`, `$`, `!`, `#`) or a positional one (`0`, `1`, ..., `10`
    /// from `${10}`). Digit names have no leading zeros.
    Var(String),
    /// `$@`: every positional parameter; inside double quotes, each one a separate field.
    At,
    /// `$*`: every positional parameter; inside double quotes, joined by spaces into one field.
    Star,
}

/// Standard input, which `<` and `<&` change when no descriptor is written.
const STDIN: u32 = 0;
/// Standard output, which `>`, `>>` and `>&` change when no descriptor is written.
const STDOUT: u32 = 1;

impl RedirKind {
    /// The descriptor this kind of redirection changes when none is written: standard input
    /// for `<` and `<&`, standard output for `>`, `>>` and `>&`.
    pub fn default_fd(&self) -> u32 {
        match self {
            RedirKind::Read(_) | RedirKind::DupIn(_) => STDIN,
            RedirKind::Write(_) | RedirKind::Append(_) | RedirKind::DupOut(_) => STDOUT,
        }
    }
}

impl Word {
    /// A word of one unquoted literal piece (no pieces for `""`), as when building a tree by
    /// hand; the text is taken as is, so `Word::literal("a b")` is one word with a blank in it.
    pub fn literal(text: &str) -> Word {
        let mut parts = Vec::new();
        if !text.is_empty() {
            parts.push(WordPart::Literal(String::from(text)));
        }
        Word { parts }
    }
}
