//! Cutting a command line into tokens: words, operators, and descriptor numbers.
//!
//! Quoting is resolved here, not in the parser, because quoting decides where a word ends:
//! `'a | b'` is one word, `a | b` is three tokens. So the lexer reads quotes, escapes and `$`
//! forms as it goes and hands the parser each word already split into [`WordPart`]s, together
//! with its raw text. The parser needs the raw text for the few decisions POSIX bases on how a
//! word was *written* rather than what it means: `X=1` is an assignment but `X\=1` and
//! `"X"=1` are not, and `!` negates a pipeline but `\!` is a command name (XCU §2.10.2).
//!
//! The rules follow XCU §2.3 (token recognition) and §2.2 (quoting):
//!
//! - An operator is the longest of `| || & && ; ;; ( ) < > >> <& >& <<` at this point.
//! - A word ends at an unquoted blank, newline or operator character.
//! - `#` starting a word begins a comment to the end of the line.
//! - A word of digits directly before `<` or `>` is the descriptor the redirection changes
//!   (`2>f`); with a blank between (`2 >f`) it is an ordinary argument.
//!
//! The raw-text checks see the text as typed, so a line continuation inside such a word
//! (`X\<newline>Y=1`) makes it an ordinary word, where POSIX would first join the lines. Typing
//! that is rare enough that keeping `raw` a plain slice of the input is the better trade.
//!
//! `$(...)` and `` `...` `` hold a whole list: the lexer finds where they end and hands the text
//! inside to the parser, which is the only recursion here, bounded by [`crate::MAX_DEPTH`].
//! `$((...))` is kept as text for [`crate::arith`]. A backslash before `*`, `?` or `[` makes a
//! quoted piece, so an escaped pattern character never globs.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::ast::{List, Param, QuotedPart, Word, WordPart};
use crate::error::{SyntaxError, SyntaxErrorKind};

/// The highest descriptor a redirection may name: one digit, as POSIX only requires 0-9 to be
/// supported (XCU §2.7) and a teaching shell needs no more. `>&` and `<&` accept one digit too.
const MAX_FD: u32 = 9;

/// An operator token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// `|`
    Pipe,
    /// `&&`
    AndIf,
    /// `||`
    OrIf,
    /// `;`
    Semi,
    /// `&`
    Amp,
    /// An unquoted newline: a separator like `;`.
    Newline,
    /// `<`
    Less,
    /// `>`
    Great,
    /// `>>`
    DGreat,
    /// `<&`
    LessAnd,
    /// `>&`
    GreatAnd,
    /// `(`: a subshell, or the `()` of a function definition.
    LParen,
    /// `)`: the end of a subshell, or of a `case` pattern.
    RParen,
    /// `;;`: the end of a `case` arm.
    DSemi,
}

impl Op {
    /// How many bytes the operator takes in the input (all operators are ASCII).
    fn len(self) -> usize {
        match self {
            Op::AndIf | Op::OrIf | Op::DGreat | Op::LessAnd | Op::GreatAnd | Op::DSemi => 2,
            _ => 1,
        }
    }

    /// The operator as written, for error messages.
    pub(crate) fn text(self) -> &'static str {
        match self {
            Op::Pipe => "|",
            Op::AndIf => "&&",
            Op::OrIf => "||",
            Op::Semi => ";",
            Op::Amp => "&",
            Op::Newline => "newline",
            Op::Less => "<",
            Op::Great => ">",
            Op::DGreat => ">>",
            Op::LessAnd => "<&",
            Op::GreatAnd => ">&",
            Op::LParen => "(",
            Op::RParen => ")",
            Op::DSemi => ";;",
        }
    }
}

/// What a token is.
#[derive(Debug)]
pub(crate) enum TokenKind<'a> {
    /// A word, and the text it was written as (quotes and escapes included).
    Word { word: Word, raw: &'a str },
    /// The digit directly before a redirection operator, as in `2>`.
    IoNumber(u32),
    /// An operator.
    Op(Op),
}

