//! Reading command lines: from a terminal with line editing and history, or plainly from a
//! file or a pipe.
//!
//! On a terminal the shell edits the line itself, with the same line editor as the kernel's
//! console (the `lineedit` crate): arrows, Home/End, Delete, history with Up and Down, Tab to
//! complete a program's name or a path. A line holds up to [`MAX_LINE`] characters, enough for
//! any command chain a person types. For that it needs every key as it is typed, so while it reads a
//! line it switches the terminal out of canonical mode and echo (`TCSETS`, exactly as a Linux
//! program does), and switches it back before running anything, so programs get the terminal
//! in the state they expect. The terminal then sends keys as bytes, arrows as escape
//! sequences, which `lineedit`'s decoder turns back into keys.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write};
use lineedit::{Complete, Key, LineEditor, Outcome, SerialDecoder};
use runtime::abi::tty::{self, Termios};
use runtime::{print, println, sys};

/// Most characters a typed line holds (POSIX asks `LINE_MAX` to be at least 2,048; Linux's
/// terminal takes 4,096).
pub const MAX_LINE: usize = 4096;
/// Ctrl-D.
const END_OF_TRANSMISSION: u8 = 0x04;
/// Ctrl-L.
const FORM_FEED: u8 = 0x0c;

/// What reading a line gave.
pub enum Line {
    /// A line (without its newline).
    Text(String),
    /// End of input: Ctrl-D on an empty line, or the end of a file.
    End,
    /// Ctrl-C: the line was abandoned (the editor has echoed `^C`).
    Cancelled,
}

/// Output to standard output, for the line editor.
struct Out;

impl Write for Out {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        print!("{s}");
        Ok(())
    }
}

/// Tab's completions: the first word from the commands (builtins and `/bin`'s programs), and
/// any word with a `/` in it, or after the first, from the file system.
struct Completer {
    commands: &'static [&'static str],
}

impl Complete for Completer {
    fn completes_arguments(&self) -> bool {
        true
    }

    fn complete(&mut self, word: &str, first: bool) -> Vec<String> {
        if first && !word.contains('/') {
            return self
                .commands
                .iter()
                .filter(|name| name.starts_with(word))
                .map(|name| String::from(*name))
                .collect();
        }
        paths(word)
    }
}

/// The paths that complete `word`: the entries of its directory part (the working directory if
/// it has none) whose names start with its last part; a directory's ends with `/`. Hidden names
/// only when the last part starts with a dot, as shells do.
fn paths(word: &str) -> Vec<String> {
    let (directory, start) = match word.rfind('/') {
        Some(at) => (&word[..=at], &word[at + 1..]),
        None => ("", word),
    };
    let Ok(entries) = runtime::fs::read_dir(if directory.is_empty() { "." } else { directory })
    else {
        return Vec::new();
    };
    let mut found: Vec<String> = entries
        .iter()
        .filter(|e| e.name != "." && e.name != "..")
        .filter(|e| {
            e.name.starts_with(start) && (start.starts_with('.') || !e.name.starts_with('.'))
        })
        .map(|e| {
            let slash = if e.kind == runtime::abi::dirent::DT_DIR {
                "/"
            } else {
                ""
            };
            alloc::format!("{directory}{}{slash}", e.name)
        })
        .collect();
    found.sort();
    found
}

/// A line reader on a terminal.
pub struct Editor {
    editor: Box<LineEditor>,
    completer: Completer,
    decoder: SerialDecoder,
    /// The terminal's settings outside line reading.
    cooked: Termios,
}

