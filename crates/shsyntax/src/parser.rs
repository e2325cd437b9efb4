//! Arranging tokens into the tree of [`crate::ast`].
//!
//! The grammar is POSIX XCU §2.10.2 without here-documents, one function per rule:
//!
//! ```text
//! program    := list                                     -- and nothing after it
//! list       := linebreak ( and_or ( ';' | '&' | newline ) linebreak )* [ and_or ]
//! and_or     := pipeline ( ( '&&' | '||' ) linebreak pipeline )*
//! pipeline   := '!'* command ( '|' linebreak command )*
//! command    := compound redirection*
//!             | NAME '(' ')' linebreak compound redirection*       -- a function
//!             | ( assignment | redirection )* ( word | redirection )*
//! compound   := '{' list '}' | '(' list ')'
//!             | 'if' list 'then' list ( 'elif' list 'then' list )* [ 'else' list ] 'fi'
//!             | ( 'while' | 'until' ) list 'do' list 'done'
//!             | 'for' NAME [ linebreak 'in' word* ] ( ';' | newline ) linebreak 'do' list 'done'
//!             | 'case' word linebreak 'in' linebreak arm* 'esac'
//! arm        := [ '(' ] word ( '|' word )* ')' list [ ';;' ] linebreak
//! linebreak  := newline*
//! ```
//!
//! Reserved words (`if`, `then`, `fi`, `{`, `}`...) are ordinary words to the lexer; the parser
//! recognises them only where a command starts, and only unquoted, as POSIX says: `echo if`
//! prints `if`, and `\if` runs a program called `if`. A list stops before the word that ends
//! the construct around it (`then`, `fi`, `done`, `esac`, `}`...), before `)` and `;;`.
//!
//! Compound commands nest, so this parser recurses; so does command substitution, whose `$(...)`
//! the lexer hands back here. Both count their depth and stop at [`crate::MAX_DEPTH`], so no
//! input, however deep, can overflow the stack.

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::ast::{
    AndOr, Assignment, CaseArm, Command, Compound, CompoundCommand, Connector, FunctionDefinition,
    List, Pipeline, RedirKind, Redirection, Separator, SimpleCommand, Word, WordPart,
};
use crate::error::{SyntaxError, SyntaxErrorKind};
use crate::lexer::{self, assignment_name, is_name_char, is_name_start, Op, Token, TokenKind};
use crate::{MAX_DEPTH, MAX_INPUT_BYTES};

/// The words that end a list when they stand where a command would start.
const LIST_ENDS: [&str; 8] = ["then", "elif", "else", "fi", "do", "done", "esac", "}"];

/// Every reserved word (XCU §2.4), which a function may not be named.
const RESERVED: [&str; 16] = [
    "!", "{", "}", "case", "do", "done", "elif", "else", "esac", "fi", "for", "if", "in", "then",
    "until", "while",
];

/// Parses a command line, or a whole script, into a [`List`]. Words are left unexpanded.
///
/// A blank line, or one holding only a comment, is an empty list. On failure the error says
/// what and where, and whether the input is merely [incomplete](SyntaxError::is_incomplete).
pub fn parse(input: &str) -> Result<List, SyntaxError> {
    parse_nested(input, 0)
}

/// Parses `input` found `depth` command substitutions deep.
pub(crate) fn parse_nested(input: &str, depth: usize) -> Result<List, SyntaxError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(SyntaxError::new(
            SyntaxErrorKind::TooLong(input.len()),
            input,
            0,
        ));
    }
    if depth > MAX_DEPTH {
        return Err(SyntaxError::new(SyntaxErrorKind::TooDeep, input, 0));
    }
    let tokens = lexer::tokenize(input, depth)?;
    let mut parser = Parser {
        input,
        tokens,
        next: 0,
        depth,
    };
    let list = parser.list()?;
    match parser.peek() {
        None => Ok(list),
        Some(token) => Err(parser.unexpected(token)),
    }
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
    tokens: Vec<Token<'a>>,
    /// Index of the next token.
    next: usize,
    /// How deeply the current construct is nested.
    depth: usize,
}

