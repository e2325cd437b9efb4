//! Helpers shared by the test files: a stand-in for the shell's variables, and shorthands for
//! building and picking apart trees.

#![allow(
    dead_code,
    reason = "each test file uses a different subset of the helpers"
)]

use shsyntax::{parse, Command, Environment, Param, QuotedPart, SimpleCommand, Word, WordPart};

/// A fixed set of variables and positional parameters, as the shell would hold them.
#[derive(Default)]
pub struct TestEnv {
    pub vars: Vec<(String, String)>,
    pub positional: Vec<String>,
}

impl TestEnv {
    /// An environment with these variables and positional parameters.
    pub fn new(vars: &[(&str, &str)], positional: &[&str]) -> TestEnv {
        TestEnv {
            vars: vars
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            positional: positional.iter().map(|p| p.to_string()).collect(),
        }
    }
}

impl Environment for TestEnv {
    fn var(&self, name: &str) -> Option<String> {
        if name == "#" {
            return Some(self.positional.len().to_string());
        }
        if let Ok(n @ 1..) = name.parse::<usize>() {
            return self.positional.get(n - 1).cloned();
        }
        self.vars
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    fn positional(&self) -> Vec<String> {
        self.positional.clone()
    }
}

/// Parses a line that must hold exactly one simple command, and returns it.
pub fn simple(line: &str) -> SimpleCommand {
    let list = parse(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
    assert_eq!(list.items.len(), 1, "{line:?}");
    let and_or = &list.items[0].0;
    assert!(and_or.rest.is_empty(), "{line:?}");
    assert_eq!(and_or.first.commands.len(), 1, "{line:?}");
    as_simple(&and_or.first.commands[0]).clone()
}

/// The simple command `command` is; panics if it is another kind.
pub fn as_simple(command: &Command) -> &SimpleCommand {
    match command {
        Command::Simple(simple) => simple,
        other => panic!("not a simple command: {other:?}"),
    }
}

/// A command, or a simple command, seen as a simple command.
pub trait AsSimple {
    fn simple(&self) -> &SimpleCommand;
}

impl AsSimple for Command {
    fn simple(&self) -> &SimpleCommand {
        as_simple(self)
    }
}

impl AsSimple for SimpleCommand {
    fn simple(&self) -> &SimpleCommand {
        self
    }
}

/// An unquoted literal word.
pub fn lit(text: &str) -> Word {
    Word::literal(text)
}

/// A word made of these pieces.
pub fn word(parts: Vec<WordPart>) -> Word {
    Word { parts }
}

/// An unquoted literal piece.
pub fn l(text: &str) -> WordPart {
    WordPart::Literal(text.to_string())
}

/// A single-quoted piece.
pub fn sq(text: &str) -> WordPart {
    WordPart::SingleQuoted(text.to_string())
}

/// A double-quoted piece.
pub fn dq(inner: Vec<QuotedPart>) -> WordPart {
    WordPart::DoubleQuoted(inner)
}

/// A literal inside double quotes.
pub fn ql(text: &str) -> QuotedPart {
    QuotedPart::Literal(text.to_string())
}

/// A variable reference.
pub fn var(name: &str) -> Param {
    Param::Var(name.to_string())
}

/// The words of a command that has only literal words, as strings.
pub fn literal_words(command: &impl AsSimple) -> Vec<String> {
    command
        .simple()
        .words
        .iter()
        .map(|w| match w.parts.as_slice() {
            [WordPart::Literal(text)] => text.clone(),
            other => panic!("not one literal piece: {other:?}"),
        })
        .collect()
}