impl Editor {
    /// An editor on standard input, if it is a terminal; Tab completes `words`.
    pub fn new(words: &'static [&'static str]) -> Option<Editor> {
        let cooked: Termios = sys::ioctl_get(0, tty::TCGETS).ok()?;
        Some(Editor {
            editor: Box::new(LineEditor::with_limit(MAX_LINE)),
            completer: Completer { commands: words },
            decoder: SerialDecoder::new(),
            cooked,
        })
    }

    /// Sets the terminal for reading keys one by one, without echo or signal keys.
    fn raw(&self) {
        let mut raw = self.cooked;
        raw.c_lflag &= !(tty::ICANON | tty::ECHO | tty::ISIG | tty::IEXTEN);
        raw.c_iflag &= !tty::ICRNL;
        raw.c_cc[tty::VMIN] = 1;
        raw.c_cc[tty::VTIME] = 0;
        let _ = sys::ioctl_set(0, tty::TCSETS, &raw);
    }

    /// Gives the terminal back its settings for programs.
    fn cooked(&self) {
        let _ = sys::ioctl_set(0, tty::TCSETS, &self.cooked);
    }

    /// Reads one line after printing `prompt`.
    pub fn read(&mut self, prompt: &str) -> Line {
        if let Ok(settings) = sys::ioctl_get::<Termios>(0, tty::TCGETS) {
            // A program may have left the terminal raw; start from sane settings.
            if settings.c_lflag & tty::ICANON != 0 {
                self.cooked = settings;
            }
        }
        self.raw();
        print!("{prompt}");
        let line = self.edit(prompt);
        self.cooked();
        line
    }

    fn edit(&mut self, prompt: &str) -> Line {
        let mut warned = false;
        loop {
            // What the editor printed (the prompt, the echo of the last key) goes out now:
            // standard output is buffered by line, and these have none.
            runtime::print::flush();
            // A byte that followed a lone Escape comes out of the decoder first.
            let key = match self.decoder.replayed() {
                Some(key) => key,
                None => {
                    let mut byte = [0u8; 1];
                    match sys::read(0, &mut byte) {
                        Ok(1) => {}
                        Ok(_) => return Line::End,
                        Err(runtime::Errno::EINTR) => continue,
                        Err(_) => return Line::End,
                    }
                    let Some(key) = self.decoder.feed(byte[0]) else {
                        continue;
                    };
                    key
                }
            };
            match key {
                Key::Control(END_OF_TRANSMISSION) if self.editor.chars().is_empty() => {
                    println!();
                    return Line::End;
                }
                Key::Control(FORM_FEED) => {
                    print!("\x1b[2J\x1b[H{prompt}");
                    let _ = self.editor.redraw(&mut Out);
                    continue;
                }
                _ => {}
            }
            match self.editor.feed_with(key, &mut Out, &mut self.completer) {
                Ok(Outcome::Submitted) => {
                    let line: String = self.editor.chars().iter().collect();
                    self.editor.clear();
                    return Line::Text(line);
                }
                Ok(Outcome::Cancelled) => {
                    // The editor has echoed `^C` and the line break already.
                    self.editor.clear();
                    return Line::Cancelled;
                }
                Ok(Outcome::TooLong) if !warned => {
                    warned = true;
                    println!("\n[a line holds at most {MAX_LINE} characters; write longer commands in a script: sh FILE]");
                    print!("{prompt}");
                    let _ = self.editor.redraw(&mut Out);
                }
                Ok(Outcome::Rejected(length)) => {
                    warned = false;
                    println!("[line of {length} characters discarded, not run]");
                    print!("{prompt}");
                }
                Ok(Outcome::Listed) => {
                    print!("{prompt}");
                    let _ = self.editor.redraw(&mut Out);
                }
                _ => {}
            }
        }
    }
}

/// Reads lines from a descriptor that is not a terminal (a script, a pipe).
pub struct Plain {
    fd: i32,
    pending: Vec<u8>,
    at_end: bool,
}

impl Plain {
    /// Lines from `fd`.
    pub fn new(fd: i32) -> Plain {
        Plain {
            fd,
            pending: Vec::new(),
            at_end: false,
        }
    }

    /// The next line.
    pub fn read(&mut self) -> Line {
        loop {
            if let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                return Line::Text(String::from_utf8_lossy(&line[..end]).into_owned());
            }
            if self.at_end {
                if self.pending.is_empty() {
                    return Line::End;
                }
                let line = core::mem::take(&mut self.pending);
                return Line::Text(String::from_utf8_lossy(&line).into_owned());
            }
            let mut chunk = [0u8; 512];
            match sys::read(self.fd, &mut chunk) {
                Ok(0) | Err(_) => self.at_end = true,
                Ok(n) => self.pending.extend_from_slice(&chunk[..n]),
            }
        }
    }
}
