//! Arranging tokens into the tree of [`crate::ast`].
//!
//! The grammar is the part of POSIX XCU §2.10.2 that has no compound commands:
//!
//! ```text
//! list      := linebreak ( and_or ( ';' | '&' | newline ) linebreak )* [ and_or ]
//! and_or    := pipeline ( ( '&&' | '||' ) linebreak pipeline )*
//! pipeline  := [ '!' ] command ( '|' linebreak command )*
//! command   := ( assignment | redirection )* ( word | redirection )*   -- at least one item
//! linebreak := newline*
//! ```
//!
//! Nothing in it nests, so each rule is one loop (a recursive-descent parser would recurse
//! only to climb back out at once) and the parser's stack use does not grow with the input.
//! Newlines may follow `|`, `&&` and `||`, so a long pipeline can be broken over lines.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::iter::Peekable;

use crate::ast::{
    AndOr, Assignment, Command, Connector, List, Pipeline, RedirKind, Redirection, Separator, Word,
    WordPart,
};
use crate::error::{SyntaxError, SyntaxErrorKind};
use crate::lexer::{self, assignment_name, Op, Token, TokenKind};
use crate::MAX_INPUT_BYTES;

/// Parses a command line, or a whole script, into a [`List`]. Words are left unexpanded.
///
/// A blank line, or one holding only a comment, is an empty list. On failure the error says
/// what and where, and whether the input is merely [incomplete](SyntaxError::is_incomplete).
pub fn parse(input: &str) -> Result<List, SyntaxError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(SyntaxError::new(
            SyntaxErrorKind::TooLong(input.len()),
            input,
            0,
        ));
    }
    let tokens = lexer::tokenize(input)?;
    Parser {
        input,
        tokens: tokens.into_iter().peekable(),
    }
    .list()
}

/// What came just before a command, for the message when the command is missing.
#[derive(Clone, Copy)]
struct After {
    /// The operator as written: `|`, `&&`, `||` or `!`.
    op: &'static str,
    /// Where it is.
    offset: usize,
}

struct Parser<'a> {
    input: &'a str,
    tokens: Peekable<alloc::vec::IntoIter<Token<'a>>>,
}

impl<'a> Parser<'a> {
    fn list(mut self) -> Result<List, SyntaxError> {
        let mut items = Vec::new();
        loop {
            self.skip_newlines();
            if self.tokens.peek().is_none() {
                return Ok(List { items });
            }
            let and_or = self.and_or()?;
            let separator = match self.tokens.next() {
                None => Separator::Sequential,
                Some(Token {
                    kind: TokenKind::Op(Op::Semi | Op::Newline),
                    ..
                }) => Separator::Sequential,
                Some(Token {
                    kind: TokenKind::Op(Op::Amp),
                    ..
                }) => Separator::Background,
                // A command stops only at an operator that is not a redirection, and and_or
                // takes `|`, `&&` and `||`; only separators are left.
                Some(other) => return Err(unexpected(self.input, &other)),
            };
            items.push((and_or, separator));
        }
    }

    fn and_or(&mut self) -> Result<AndOr, SyntaxError> {
        let first = self.pipeline(None)?;
        let mut rest = Vec::new();
        loop {
            let (connector, op) = match self.peek_op() {
                Some(Op::AndIf) => (Connector::And, Op::AndIf),
                Some(Op::OrIf) => (Connector::Or, Op::OrIf),
                _ => return Ok(AndOr { first, rest }),
            };
            let offset = self.next_offset();
            self.tokens.next();
            self.skip_newlines();
            let after = After {
                op: op.text(),
                offset,
            };
            rest.push((connector, self.pipeline(Some(after))?));
        }
    }

    /// Parses a pipeline; `after` is the `&&` or `||` before it, if any.
    fn pipeline(&mut self, mut after: Option<After>) -> Result<Pipeline, SyntaxError> {
        let mut negated = false;
        // Only an unquoted, unescaped `!` standing alone negates; POSIX allows one, but
        // common shells accept several, each inverting again, and so does this one.
        while let Some(Token {
            kind: TokenKind::Word { raw: "!", .. },
            offset,
        }) = self.tokens.peek()
        {
            after = Some(After {
                op: "!",
                offset: *offset,
            });
            negated = !negated;
            self.tokens.next();
        }
        let mut commands = alloc::vec![self.command(after)?];
        while self.peek_op() == Some(Op::Pipe) {
            let offset = self.next_offset();
            self.tokens.next();
            self.skip_newlines();
            commands.push(self.command(Some(After { op: "|", offset }))?);
        }
        Ok(Pipeline { negated, commands })
    }