/// A token and where it starts.
#[derive(Debug)]
pub(crate) struct Token<'a> {
    /// What it is.
    pub(crate) kind: TokenKind<'a>,
    /// Byte offset of its first character in the input.
    pub(crate) offset: usize,
}

/// Cuts `src` into tokens, or reports the first lexical error. `depth` is how deeply `src` is
/// nested in command substitutions (0 for a whole input), which the parser bounds.
pub(crate) fn tokenize(src: &str, depth: usize) -> Result<Vec<Token<'_>>, SyntaxError> {
    Lexer {
        src,
        pos: 0,
        tokens: Vec::new(),
        depth,
    }
    .run()
}

/// What a `$` turned out to start.
enum Dollar {
    /// A parameter reference.
    Param(Param),
    /// `$(...)` or `` `...` ``: the parsed list.
    Command(List),
    /// `$((...))`: the expression as written.
    Arithmetic(String),
    /// A `$` that starts nothing (`$`, `$-`, `$ x`): an ordinary character.
    Plain,
}

/// The lexer's state: the input, how far it has read, and the tokens so far.
struct Lexer<'a> {
    src: &'a str,
    /// Byte offset of the next character to read; always on a character boundary.
    pos: usize,
    tokens: Vec<Token<'a>>,
    /// How deeply this input is nested in command substitutions.
    depth: usize,
}

