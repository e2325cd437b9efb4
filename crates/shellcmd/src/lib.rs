//! The kernel console's commands: what a typed line means, and what `help` says.
//!
//! Parsing is kept apart from doing, so that every way a line can be wrong is tested on the host,
//! and so the same parser can serve the user-space shell later. A line is split on whitespace;
//! the first word names the command, the rest are its arguments. The result is a [`Command`] or
//! a [`ParseError`] that says exactly what was wrong and how to get help; the kernel only runs
//! commands that parsed.

#![no_std]
#![forbid(unsafe_code)]

use core::fmt;

/// A fault the `fault` command can raise on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// `int3`: reported, then execution resumes.
    Breakpoint,
    /// A read of an unmapped address.
    PageFault,
    /// A division by zero.
    Divide,
    /// `ud2`, an invalid instruction.
    InvalidOpcode,
    /// A read of a non-canonical address.
    GeneralProtection,
    /// Endless recursion into the kernel stack's guard page: a double fault, then a halt.
    StackOverflow,
}

/// Each fault kind's name on the command line.
pub const FAULT_KINDS: [(&str, FaultKind); 6] = [
    ("breakpoint", FaultKind::Breakpoint),
    ("pagefault", FaultKind::PageFault),
    ("divide", FaultKind::Divide),
    ("opcode", FaultKind::InvalidOpcode),
    ("gpf", FaultKind::GeneralProtection),
    ("stackoverflow", FaultKind::StackOverflow),
];