    /// Parses a simple command; `after` is the operator before it, if any, for the message
    /// when there is no command.
    fn command(&mut self, after: Option<After>) -> Result<Command, SyntaxError> {
        let mut command = Command::default();
        loop {
            let Some(token) = self.tokens.peek() else {
                break;
            };
            match token.kind {
                TokenKind::Word { .. } => {
                    let Some((word, raw)) = self.next_word() else {
                        break;
                    };
                    match assignment(&word, raw) {
                        Some(assignment) if command.words.is_empty() => {
                            command.assignments.push(assignment);
                        }
                        _ => command.words.push(word),
                    }
                }
                TokenKind::IoNumber(_)
                | TokenKind::Op(Op::Less | Op::Great | Op::DGreat | Op::LessAnd | Op::GreatAnd) => {
                    let redirection = self.redirection()?;
                    command.redirections.push(redirection);
                }
                TokenKind::Op(_) => break,
            }
        }
        let empty = command.assignments.is_empty()
            && command.words.is_empty()
            && command.redirections.is_empty();
        if !empty {
            return Ok(command);
        }
        Err(match (after, self.tokens.peek()) {
            // `|`, `&&` or `||` ends the input: the command may be on the next line. A lone
            // `!` is not in that list: POSIX does not let a newline follow it.
            (Some(after), None) if after.op != "!" => SyntaxError::new(
                SyntaxErrorKind::UnfinishedOperator(after.op),
                self.input,
                after.offset,
            ),
            (Some(after), _) => SyntaxError::new(
                SyntaxErrorKind::MissingCommand(after.op),
                self.input,
                after.offset,
            ),
            (None, Some(token)) => unexpected(self.input, token),
            // `list` only starts a command when a token is left.
            (None, None) => SyntaxError::new(
                SyntaxErrorKind::Unexpected("end of input"),
                self.input,
                self.input.len(),
            ),
        })
    }

    /// Parses `[n]op target`, the next token being the number or the operator.
    fn redirection(&mut self) -> Result<Redirection, SyntaxError> {
        // Errors point at the start of the redirection, its number included.
        let offset = self.next_offset();
        let mut fd = None;
        if let Some(Token {
            kind: TokenKind::IoNumber(n),
            ..
        }) = self.tokens.peek()
        {
            fd = Some(*n);
            self.tokens.next();
        }
        // The lexer makes an IoNumber only right before `<` or `>`, so an operator follows.
        let op = match self.tokens.next() {
            Some(Token {
                kind: TokenKind::Op(op),
                ..
            }) => op,
            _ => Op::Great,
        };
        let target = self.next_word();
        let error = |kind| SyntaxError::new(kind, self.input, offset);
        let file = |target: Option<(Word, &str)>| match target {
            Some((word, _)) => Ok(word),
            None => Err(error(SyntaxErrorKind::MissingRedirectTarget(op.text()))),
        };
        // One digit is at most MAX_FD, so no range check is needed after this.
        let descriptor = |target: Option<(Word, &str)>| {
            target
                .and_then(|(_, raw)| single_digit(raw))
                .ok_or_else(|| error(SyntaxErrorKind::BadDupTarget(op.text())))
        };
        let kind = match op {
            Op::Less => RedirKind::Read(file(target)?),
            Op::DGreat => RedirKind::Append(file(target)?),
            Op::LessAnd => RedirKind::DupIn(descriptor(target)?),
            Op::GreatAnd => RedirKind::DupOut(descriptor(target)?),
            _ => RedirKind::Write(file(target)?),
        };
        Ok(Redirection {
            fd: fd.unwrap_or_else(|| kind.default_fd()),
            kind,
        })
    }

    /// Takes the next token if it is a word, with the text it was written as.
    fn next_word(&mut self) -> Option<(Word, &'a str)> {
        let token = self
            .tokens
            .next_if(|token| matches!(token.kind, TokenKind::Word { .. }))?;
        match token.kind {
            TokenKind::Word { word, raw } => Some((word, raw)),
            _ => None,
        }
    }

    fn skip_newlines(&mut self) {
        while self.peek_op() == Some(Op::Newline) {
            self.tokens.next();
        }
    }

    fn peek_op(&mut self) -> Option<Op> {
        match self.tokens.peek() {
            Some(Token {
                kind: TokenKind::Op(op),
                ..
            }) => Some(*op),
            _ => None,
        }
    }

    /// The offset of the next token, or the end of the input.
    fn next_offset(&mut self) -> usize {
        self.tokens
            .peek()
            .map_or(self.input.len(), |token| token.offset)
    }
}

/// The value of `raw` if it is exactly one unquoted decimal digit.
fn single_digit(raw: &str) -> Option<u32> {
    let mut chars = raw.chars();
    let digit = chars.next()?.to_digit(10)?;
    chars.next().is_none().then_some(digit)
}

/// The error for an operator found where a command should start.
fn unexpected(input: &str, token: &Token<'_>) -> SyntaxError {
    let what = match &token.kind {
        TokenKind::Op(op) => op.text(),
        // Words and numbers always start or continue a command, so they are never
        // unexpected; this arm is here only for completeness.
        TokenKind::Word { .. } | TokenKind::IoNumber(_) => "word",
    };
    SyntaxError::new(SyntaxErrorKind::Unexpected(what), input, token.offset)
}

/// The assignment a word written as `raw` stands for, if it is one: an unquoted name, then
/// an unquoted `=` (XCU §2.10.2 rule 7). The value is the rest of the word, pieces and all.
fn assignment(word: &Word, raw: &str) -> Option<Assignment> {
    // The raw text shows quoting and escapes, which are not name characters: `X\=1` fails here.
    let name = assignment_name(raw)?;
    // The name and `=` are plain characters, so the lexer put them at the start of the first
    // literal piece; the value is that piece's remainder followed by the other pieces.
    let mut parts = word.parts.iter();
    let Some(WordPart::Literal(first)) = parts.next() else {
        return None;
    };
    let mut value = Vec::new();
    let remainder = first.get(name.len() + 1..)?;
    if !remainder.is_empty() {
        value.push(WordPart::Literal(remainder.to_string()));
    }
    value.extend(parts.cloned());
    Some(Assignment {
        name: String::from(name),
        value: Word { parts: value },
    })
}