impl<'a> Lexer<'a> {
    fn run(mut self) -> Result<Vec<Token<'a>>, SyntaxError> {
        loop {
            self.skip_blanks()?;
            let start = self.pos;
            let Some(c) = self.peek() else {
                return Ok(self.tokens);
            };
            let op = match c {
                '\n' => Op::Newline,
                '#' => {
                    self.skip_comment();
                    continue;
                }
                ';' if self.peek_second() == Some(';') => Op::DSemi,
                ';' => Op::Semi,
                '&' if self.peek_second() == Some('&') => Op::AndIf,
                '&' => Op::Amp,
                '|' if self.peek_second() == Some('|') => Op::OrIf,
                '|' => Op::Pipe,
                '<' if self.peek_second() == Some('<') => {
                    return Err(self.error(SyntaxErrorKind::HereDocument, start));
                }
                '<' if self.peek_second() == Some('&') => Op::LessAnd,
                '<' => Op::Less,
                '>' if self.peek_second() == Some('>') => Op::DGreat,
                '>' if self.peek_second() == Some('&') => Op::GreatAnd,
                '>' => Op::Great,
                '(' => Op::LParen,
                ')' => Op::RParen,
                _ => {
                    self.word()?;
                    continue;
                }
            };
            self.pos += op.len();
            self.tokens.push(Token {
                kind: TokenKind::Op(op),
                offset: start,
            });
        }
    }

    /// Skips blanks and line continuations between tokens.
    fn skip_blanks(&mut self) -> Result<(), SyntaxError> {
        loop {
            match self.peek() {
                Some(' ' | '\t') => self.pos += 1,
                Some('\\') if self.peek_second() == Some('\n') => self.continuation()?,
                _ => return Ok(()),
            }
        }
    }

    /// Skips a comment, up to but not including the newline, which still separates commands.
    fn skip_comment(&mut self) {
        self.pos = self.src[self.pos..]
            .find('\n')
            .map_or(self.src.len(), |newline| self.pos + newline);
    }

    /// Removes a backslash-newline pair, which joins two lines into one (XCU §2.2.1).
    fn continuation(&mut self) -> Result<(), SyntaxError> {
        let backslash = self.pos;
        self.pos += 2;
        if self.pos == self.src.len() {
            // The user asked for the line to go on, and it did not: more input is due.
            return Err(self.error(SyntaxErrorKind::TrailingBackslash, backslash));
        }
        Ok(())
    }

    /// Reads one word, starting at a character that is not a blank or an operator.
    fn word(&mut self) -> Result<(), SyntaxError> {
        let start = self.pos;
        let mut parts = Vec::new();
        if self.peek() == Some('~') && self.peek_second().is_none_or(ends_tilde) {
            self.pos += 1;
            parts.push(WordPart::Tilde);
        }
        while let Some(c) = self.peek() {
            if ends_word(c) {
                break;
            }
            match c {
                '\\' => {
                    let backslash = self.pos;
                    match self.peek_second() {
                        None => {
                            return Err(self.error(SyntaxErrorKind::TrailingBackslash, backslash))
                        }
                        Some('\n') => self.continuation()?,
                        // An escaped pattern character must not glob: it becomes a quoted
                        // piece, which the expander never treats as a pattern.
                        Some(escaped @ ('*' | '?' | '[')) => {
                            self.pos += 2;
                            parts.push(WordPart::SingleQuoted(escaped.to_string()));
                        }
                        Some(escaped) => {
                            self.pos += 1 + escaped.len_utf8();
                            push_literal(&mut parts, escaped);
                        }
                    }
                }
                '\'' => self.single_quoted(&mut parts)?,
                '"' => self.double_quoted(&mut parts)?,
                '$' => match self.dollar()? {
                    Dollar::Param(param) => parts.push(WordPart::Param(param)),
                    Dollar::Command(list) => parts.push(WordPart::Command(list)),
                    Dollar::Arithmetic(text) => parts.push(WordPart::Arithmetic(text)),
                    Dollar::Plain => push_literal(&mut parts, '$'),
                },
                '`' => parts.push(WordPart::Command(self.backquoted()?)),
                _ => {
                    self.pos += c.len_utf8();
                    push_literal(&mut parts, c);
                }
            }
        }
        let raw = &self.src[start..self.pos];
        let before_redirection = matches!(self.peek(), Some('<' | '>'));
        let kind = if before_redirection && raw.bytes().all(|b| b.is_ascii_digit()) {
            // A word cannot be empty here: `word` starts on a character it consumes.
            match raw.parse::<u32>() {
                Ok(fd) if fd <= MAX_FD => TokenKind::IoNumber(fd),
                _ => {
                    let kind = SyntaxErrorKind::FdOutOfRange(raw.to_string());
                    return Err(self.error(kind, start));
                }
            }
        } else {
            TokenKind::Word {
                word: Word { parts },
                raw,
            }
        };
        self.tokens.push(Token {
            kind,
            offset: start,
        });
        Ok(())
    }

    /// Reads `'...'`: everything up to the next `'` is taken as written, backslashes included.
    fn single_quoted(&mut self, parts: &mut Vec<WordPart>) -> Result<(), SyntaxError> {
        let open = self.pos;
        let body = open + 1;
        let Some(len) = self.src[body..].find('\'') else {
            return Err(self.error(SyntaxErrorKind::UnterminatedSingleQuote, open));
        };
        parts.push(WordPart::SingleQuoted(
            self.src[body..body + len].to_string(),
        ));
        self.pos = body + len + 1;
        Ok(())
    }

    /// Reads `"..."`: parameters are recognised, and a backslash escapes only `$`, `` ` ``,
    /// `"`, `\` and newline (XCU §2.2.3); before anything else it is an ordinary character.
    fn double_quoted(&mut self, parts: &mut Vec<WordPart>) -> Result<(), SyntaxError> {
        let open = self.pos;
        self.pos += 1;
        let mut inner: Vec<QuotedPart> = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error(SyntaxErrorKind::UnterminatedDoubleQuote, open));
            };
            match c {
                '"' => {
                    self.pos += 1;
                    parts.push(WordPart::DoubleQuoted(inner));
                    return Ok(());
                }
                '\\' => match self.peek_second() {
                    Some(escaped @ ('$' | '`' | '"' | '\\')) => {
                        self.pos += 2;
                        push_quoted_literal(&mut inner, escaped);
                    }
                    // A continuation inside quotes; if the input ends after it, the open
                    // quote is what the next round reports.
                    Some('\n') => self.pos += 2,
                    _ => {
                        self.pos += 1;
                        push_quoted_literal(&mut inner, '\\');
                    }
                },
                '$' => match self.dollar()? {
                    Dollar::Param(param) => inner.push(QuotedPart::Param(param)),
                    Dollar::Command(list) => inner.push(QuotedPart::Command(list)),
                    Dollar::Arithmetic(text) => inner.push(QuotedPart::Arithmetic(text)),
                    Dollar::Plain => push_quoted_literal(&mut inner, '$'),
                },
                '`' => inner.push(QuotedPart::Command(self.backquoted()?)),
                _ => {
                    self.pos += c.len_utf8();
                    push_quoted_literal(&mut inner, c);
                }
            }
        }
    }

    /// Reads what a `$` starts (XCU §2.6.2): `$NAME`, `${...}`, `$0`-`$9`, or one of the
    /// special parameters `? $ ! # @ *`. Anything else leaves the `$` an ordinary character.
    fn dollar(&mut self) -> Result<Dollar, SyntaxError> {
        let dollar = self.pos;
        self.pos += 1;
        let Some(c) = self.peek() else {
            return Ok(Dollar::Plain);
        };
        let param = match c {
            '(' if self.peek_second() == Some('(') => return self.arithmetic(dollar),
            '(' => return self.substitution(dollar),
            '{' => {
                let body = self.pos + 1;
                let Some(len) = self.src[body..].find('}') else {
                    return Err(self.error(SyntaxErrorKind::UnterminatedBrace, dollar));
                };
                let inside = &self.src[body..body + len];
                self.pos = body + len + 1;
                match braced_param(inside) {
                    Some(param) => param,
                    None => {
                        let kind = SyntaxErrorKind::BadSubstitution(inside.to_string());
                        return Err(self.error(kind, dollar));
                    }
                }
            }
            _ if is_name_start(c) => {
                let len = self.src[self.pos..]
                    .find(|c: char| !is_name_char(c))
                    .unwrap_or(self.src.len() - self.pos);
                let name = self.src[self.pos..self.pos + len].to_string();
                self.pos += len;
                Param::Var(name)
            }
            // Only one digit: `$10` is `$1` followed by `0`; `${10}` is the tenth.
            '0'..='9' | '?' | '$' | '!' | '#' => {
                self.pos += 1;
                Param::Var(c.to_string())
            }
            '@' => {
                self.pos += 1;
                Param::At
            }
            '*' => {
                self.pos += 1;
                Param::Star
            }
            _ => return Ok(Dollar::Plain),
        };
        Ok(Dollar::Param(param))
    }

    /// Reads `$( list )` from its `$` at `dollar`: finds the `)` that closes it, and parses
    /// the text between as a list of its own.
    fn substitution(&mut self, dollar: usize) -> Result<Dollar, SyntaxError> {
        let body = dollar + 2;
        let Some(len) = closing_paren(&self.src[body..]) else {
            let kind = SyntaxErrorKind::Unclosed {
                open: "$(",
                close: ")",
            };
            return Err(self.error(kind, dollar));
        };
        let list = self.nested(&self.src[body..body + len], body)?;
        self.pos = body + len + 1;
        Ok(Dollar::Command(list))
    }

    /// Reads `` `list` `` from its opening backquote: up to the next unescaped backquote, where
    /// `` \` ``, `\\` and `\$` stand for the characters themselves (XCU §2.6.3).
    fn backquoted(&mut self) -> Result<List, SyntaxError> {
        let open = self.pos;
        let mut inner = String::new();
        let mut at = open + 1;
        loop {
            let Some(c) = self.src[at..].chars().next() else {
                let kind = SyntaxErrorKind::Unclosed {
                    open: "`",
                    close: "`",
                };
                return Err(self.error(kind, open));
            };
            at += c.len_utf8();
            match c {
                '`' => break,
                '\\' => match self.src[at..].chars().next() {
                    Some(escaped @ ('`' | '\\' | '$')) => {
                        inner.push(escaped);
                        at += 1;
                    }
                    _ => inner.push('\\'),
                },
                _ => inner.push(c),
            }
        }
        let list = self.nested(&inner, open + 1)?;
        self.pos = at;
        Ok(list)
    }

    /// Parses `text`, found at `offset` of this input, as a nested list; an error in it is
    /// placed where it is in this input.
    fn nested(&self, text: &str, offset: usize) -> Result<List, SyntaxError> {
        crate::parser::parse_nested(text, self.depth + 1).map_err(|e| {
            // Incomplete inside means incomplete here too; the place moves into this input.
            self.error(e.kind, (offset + e.offset).min(self.src.len()))
        })
    }

    /// Reads `$(( expression ))` from its `$` at `dollar`: the text up to the `))` that closes
    /// it, parentheses inside counted. The expression is evaluated when the word is expanded.
    fn arithmetic(&mut self, dollar: usize) -> Result<Dollar, SyntaxError> {
        let body = dollar + 3;
        if let Some(len) = arithmetic_end(&self.src[body..]) {
            self.pos = body + len + 2;
            return Ok(Dollar::Arithmetic(self.src[body..body + len].to_string()));
        }
        let kind = SyntaxErrorKind::Unclosed {
            open: "$((",
            close: "))",
        };
        Err(self.error(kind, dollar))
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        self.src[self.pos..].chars().nth(1)
    }

    fn error(&self, kind: SyntaxErrorKind, offset: usize) -> SyntaxError {
        SyntaxError::new(kind, self.src, offset)
    }
}