/// A parsed command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command<'a> {
    /// An empty line: nothing to do.
    Empty,
    /// `help [command]`.
    Help(Option<&'a str>),
    /// `echo text...`: the text after the command word, as typed (inner spacing kept).
    Echo(&'a str),
    /// `uptime`.
    Uptime,
    /// `ticks`.
    Ticks,
    /// `mem`.
    Mem,
    /// `memtest`: exercise the frame allocator and the heap.
    Memtest,
    /// `cpu`.
    Cpu,
    /// `clear`.
    Clear,
    /// `keymap [name]`: show or set the keyboard layout.
    Keymap(Option<&'a str>),
    /// `fault kind`.
    Fault(FaultKind),
    /// `ps`: the threads.
    Ps,
    /// `spawn demo`: start a demo workload.
    Spawn(&'a str),
    /// `kill id`: end a process, or ask a kernel thread to stop.
    Kill(usize),
    /// `run program [args...]`: the program's name and arguments, as typed.
    Run(&'a str),
    /// `trace program [args...]`: run it, printing each system call it makes.
    Trace(&'a str),
    /// `dmesg`: print the kernel log.
    Dmesg,
    /// `enosys [live|log]`: show, or choose, whether missing system calls are printed as they
    /// happen (`live`) or only logged (`log`).
    Enosys(Option<bool>),
    /// `reboot`.
    Reboot,
    /// `shutdown`.
    Shutdown,
}

/// Why a line is not a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError<'a> {
    /// The first word is no command.
    Unknown(&'a str),
    /// A required argument is missing.
    MissingArgument {
        /// The command.
        command: &'static str,
        /// What was expected.
        expected: &'static str,
    },
    /// An argument is not one of the accepted values.
    BadArgument {
        /// The command.
        command: &'static str,
        /// What was given.
        given: &'a str,
        /// What is accepted.
        expected: &'static str,
    },
    /// More arguments than the command takes.
    TooManyArguments {
        /// The command.
        command: &'static str,
        /// The first extra argument.
        extra: &'a str,
    },
}

impl fmt::Display for ParseError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Unknown(word) => {
                write!(f, "unknown command '{word}'; type 'help' for the list")
            }
            ParseError::MissingArgument { command, expected } => {
                write!(
                    f,
                    "{command}: missing argument, expected {expected}; see 'help {command}'"
                )
            }
            ParseError::BadArgument {
                command,
                given,
                expected,
            } => {
                write!(
                    f,
                    "{command}: '{given}' is not {expected}; see 'help {command}'"
                )
            }
            ParseError::TooManyArguments { command, extra } => {
                write!(
                    f,
                    "{command}: unexpected argument '{extra}'; see 'help {command}'"
                )
            }
        }
    }
}

/// One entry of the help: name, usage, what it does.
pub struct HelpEntry {
    /// The command word.
    pub name: &'static str,
    /// Its usage line.
    pub usage: &'static str,
    /// One line on what it does.
    pub summary: &'static str,
}

/// Every command, in the order `help` lists them.
pub const COMMANDS: [HelpEntry; 20] = [
    HelpEntry {
        name: "help",
        usage: "help [command]",
        summary: "list the commands, or describe one",
    },
    HelpEntry {
        name: "echo",
        usage: "echo [text...]",
        summary: "print the text",
    },
    HelpEntry {
        name: "uptime",
        usage: "uptime",
        summary: "time since the timer started",
    },
    HelpEntry {
        name: "ticks",
        usage: "ticks",
        summary: "timer ticks and interrupt counts",
    },
    HelpEntry {
        name: "mem",
        usage: "mem",
        summary: "memory map, frame and heap statistics",
    },
    HelpEntry {
        name: "memtest",
        usage: "memtest",
        summary: "exercise the frame allocator and the heap, and check them",
    },
    HelpEntry {
        name: "cpu",
        usage: "cpu",
        summary: "processor vendor, model and features (CPUID)",
    },
    HelpEntry {
        name: "clear",
        usage: "clear",
        summary: "clear the screen",
    },
    HelpEntry {
        name: "keymap",
        usage: "keymap [us|uk|de|azerty|dvorak]",
        summary: "show or change the keyboard layout",
    },
    HelpEntry {
        name: "ps",
        usage: "ps",
        summary: "list the threads: state and CPU time",
    },
    HelpEntry {
        name: "spawn",
        usage: "spawn counters|spinner",
        summary: "start a demo: two counters printing in turn, or a CPU-bound spinner",
    },
    HelpEntry {
        name: "run",
        usage: "run <program> [arguments...]",
        summary: "run a user program from the ramdisk's /bin and wait for it to end",
    },
    HelpEntry {
        name: "trace",
        usage: "trace <program> [arguments...]",
        summary: "run a program, printing each system call it makes and its result",
    },
    HelpEntry {
        name: "dmesg",
        usage: "dmesg",
        summary: "print the kernel log: boot messages, missing system calls programs asked for",
    },
    HelpEntry {
        name: "enosys",
        usage: "enosys [live|log]",
        summary: "print a program's missing system calls as they happen (live), or only log them (log, the default)",
    },
    HelpEntry {
        name: "kill",
        usage: "kill <process id>|<thread id>",
        summary: "end a process; for a kernel thread id, ask the thread to stop",
    },
    HelpEntry {
        name: "fault",
        usage: "fault breakpoint|pagefault|divide|opcode|gpf|stackoverflow",
        summary: "raise a CPU exception on purpose and show its diagnostic; stackoverflow is fatal: the machine halts for good",
    },
    HelpEntry {
        name: "reboot",
        usage: "reboot",
        summary: "restart the machine",
    },
    HelpEntry {
        name: "shutdown",
        usage: "shutdown",
        summary: "power off (ACPI S5)",
    },
    HelpEntry {
        name: "history",
        usage: "up/down arrows",
        summary: "recall earlier lines (not a command)",
    },
];

/// Every command word, for Tab completion (the `history` entry of [`COMMANDS`] is not one).
pub const NAMES: [&str; 19] = [
    "help", "echo", "uptime", "ticks", "mem", "memtest", "cpu", "clear", "keymap", "ps", "spawn",
    "run", "trace", "dmesg", "enosys", "kill", "fault", "reboot", "shutdown",
];

/// The help entry for `name`, if it is a command.
pub fn help_for(name: &str) -> Option<&'static HelpEntry> {
    COMMANDS
        .iter()
        .find(|entry| entry.name == name && entry.name != "history")
}

/// The text after the first word, with the whitespace that separates it removed.
fn rest_after_first_word(line: &str) -> &str {
    let line = line.trim_start();
    match line.find(char::is_whitespace) {
        Some(end) => line[end..].trim_start().trim_end(),
        None => "",
    }
}

/// Parses one line.
pub fn parse(line: &str) -> Result<Command<'_>, ParseError<'_>> {
    let mut words = line.split_whitespace();
    let Some(name) = words.next() else {
        return Ok(Command::Empty);
    };
    let mut args = words;
    // Commands without arguments refuse any.
    let plain = match name {
        "uptime" => Some(("uptime", Command::Uptime)),
        "ticks" => Some(("ticks", Command::Ticks)),
        "mem" => Some(("mem", Command::Mem)),
        "memtest" => Some(("memtest", Command::Memtest)),
        "cpu" => Some(("cpu", Command::Cpu)),
        "clear" => Some(("clear", Command::Clear)),
        "reboot" => Some(("reboot", Command::Reboot)),
        "ps" => Some(("ps", Command::Ps)),
        "shutdown" => Some(("shutdown", Command::Shutdown)),
        "dmesg" => Some(("dmesg", Command::Dmesg)),
        _ => None,
    };
    if let Some((command, cmd)) = plain {
        return match args.next() {
            Some(extra) => Err(ParseError::TooManyArguments { command, extra }),
            None => Ok(cmd),
        };
    }
    match name {
        "echo" => Ok(Command::Echo(rest_after_first_word(line))),
        "run" | "trace" => match rest_after_first_word(line) {
            "" => Err(ParseError::MissingArgument {
                command: if name == "run" { "run" } else { "trace" },
                expected: "a program name",
            }),
            program if name == "run" => Ok(Command::Run(program)),
            program => Ok(Command::Trace(program)),
        },
        "help" => {
            let topic = args.next();
            if let Some(extra) = args.next() {
                return Err(ParseError::TooManyArguments {
                    command: "help",
                    extra,
                });
            }
            match topic {
                Some(topic) if help_for(topic).is_none() => Err(ParseError::BadArgument {
                    command: "help",
                    given: topic,
                    expected: "a command name",
                }),
                topic => Ok(Command::Help(topic)),
            }
        }
        "enosys" => {
            let mode = args.next();
            if let Some(extra) = args.next() {
                return Err(ParseError::TooManyArguments {
                    command: "enosys",
                    extra,
                });
            }
            match mode {
                None => Ok(Command::Enosys(None)),
                Some("live") => Ok(Command::Enosys(Some(true))),
                Some("log") => Ok(Command::Enosys(Some(false))),
                Some(given) => Err(ParseError::BadArgument {
                    command: "enosys",
                    given,
                    expected: "live or log",
                }),
            }
        }
        "keymap" => {
            let layout = args.next();
            match args.next() {
                Some(extra) => Err(ParseError::TooManyArguments {
                    command: "keymap",
                    extra,
                }),
                None => Ok(Command::Keymap(layout)),
            }
        }
        "fault" => {
            const EXPECTED: &str =
                "one of breakpoint, pagefault, divide, opcode, gpf, stackoverflow";
            let kind = args.next().ok_or(ParseError::MissingArgument {
                command: "fault",
                expected: EXPECTED,
            })?;
            if let Some(extra) = args.next() {
                return Err(ParseError::TooManyArguments {
                    command: "fault",
                    extra,
                });
            }
            FAULT_KINDS
                .iter()
                .find(|(word, _)| *word == kind)
                .map(|&(_, kind)| Command::Fault(kind))
                .ok_or(ParseError::BadArgument {
                    command: "fault",
                    given: kind,
                    expected: EXPECTED,
                })
        }
        "spawn" => {
            const EXPECTED: &str = "one of counters, spinner";
            let demo = args.next().ok_or(ParseError::MissingArgument {
                command: "spawn",
                expected: EXPECTED,
            })?;
            if let Some(extra) = args.next() {
                return Err(ParseError::TooManyArguments {
                    command: "spawn",
                    extra,
                });
            }
            match demo {
                "counters" | "spinner" => Ok(Command::Spawn(demo)),
                given => Err(ParseError::BadArgument {
                    command: "spawn",
                    given,
                    expected: EXPECTED,
                }),
            }
        }
        "kill" => {
            const EXPECTED: &str = "a process or thread id (see ps)";
            let id = args.next().ok_or(ParseError::MissingArgument {
                command: "kill",
                expected: EXPECTED,
            })?;
            if let Some(extra) = args.next() {
                return Err(ParseError::TooManyArguments {
                    command: "kill",
                    extra,
                });
            }
            id.parse()
                .map(Command::Kill)
                .map_err(|_| ParseError::BadArgument {
                    command: "kill",
                    given: id,
                    expected: EXPECTED,
                })
        }
        unknown => Err(ParseError::Unknown(unknown)),
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn the_completion_names_are_exactly_the_commands() {
        for name in NAMES {
            assert!(
                !matches!(parse(name), Err(ParseError::Unknown(_))),
                "{name}"
            );
        }
        let documented = COMMANDS.iter().filter(|c| c.name != "history").count();
        assert_eq!(documented, NAMES.len());
        assert!(COMMANDS
            .iter()
            .filter(|c| c.name != "history")
            .all(|c| NAMES.contains(&c.name)));
    }
    use std::string::ToString;

    #[test]
    fn empty_and_blank_lines_do_nothing() {
        assert_eq!(parse(""), Ok(Command::Empty));
        assert_eq!(parse("   \t "), Ok(Command::Empty));
    }

    #[test]
    fn plain_commands_parse_and_refuse_arguments() {
        assert_eq!(parse("uptime"), Ok(Command::Uptime));
        assert_eq!(parse("  shutdown  "), Ok(Command::Shutdown));
        assert_eq!(parse("ticks"), Ok(Command::Ticks));
        assert_eq!(
            parse("mem now please"),
            Err(ParseError::TooManyArguments {
                command: "mem",
                extra: "now"
            })
        );
    }

    #[test]
    fn echo_keeps_its_text() {
        assert_eq!(
            parse("echo hello,   world  "),
            Ok(Command::Echo("hello,   world"))
        );
        assert_eq!(parse("echo"), Ok(Command::Echo("")));
        assert_eq!(parse("  echo\tx"), Ok(Command::Echo("x")));
    }

    #[test]
    fn help_takes_an_optional_command_name() {
        assert_eq!(parse("help"), Ok(Command::Help(None)));
        assert_eq!(parse("help fault"), Ok(Command::Help(Some("fault"))));
        assert!(matches!(
            parse("help nosuch"),
            Err(ParseError::BadArgument {
                command: "help",
                ..
            })
        ));
        assert!(
            matches!(parse("help history"), Err(ParseError::BadArgument { .. })),
            "not a command"
        );
    }

    #[test]
    fn fault_needs_a_known_kind() {
        assert_eq!(
            parse("fault pagefault"),
            Ok(Command::Fault(FaultKind::PageFault))
        );
        assert_eq!(
            parse("fault stackoverflow"),
            Ok(Command::Fault(FaultKind::StackOverflow))
        );
        assert!(matches!(
            parse("fault"),
            Err(ParseError::MissingArgument {
                command: "fault",
                ..
            })
        ));
        let err = parse("fault lightning").unwrap_err();
        assert_eq!(
            err.to_string(),
            "fault: 'lightning' is not one of breakpoint, pagefault, divide, opcode, gpf, stackoverflow; see 'help fault'"
        );
        assert!(matches!(
            parse("fault divide now"),
            Err(ParseError::TooManyArguments { .. })
        ));
    }

    #[test]
    fn an_unknown_command_says_so_and_points_to_help() {
        let err = parse("frobnicate --hard").unwrap_err();
        assert_eq!(err, ParseError::Unknown("frobnicate"));
        assert_eq!(
            err.to_string(),
            "unknown command 'frobnicate'; type 'help' for the list"
        );
    }

    #[test]
    fn every_listed_command_parses() {
        for entry in COMMANDS.iter().filter(|e| e.name != "history") {
            let line = match entry.name {
                "fault" => "fault divide",
                "spawn" => "spawn counters",
                "kill" => "kill 3",
                "run" => "run hello",
                "trace" => "trace hello",
                name => name,
            };
            assert!(parse(line).is_ok(), "{line}");
        }
    }

    #[test]
    fn spawn_and_kill_check_their_arguments() {
        assert_eq!(parse("spawn counters"), Ok(Command::Spawn("counters")));
        assert!(matches!(
            parse("spawn"),
            Err(ParseError::MissingArgument {
                command: "spawn",
                ..
            })
        ));
        assert!(matches!(
            parse("spawn rocket"),
            Err(ParseError::BadArgument {
                command: "spawn",
                ..
            })
        ));
        assert_eq!(parse("kill 7"), Ok(Command::Kill(7)));
        assert_eq!(parse("dmesg"), Ok(Command::Dmesg));
        assert_eq!(parse("enosys"), Ok(Command::Enosys(None)));
        assert_eq!(parse("enosys live"), Ok(Command::Enosys(Some(true))));
        assert_eq!(parse("enosys log"), Ok(Command::Enosys(Some(false))));
        assert!(matches!(
            parse("enosys loud"),
            Err(ParseError::BadArgument { given: "loud", .. })
        ));
        assert_eq!(parse("run hello"), Ok(Command::Run("hello")));
        assert_eq!(parse("  run  args a  b "), Ok(Command::Run("args a  b")));
        assert!(matches!(
            parse("run"),
            Err(ParseError::MissingArgument { command: "run", .. })
        ));
        assert!(matches!(
            parse("kill seven"),
            Err(ParseError::BadArgument {
                command: "kill",
                ..
            })
        ));
        assert_eq!(parse("ps"), Ok(Command::Ps));
    }

    #[test]
    fn keymap_takes_an_optional_layout() {
        assert_eq!(parse("keymap"), Ok(Command::Keymap(None)));
        assert_eq!(parse("keymap de"), Ok(Command::Keymap(Some("de"))));
        assert!(matches!(
            parse("keymap de us"),
            Err(ParseError::TooManyArguments { .. })
        ));
    }
}
