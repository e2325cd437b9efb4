//! The printer's canonical form, and seeded fuzzing: no input makes the parser panic, and
//! every tree that parses prints as text that parses back to the same tree.

mod common;

use common::*;
use shsyntax::{
    expand_redirect_target, expand_single, expand_word, parse, Command, List, RedirKind,
};

/// xorshift64 (Marsaglia 2003): a few lines, the same numbers on every machine, so a failure
/// is reproduced from the seed printed with it.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        // Mix the seed so small seeds start far apart; the state must never be 0.
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Every character the lexer treats specially, and a few it does not.
const ALPHABET: &[char] = &[
    'a', 'b', 'X', '_', '0', '1', '2', ' ', ' ', '\t', '\n', '\'', '"', '\\', '$', '{', '}', '(',
    ')', '|', '&', ';', '<', '>', '#', '~', '!', '=', '@', '*', '?', '-', '/', '`', 'é',
];

/// Pieces of real command lines, so that random inputs parse often enough to test printing.
const FRAGMENTS: &[&str] = &[
    "a",
    "b",
    "echo",
    "X=1",
    "Y=",
    "_z=$X",
    "2",
    "'x y'",
    "''",
    "\"\"",
    "\"$X\"",
    "\"a\\\"b\"",
    "$X",
    "${Y}z",
    "$1",
    "$@",
    "\"$@\"",
    "\"$*-\"",
    "$?",
    "~",
    "~/d",
    "\\;",
    "\\ ",
    "# c\n",
    "|",
    "||",
    "&&",
    ";",
    "&",
    "\n",
    "!",
    ">",
    "<",
    ">>",
    "2>",
    "2>&1",
    "<&0",
    ">f",
    "\\\n",
    "'",
    "\"",
    "$",
    "=",
    "a=b",
    "\\=",
    "é",
    "\\!",
    "X\\=1",
    "\\~",
    "\\#",
    "'it'\\''s'",
    "\"\\$\"",
    "$10",
    "${10}",
    "\"${X}y\"",
    "${X}_",
    // Compound commands, functions and substitutions.
    "if",
    "then",
    "elif",
    "else",
    "fi",
    "while",
    "until",
    "do",
    "done",
    "for x in",
    "for",
    "case",
    "in",
    "esac",
    "a)",
    "(b)",
    ";;",
    "{",
    "}",
    "(",
    ")",
    "f()",
    "$(",
    "$(a)",
    "`b`",
    "$((1+$X))",
    "\\*",
    "*",
];

/// How many random inputs each fuzz test tries, per seed.
const ROUNDS: usize = 20_000;

/// The seeds; a failure names the seed and the input.
const SEEDS: [u64; 3] = [1, 0xF3221, 2024];

fn random_chars(rng: &mut Rng) -> String {
    const MAX_LEN: usize = 24;
    let len = rng.below(MAX_LEN + 1);
    (0..len)
        .map(|_| ALPHABET[rng.below(ALPHABET.len())])
        .collect()
}

fn random_fragments(rng: &mut Rng) -> String {
    const MAX_FRAGMENTS: usize = 10;
    const GLUE: [&str; 3] = ["", " ", " "];
    let count = rng.below(MAX_FRAGMENTS + 1);
    let mut line = String::new();
    for _ in 0..count {
        line.push_str(FRAGMENTS[rng.below(FRAGMENTS.len())]);
        line.push_str(GLUE[rng.below(GLUE.len())]);
    }
    line
}

/// Every command of a list, in order.
fn commands(list: &List) -> impl Iterator<Item = &Command> {
    list.items.iter().flat_map(|(and_or, _)| {
        std::iter::once(&and_or.first)
            .chain(and_or.rest.iter().map(|(_, p)| p))
            .flat_map(|p| p.commands.iter())
    })
}

/// Checks every property on one input; returns whether it parsed.
fn check(line: &str, seed: u64) -> bool {
    let env = TestEnv::new(&[("X", "a b"), ("HOME", "/h")], &["p 1", ""]);
    match parse(line) {
        Ok(list) => {
            let printed = list.to_string();
            let reparsed = parse(&printed);
            assert_eq!(
                reparsed.as_ref(),
                Ok(&list),
                "seed {seed}: {line:?} printed as {printed:?}"
            );
            assert_eq!(
                reparsed.unwrap().to_string(),
                printed,
                "seed {seed}: printing is not stable for {line:?}"
            );
            // Expansion never panics on a parsed tree either.
            for command in commands(&list) {
                let Command::Simple(command) = command else {
                    continue;
                };
                for w in &command.words {
                    let _ = expand_word(w, &env);
                }
                for a in &command.assignments {
                    let _ = expand_single(&a.value, &env);
                }
                for r in &command.redirections {
                    if let RedirKind::Read(w) | RedirKind::Write(w) | RedirKind::Append(w) = &r.kind
                    {
                        let _ = expand_redirect_target(w, &env);
                    }
                }
            }
            true
        }
        Err(e) => {
            assert!(e.offset <= line.len(), "seed {seed}: {line:?}: {e:?}");
            assert!(line.is_char_boundary(e.offset), "seed {seed}: {line:?}");
            assert!(e.line >= 1 && e.column >= 1, "seed {seed}: {line:?}");
            assert!(e.to_string().starts_with("syntax error"), "{line:?}");
            false
        }
    }
}

#[test]
fn fuzz_random_characters_never_panic_and_round_trip() {
    for seed in SEEDS {
        let mut rng = Rng::new(seed);
        let parsed = (0..ROUNDS)
            .filter(|_| check(&random_chars(&mut rng), seed))
            .count();
        assert!(parsed > ROUNDS / 20, "seed {seed}: only {parsed} parsed");
    }
}

