//! The language of Ferrite's `/bin/sh`: turning a typed line into a tree of commands, and a
//! word of that tree into the arguments a program receives.
//!
//! A shell is two programs in one. The *language* half decides what `a | b > "$f" && c` means;
//! the *system* half forks, wires pipes with `dup2` and calls `exec`. This crate is the first
//! half only, so that every rule of the language is tested on the host, in milliseconds, without
//! a kernel; the shell in `user/` calls it and does the system calls.
//!
//! The work happens in three steps, each in its own module:
//!
//! 1. `lexer` cuts the text into words and operators (`|`, `&&`, `>`, ...),
//!    removing quotes but remembering which text was quoted.
//! 2. `parser` arranges those tokens into the tree in [`ast`]: a [`List`] of
//!    [`AndOr`] chains of [`Pipeline`]s of [`Command`]s.
//! 3. [`expand`] turns each [`Word`] into strings, at the moment the command runs, by asking an
//!    [`Environment`] (the shell's variables) for the value of `$NAME`, `$?`, `$1`, ...
//!
//! The language is most of the POSIX shell command language (POSIX.1-2017, XCU chapter 2):
//! lists, `&&`/`||`, pipelines, `!`, redirections, assignments, quoting, parameter expansion,
//! command substitution `$(...)` and `` `...` ``, arithmetic `$((...))`, pathname expansion
//! (`*`, `?`, `[...]`), the compound commands `if`, `while`, `until`, `for`, `case`, `{ ...; }`
//! and `( ... )`, and function definitions. What is left out is listed below; anything left out
//! that could be mistaken for something else is an error that names it, never a silent
//! misreading.
//!
//! # Design principles
//!
//! - **Parse now, expand later.** The tree keeps words unexpanded, because expansion depends
//!   on the moment: in `X=1; echo $X` the second command must see the first one's assignment,
//!   and `$?` is the status of whatever ran last.
//! - **Bounded recursion.** Compound commands and substitutions nest, so the parser, the
//!   printer and the expander recurse; the parser refuses input nested more than [`MAX_DEPTH`]
//!   levels ([`SyntaxErrorKind::TooDeep`]), so no input can overflow the stack, and an absurdly
//!   long one is refused with [`SyntaxErrorKind::TooLong`].
//! - **Wrong or unfinished, never both.** A [`SyntaxError`] says where the problem is and, with
//!   [`SyntaxError::is_incomplete`], whether more input (an open quote, a trailing `|`, an `if`
//!   without its `fi`) could still make it valid, so an interactive shell knows to ask for a
//!   continuation line.
//! - **What is printed parses back.** [`List`] implements `Display` as a canonical form with the
//!   quoting preserved; parsing that text again yields the same tree. A seeded fuzz test holds
//!   the parser and the printer to this.
//! - **No dependencies, no `unsafe`, no `std`.** The crate runs inside Ferrite's user space,
//!   which has a heap (`alloc`) but no standard library. Running commands (for `$(...)`) and
//!   listing directories (for `*`) is the shell's: it answers through [`Environment`].
//!
//! # Left out
//!
//! - Here-documents `<<` (an error that says so).
//! - Parameter forms beyond `${NAME}`: `${X:-default}`, `${#X}` and friends (an error).
//! - Assignments inside `$((...))` (`n += 1`; an error that says so).
//! - `IFS`: fields are always split on space, tab and newline.
//! - Tilde forms other than a plain `~` or `~/...` at the start of a word (`~user`, and `~`
//!   after the `=` of an assignment, stay literal).
//! - File descriptors above 9, and the redirections `>&-`, `<>`, `>|`, `&>`.
//! - Aliases and the `$-` parameter.
//! - A `)` without its `(` inside `$(...)` (a `case` pattern written `a)` there): write `(a)`.
//! - A line continuation inside an assignment's name, a `!` or a descriptor number: the word
//!   is then an ordinary word (see the `lexer` module).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod arith;
pub mod ast;
pub mod condition;
pub mod error;
pub mod expand;
pub mod glob;
mod lexer;
mod parser;
mod print;

pub use ast::{
    AndOr, Assignment, CaseArm, Command, Compound, CompoundCommand, Connector, FunctionDefinition,
    List, Param, Pipeline, QuotedPart, RedirKind, Redirection, Separator, SimpleCommand, Word,
    WordPart,
};
pub use error::{SyntaxError, SyntaxErrorKind};
pub use expand::{
    expand_pattern, expand_redirect_target, expand_single, expand_word, Environment, ExpandError,
};
pub use parser::parse;

/// How deeply compound commands and substitutions may nest (`if` in `while` in `$(...)`...):
/// far more than any script needs, and few enough that the parser's recursion stays small.
pub const MAX_DEPTH: usize = 64;

/// The longest input [`parse`] accepts, in bytes.
///
/// A shell line is typed or read from a script, so anything near this size is a mistake (a
/// binary file run as a script, a runaway paste). The tree takes several times the input's
/// size on the heap, and Ferrite's user heap is small; refusing early keeps the failure a
/// clear message rather than an out-of-memory abort. A 100 000-command pipeline (200 KB) fits.
pub const MAX_INPUT_BYTES: usize = 1024 * 1024;