impl<'a> Parser<'a> {
    /// A list, up to the end of the input or the token that ends the construct around it.
    fn list(&mut self) -> Result<List, SyntaxError> {
        let mut items = Vec::new();
        loop {
            self.skip_newlines();
            if self.at_list_end() {
                return Ok(List { items });
            }
            let and_or = self.and_or()?;
            let separator = match self.peek_op() {
                Some(Op::Semi | Op::Newline) => {
                    self.next += 1;
                    Separator::Sequential
                }
                Some(Op::Amp) => {
                    self.next += 1;
                    Separator::Background
                }
                // The end, `)` or `;;`: the list ends here, the construct around it decides.
                None | Some(Op::RParen | Op::DSemi) => Separator::Sequential,
                // A command stops only at an operator that is not a redirection, and and_or
                // takes `|`, `&&` and `||`; only separators are left.
                Some(_) => {
                    let token = self.peek().map_or(0, |t| t.offset);
                    let what = self.peek_op().map_or("word", Op::text);
                    return Err(self.error(SyntaxErrorKind::Unexpected(what), token));
                }
            };
            items.push((and_or, separator));
        }
    }

    /// Whether the next token ends a list: none left, `)`, `;;`, or a word of [`LIST_ENDS`].
    fn at_list_end(&self) -> bool {
        match self.peek() {
            None => true,
            Some(Token {
                kind: TokenKind::Op(op),
                ..
            }) => matches!(op, Op::RParen | Op::DSemi),
            Some(Token {
                kind: TokenKind::Word { raw, .. },
                ..
            }) => LIST_ENDS.contains(raw),
            Some(_) => false,
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
            self.next += 1;
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
        while let Some(offset) = self.peek_reserved("!") {
            after = Some(After { op: "!", offset });
            negated = !negated;
            self.next += 1;
        }
        let mut commands = alloc::vec![self.command(after)?];
        while self.peek_op() == Some(Op::Pipe) {
            let offset = self.next_offset();
            self.next += 1;
            self.skip_newlines();
            commands.push(self.command(Some(After { op: "|", offset }))?);
        }
        Ok(Pipeline { negated, commands })
    }

    /// Parses one command; `after` is the operator before it, if any, for the message when
    /// there is no command.
    fn command(&mut self, after: Option<After>) -> Result<Command, SyntaxError> {
        if self.starts_compound() {
            return Ok(Command::Compound(self.compound_command()?));
        }
        if let Some(name) = self.function_name() {
            return self.function(name);
        }
        self.simple(after).map(Command::Simple)
    }

    /// Whether a compound command starts here: `(`, or an unquoted `{`, `if`, `while`,
    /// `until`, `for` or `case`.
    fn starts_compound(&self) -> bool {
        match self.peek() {
            Some(Token {
                kind: TokenKind::Op(Op::LParen),
                ..
            }) => true,
            Some(Token {
                kind: TokenKind::Word { raw, .. },
                ..
            }) => matches!(*raw, "{" | "if" | "while" | "until" | "for" | "case"),
            _ => false,
        }
    }

    /// A compound command and the redirections after it.
    fn compound_command(&mut self) -> Result<CompoundCommand, SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(SyntaxErrorKind::TooDeep, self.next_offset()));
        }
        let start = self.next_offset();
        let kind = match self.peek() {
            Some(Token {
                kind: TokenKind::Op(Op::LParen),
                ..
            }) => {
                self.next += 1;
                let list = self.body("(")?;
                self.close_op(Op::RParen, "(", start)?;
                Compound::Subshell(list)
            }
            Some(Token {
                kind: TokenKind::Word { raw, .. },
                ..
            }) => {
                let raw = *raw;
                self.next += 1;
                match raw {
                    "{" => {
                        let list = self.body("{")?;
                        self.close_word("}", "{", start)?;
                        Compound::Group(list)
                    }
                    "if" => self.if_clause(start)?,
                    "while" | "until" => {
                        let open = if raw == "while" { "while" } else { "until" };
                        let condition = self.body(open)?;
                        self.expect_word("do", open, start)?;
                        let body = self.body("do")?;
                        self.close_word("done", open, start)?;
                        Compound::While {
                            until: raw == "until",
                            condition,
                            body,
                        }
                    }
                    "for" => self.for_clause(start)?,
                    _ => self.case_clause(start)?,
                }
            }
            _ => unreachable!("starts_compound was checked"),
        };
        self.depth -= 1;
        let mut redirections = Vec::new();
        while self.at_redirection() {
            redirections.push(self.redirection()?);
        }
        Ok(CompoundCommand { kind, redirections })
    }

    /// `if` after its first word: conditions, bodies, `fi`.
    fn if_clause(&mut self, start: usize) -> Result<Compound, SyntaxError> {
        let mut branches = Vec::new();
        let mut otherwise = None;
        let mut keyword = "if";
        loop {
            let condition = self.body(keyword)?;
            self.expect_word("then", "if", start)?;
            let then = self.body("then")?;
            branches.push((condition, then));
            match self.peek_word_raw() {
                Some("elif") => {
                    self.next += 1;
                    keyword = "elif";
                }
                Some("else") => {
                    self.next += 1;
                    otherwise = Some(self.body("else")?);
                    self.close_word("fi", "if", start)?;
                    break;
                }
                _ => {
                    self.close_word("fi", "if", start)?;
                    break;
                }
            }
        }
        Ok(Compound::If {
            branches,
            otherwise,
        })
    }

    /// `for` after its first word.
    fn for_clause(&mut self, start: usize) -> Result<Compound, SyntaxError> {
        let Some((word, raw)) = self.next_word() else {
            return Err(self.missing("a name", "for", start));
        };
        let name = match word.parts.as_slice() {
            [WordPart::Literal(text)] if is_name(text) && raw == text => text.clone(),
            _ => return Err(self.error(SyntaxErrorKind::BadName(raw.to_string()), start)),
        };
        self.skip_newlines();
        let mut words = None;
        if self.peek_word_raw() == Some("in") {
            self.next += 1;
            let mut list = Vec::new();
            while let Some((word, _)) = self.next_word() {
                list.push(word);
            }
            words = Some(list);
            match self.peek_op() {
                Some(Op::Semi | Op::Newline) => self.next += 1,
                None => return Err(self.unclosed("for", "done", start)),
                Some(_) => return Err(self.missing("do", "for", start)),
            }
        } else if self.peek_op() == Some(Op::Semi) {
            self.next += 1;
        }
        self.skip_newlines();
        self.expect_word("do", "for", start)?;
        let body = self.body("do")?;
        self.close_word("done", "for", start)?;
        Ok(Compound::For { name, words, body })
    }

    /// `case` after its first word.
    fn case_clause(&mut self, start: usize) -> Result<Compound, SyntaxError> {
        let Some((word, _)) = self.next_word() else {
            return Err(self.missing("a word", "case", start));
        };
        self.skip_newlines();
        self.expect_word("in", "case", start)?;
        let mut arms = Vec::new();
        loop {
            self.skip_newlines();
            match self.peek() {
                None => return Err(self.unclosed("case", "esac", start)),
                Some(Token {
                    kind: TokenKind::Word { raw: "esac", .. },
                    ..
                }) => {
                    self.next += 1;
                    break;
                }
                _ => {}
            }
            if self.peek_op() == Some(Op::LParen) {
                self.next += 1;
            }
            let mut patterns = Vec::new();
            loop {
                let Some((pattern, _)) = self.next_word() else {
                    return Err(match self.peek() {
                        None => self.unclosed("case", "esac", start),
                        Some(_) => self.missing("a pattern", "case", start),
                    });
                };
                patterns.push(pattern);
                match self.peek_op() {
                    Some(Op::Pipe) => self.next += 1,
                    Some(Op::RParen) => {
                        self.next += 1;
                        break;
                    }
                    None if self.peek().is_none() => {
                        return Err(self.unclosed("case", "esac", start))
                    }
                    _ => return Err(self.missing(")", "case", start)),
                }
            }
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(self.error(SyntaxErrorKind::TooDeep, self.next_offset()));
            }
            let body = self.list()?;
            self.depth -= 1;
            arms.push(CaseArm { patterns, body });
            match self.peek() {
                Some(Token {
                    kind: TokenKind::Op(Op::DSemi),
                    ..
                }) => self.next += 1,
                Some(Token {
                    kind: TokenKind::Word { raw: "esac", .. },
                    ..
                }) => {}
                None => return Err(self.unclosed("case", "esac", start)),
                Some(token) => return Err(self.unexpected(token)),
            }
        }
        Ok(Compound::Case { word, arms })
    }

    /// A function's name, if a definition starts here: a valid name, unquoted and not a
    /// reserved word, then `(` and `)`.
    fn function_name(&self) -> Option<String> {
        let Some(Token {
            kind: TokenKind::Word { raw, .. },
            ..
        }) = self.tokens.get(self.next)
        else {
            return None;
        };
        let opens = matches!(
            self.tokens.get(self.next + 1),
            Some(Token {
                kind: TokenKind::Op(Op::LParen),
                ..
            })
        );
        (opens && is_name(raw) && !RESERVED.contains(raw)).then(|| raw.to_string())
    }

    /// `name() compound`, the name already seen.
    fn function(&mut self, name: String) -> Result<Command, SyntaxError> {
        let start = self.next_offset();
        self.next += 2;
        if self.peek_op() != Some(Op::RParen) {
            return Err(self.missing(")", "function", start));
        }
        self.next += 1;
        self.skip_newlines();
        if !self.starts_compound() {
            return Err(match self.peek() {
                None => self.unclosed("()", "a body", start),
                Some(_) => self.missing("{", "function", start),
            });
        }
        let body = Box::new(self.compound_command()?);
        Ok(Command::Function(FunctionDefinition { name, body }))
    }

    /// A list that must hold at least one command, the body of the construct `after` opened.
    fn body(&mut self, after: &'static str) -> Result<List, SyntaxError> {
        let offset = self.next_offset();
        let list = self.list()?;
        if list.items.is_empty() {
            return Err(match self.peek() {
                None => SyntaxError::new(
                    SyntaxErrorKind::Unclosed {
                        open: after,
                        close: closer(after),
                    },
                    self.input,
                    offset,
                ),
                Some(_) => self.error(SyntaxErrorKind::EmptyBody(after), offset),
            });
        }
        Ok(list)
    }

    /// Takes the unquoted word `what` that continues the construct `of` begun at `start`.
    fn expect_word(
        &mut self,
        what: &'static str,
        of: &'static str,
        start: usize,
    ) -> Result<(), SyntaxError> {
        if self.peek_word_raw() == Some(what) {
            self.next += 1;
            return Ok(());
        }
        Err(self.missing(what, of, start))
    }

    /// Takes the unquoted word `close` that ends the construct `open` begun at `start`.
    fn close_word(
        &mut self,
        close: &'static str,
        open: &'static str,
        start: usize,
    ) -> Result<(), SyntaxError> {
        if self.peek_word_raw() == Some(close) {
            self.next += 1;
            return Ok(());
        }
        Err(match self.peek() {
            None => self.unclosed(open, close, start),
            Some(token) => self.unexpected(token),
        })
    }

    /// Takes the operator `close` (`)`) that ends the construct `open` begun at `start`.
    fn close_op(&mut self, close: Op, open: &'static str, start: usize) -> Result<(), SyntaxError> {
        if self.peek_op() == Some(close) {
            self.next += 1;
            return Ok(());
        }
        Err(match self.peek() {
            None => self.unclosed(open, close.text(), start),
            Some(token) => self.unexpected(token),
        })
    }

    /// The error for a missing `what` in `of`: incomplete if the input has ended.
    fn missing(&self, what: &'static str, of: &'static str, start: usize) -> SyntaxError {
        match self.peek() {
            None => self.unclosed(of, closer(of), start),
            Some(token) => self.error(SyntaxErrorKind::Expected { what, of }, token.offset),
        }
    }

    fn unclosed(&self, open: &'static str, close: &'static str, start: usize) -> SyntaxError {
        self.error(SyntaxErrorKind::Unclosed { open, close }, start)
    }

    /// Parses a simple command; `after` is the operator before it, if any, for the message
    /// when there is no command.
    fn simple(&mut self, after: Option<After>) -> Result<SimpleCommand, SyntaxError> {
        let mut command = SimpleCommand::default();
        while let Some(token) = self.peek() {
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
        Err(match (after, self.peek()) {
            // `|`, `&&` or `||` ends the input: the command may be on the next line. A lone
            // `!` is not in that list: POSIX does not let a newline follow it.
            (Some(after), None) if after.op != "!" => {
                self.error(SyntaxErrorKind::UnfinishedOperator(after.op), after.offset)
            }
            (Some(after), _) => self.error(SyntaxErrorKind::MissingCommand(after.op), after.offset),
            (None, Some(token)) => self.unexpected(token),
            // `list` only starts a command when a token is left.
            (None, None) => self.error(
                SyntaxErrorKind::Unexpected("end of input"),
                self.input.len(),
            ),
        })
    }

    /// Whether a redirection starts here.
    fn at_redirection(&self) -> bool {
        matches!(
            self.peek().map(|t| &t.kind),
            Some(
                TokenKind::IoNumber(_)
                    | TokenKind::Op(Op::Less | Op::Great | Op::DGreat | Op::LessAnd | Op::GreatAnd)
            )
        )
    }

    /// Parses `[n]op target`, the next token being the number or the operator.
    fn redirection(&mut self) -> Result<Redirection, SyntaxError> {
        // Errors point at the start of the redirection, its number included.
        let offset = self.next_offset();
        let mut fd = None;
        if let Some(Token {
            kind: TokenKind::IoNumber(n),
            ..
        }) = self.peek()
        {
            fd = Some(*n);
            self.next += 1;
        }
        // The lexer makes an IoNumber only right before `<` or `>`, so an operator follows.
        let op = match self.peek_op() {
            Some(op) => {
                self.next += 1;
                op
            }
            None => Op::Great,
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
        match self.tokens.get_mut(self.next) {
            Some(Token {
                kind: TokenKind::Word { word, raw },
                ..
            }) => {
                let taken = (core::mem::take(word), *raw);
                self.next += 1;
                Some(taken)
            }
            _ => None,
        }
    }

    fn skip_newlines(&mut self) {
        while self.peek_op() == Some(Op::Newline) {
            self.next += 1;
        }
    }

    fn peek(&self) -> Option<&Token<'a>> {
        self.tokens.get(self.next)
    }

    fn peek_op(&self) -> Option<Op> {
        match self.peek() {
            Some(Token {
                kind: TokenKind::Op(op),
                ..
            }) => Some(*op),
            _ => None,
        }
    }

    /// The next token's text if it is a word.
    fn peek_word_raw(&self) -> Option<&'a str> {
        match self.peek() {
            Some(Token {
                kind: TokenKind::Word { raw, .. },
                ..
            }) => Some(raw),
            _ => None,
        }
    }

    /// The offset of the next token if it is the unquoted word `word`.
    fn peek_reserved(&self, word: &str) -> Option<usize> {
        match self.peek() {
            Some(Token {
                kind: TokenKind::Word { raw, .. },
                offset,
            }) if *raw == word => Some(*offset),
            _ => None,
        }
    }

    /// The offset of the next token, or the end of the input.
    fn next_offset(&self) -> usize {
        self.peek().map_or(self.input.len(), |token| token.offset)
    }

    fn error(&self, kind: SyntaxErrorKind, offset: usize) -> SyntaxError {
        SyntaxError::new(kind, self.input, offset)
    }

    /// The error for a token found where it cannot stand.
    fn unexpected(&self, token: &Token<'_>) -> SyntaxError {
        let what = match &token.kind {
            TokenKind::Op(op) => op.text(),
            TokenKind::Word { raw, .. } => RESERVED
                .iter()
                .find(|reserved| *reserved == raw)
                .copied()
                .unwrap_or("word"),
            TokenKind::IoNumber(_) => "word",
        };
        self.error(SyntaxErrorKind::Unexpected(what), token.offset)
    }
}

/// What closes the construct opened by `open`, for the "not closed" message.
fn closer(open: &str) -> &'static str {
    match open {
        "if" | "then" | "elif" | "else" => "fi",
        "while" | "until" | "for" | "do" => "done",
        "case" => "esac",
        "{" => "}",
        "(" => ")",
        _ => "a command",
    }
}

/// Whether `text` is a valid name (XCU §3.235).
fn is_name(text: &str) -> bool {
    text.starts_with(is_name_start) && text.chars().all(is_name_char)
}

/// The value of `raw` if it is exactly one unquoted decimal digit.
fn single_digit(raw: &str) -> Option<u32> {
    let mut chars = raw.chars();
    let digit = chars.next()?.to_digit(10)?;
    chars.next().is_none().then_some(digit)
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