#[test]
fn fuzz_random_command_fragments_never_panic_and_round_trip() {
    for seed in SEEDS {
        let mut rng = Rng::new(seed);
        let parsed = (0..ROUNDS)
            .filter(|_| check(&random_fragments(&mut rng), seed))
            .count();
        // Most fragment soups should parse, or the round trip is barely exercised.
        assert!(parsed > ROUNDS / 4, "seed {seed}: only {parsed} parsed");
    }
}

/// A random program from the grammar: nested compound commands, functions and substitutions,
/// each filled with fragment soup, so that nesting is exercised as often as words are.
fn random_program(rng: &mut Rng, depth: usize) -> String {
    let simple = |rng: &mut Rng| -> String {
        let words = [
            "a", "b $X", "'q r'", "\"$(c)\"", "$((1+2))", "*.rs", "\\*", "> f", "X=1 d",
        ];
        (0..1 + rng.below(3))
            .map(|_| words[rng.below(words.len())])
            .collect::<Vec<_>>()
            .join(" ")
    };
    let list = |rng: &mut Rng| -> String {
        let separators = ["; ", "\n", " & ", " && ", " | "];
        let mut text = random_program(rng, depth + 1);
        for _ in 0..rng.below(3) {
            text.push_str(separators[rng.below(separators.len())]);
            text.push_str(&random_program(rng, depth + 1));
        }
        text
    };
    if depth > 3 {
        return simple(rng);
    }
    match rng.below(10) {
        0 => format!("if {}; then {}; fi", list(rng), list(rng)),
        1 => format!(
            "if {}\nthen {}\nelif {}; then {}; else {}\nfi",
            list(rng),
            list(rng),
            list(rng),
            list(rng),
            list(rng)
        ),
        2 => format!("while {}; do {}; done", list(rng), list(rng)),
        3 => format!("for i in a $X 'b c'; do {}; done", list(rng)),
        // `(a|b)`: a pattern's `)` alone would close an enclosing `$(` early (see the crate docs).
        4 => format!("case $X in (a|b) {};; (*) {}\nesac", list(rng), list(rng)),
        5 => format!("{{ {}; }} 2> e", list(rng)),
        6 => format!("({})", list(rng)),
        7 => format!("f() {{ {}; }}", list(rng)),
        8 => format!("echo $( {} ) `{}`", list(rng), simple(rng)),
        _ => simple(rng),
    }
}

#[test]
fn fuzz_random_nested_programs_round_trip() {
    for seed in SEEDS {
        let mut rng = Rng::new(seed);
        for _ in 0..ROUNDS / 10 {
            let program = random_program(&mut rng, 0);
            assert!(
                check(&program, seed),
                "seed {seed}: {program:?} does not parse"
            );
        }
    }
}

/// The canonical text of `line`.
fn canonical(line: &str) -> String {
    parse(line).unwrap().to_string()
}

#[test]
fn the_canonical_form_normalises_spacing_and_separators() {
    assert_eq!(canonical("a ;b&c\n\nd"), "a; b & c; d");
    assert_eq!(canonical("! a|b&&c ||d &"), "! a | b && c || d &");
    assert_eq!(canonical("  # only a comment"), "");
    assert_eq!(canonical("a # note\n"), "a");
}

#[test]
fn the_canonical_form_keeps_quoting() {
    assert_eq!(canonical("echo 'x y'\"$X\"z"), "echo 'x y'\"$X\"z");
    assert_eq!(
        canonical("echo \"a\\\"b\" \"\\q\""),
        "echo \"a\\\"b\" \"\\\\q\""
    );
    assert_eq!(canonical("echo \"\" ''"), "echo \"\" ''");
    assert_eq!(canonical("echo 'it'\\''s'"), "echo 'it'\\''s'");
}

#[test]
fn the_canonical_form_escapes_what_would_read_differently() {
    assert_eq!(
        canonical("echo a\\;b \\# \\~ \\! x\\ y"),
        "echo a\\;b \\# \\~ \\! x\\ y"
    );
    // A command name that looks like an assignment keeps its escape.
    assert_eq!(canonical("X\\=1 Y=2"), "X\\=1 Y=2");
    assert_eq!(canonical("Y=2 X\\=1"), "Y=2 X\\=1");
    assert_eq!(canonical("echo $ a$"), "echo \\$ a\\$");
}

#[test]
fn the_canonical_form_braces_a_parameter_only_when_needed() {
    assert_eq!(canonical("echo ${X} ${X}y ${X}-"), "echo $X ${X}y $X-");
    assert_eq!(canonical("echo \"${X}y$X.\""), "echo \"${X}y$X.\"");
    assert_eq!(canonical("echo ${1}0 ${10} ${?}"), "echo $10 ${10} $?");
}

#[test]
fn the_canonical_form_of_redirections() {
    assert_eq!(
        canonical("cmd 2>&1 >out <in 1>x 0<y 2>>e 0<&3 1>&2"),
        "cmd 2>&1 > out < in > x < y 2>> e <&3 >&2"
    );
    // Redirections move after the words, in their own order; assignments lead.
    assert_eq!(canonical(">f X=1 a 2>&1 b"), "X=1 a b > f 2>&1");
    assert_eq!(canonical("echo 2 >f"), "echo 2 > f");
}

#[test]
fn printing_a_single_word_shows_its_quoting() {
    let w = &simple("echo ~/\"$HOME\"'x'\\ y").words[1];
    assert_eq!(w.to_string(), "~/\"$HOME\"'x'\\ y");
}