/// The length of the text before the `))` that closes a `$((` whose body `text` is, or `None`
/// if it is not closed: parentheses inside are counted.
pub(crate) fn arithmetic_end(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (at, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            ')' if text[at..].starts_with("))") => return Some(at),
            ')' => return None,
            _ => {}
        }
    }
    None
}

/// The length of the text before the `)` that closes a `$(` whose body `text` is, or `None` if
/// it is not closed: parentheses are counted, and quotes, escapes and nested `$(` skipped.
pub(crate) fn closing_paren(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '\'' => {
                chars.find(|&(_, c)| c == '\'');
            }
            '"' => {
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '(' => depth += 1,
            ')' if depth == 0 => return Some(at),
            ')' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The parameter a `${inside}` names, if `inside` is a name, digits or one special character.
fn braced_param(inside: &str) -> Option<Param> {
    let mut chars = inside.chars();
    let first = chars.next()?;
    if is_name_start(first) && chars.all(is_name_char) {
        return Some(Param::Var(inside.to_string()));
    }
    if inside.bytes().all(|b| b.is_ascii_digit()) {
        // `${01}` and `${1}` are the same parameter; one spelling keeps the tree canonical.
        let digits = inside.trim_start_matches('0');
        let digits = if digits.is_empty() { "0" } else { digits };
        return Some(Param::Var(digits.to_string()));
    }
    match inside {
        "?" | "$" | "!" | "#" => Some(Param::Var(inside.to_string())),
        "@" => Some(Param::At),
        "*" => Some(Param::Star),
        _ => None,
    }
}

/// Whether `c` may start a variable name (XCU §3.235: letters, digits and `_`, not a digit first).
pub(crate) fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

/// Whether `c` may continue a variable name.
pub(crate) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The `NAME` of a text that starts with `NAME=`, if it does: the shape of an assignment.
pub(crate) fn assignment_name(text: &str) -> Option<&str> {
    let (name, _value) = text.split_once('=')?;
    let valid = name.starts_with(is_name_start) && name.chars().all(is_name_char);
    valid.then_some(name)
}

/// Whether an unquoted `c` ends the word being read.
fn ends_word(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')'
    )
}

/// Whether `c`, just after a word's leading `~`, makes that `~` mean `$HOME`: a `/` or the
/// end of the word. Anything else (`~user`, `~'x'`) leaves the `~` literal.
fn ends_tilde(c: char) -> bool {
    c == '/' || ends_word(c)
}

/// Appends `c` to the word, merging it into a trailing literal piece.
fn push_literal(parts: &mut Vec<WordPart>, c: char) {
    match parts.last_mut() {
        Some(WordPart::Literal(text)) => text.push(c),
        _ => parts.push(WordPart::Literal(c.to_string())),
    }
}

/// Appends `c` to a double-quoted piece, merging it into a trailing literal.
fn push_quoted_literal(parts: &mut Vec<QuotedPart>, c: char) {
    match parts.last_mut() {
        Some(QuotedPart::Literal(text)) => text.push(c),
        _ => parts.push(QuotedPart::Literal(c.to_string())),
    }
}
