//! Compound commands, functions and substitutions: the trees they parse into, and the
//! canonical text they print as.

mod common;

use common::*;
use shsyntax::{parse, Command, Compound, List, QuotedPart, RedirKind, WordPart};

/// The one command of a one-command line.
fn only(line: &str) -> Command {
    let list = parse(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
    assert_eq!(list.items.len(), 1, "{line:?}");
    list.items[0].0.first.commands[0].clone()
}

/// The compound command a line is.
fn compound(line: &str) -> Compound {
    match only(line) {
        Command::Compound(c) => c.kind,
        other => panic!("{line:?} is {other:?}"),
    }
}

/// The first word of each simple command of a list, for a list's shape.
fn firsts(list: &List) -> Vec<String> {
    list.items
        .iter()
        .map(
            |(and_or, _)| match &as_simple(&and_or.first.commands[0]).words[0].parts[..] {
                [WordPart::Literal(name)] => name.clone(),
                other => panic!("not a literal name: {other:?}"),
            },
        )
        .collect()
}

/// Parses `line`, and checks it prints as `printed`, which parses to the same tree.
fn prints_as(line: &str, printed: &str) {
    let list = parse(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
    assert_eq!(list.to_string(), printed, "{line:?}");
    assert_eq!(parse(printed), Ok(list), "{printed:?}");
}

#[test]
fn if_elif_else() {
    let Compound::If {
        branches,
        otherwise,
    } = compound("if a; then b; elif c\nthen d; e; else f; fi")
    else {
        panic!()
    };
    assert_eq!(branches.len(), 2);
    assert_eq!(
        (firsts(&branches[0].0), firsts(&branches[0].1)),
        (vec!["a".into()], vec!["b".into()])
    );
    assert_eq!(firsts(&branches[1].1), ["d", "e"]);
    assert_eq!(firsts(&otherwise.unwrap()), ["f"]);
    prints_as("if a\nthen\n  b\nfi", "if a; then b; fi");
}

#[test]
fn while_until_and_for() {
    let Compound::While {
        until,
        condition,
        body,
    } = compound("while a; do b; c; done")
    else {
        panic!()
    };
    assert!(!until);
    assert_eq!(
        (firsts(&condition), firsts(&body)),
        (vec!["a".into()], vec!["b".into(), "c".into()])
    );
    assert!(matches!(
        compound("until a; do b; done"),
        Compound::While { until: true, .. }
    ));
    let Compound::For { name, words, body } = compound("for x in 1 \"2 3\" $Y; do echo $x; done")
    else {
        panic!()
    };
    assert_eq!(name, "x");
    assert_eq!(words.unwrap().len(), 3);
    assert_eq!(firsts(&body), ["echo"]);
    assert!(matches!(
        compound("for x; do b; done"),
        Compound::For { words: None, .. }
    ));
    assert!(matches!(
        compound("for x\ndo b\ndone"),
        Compound::For { words: None, .. }
    ));
    assert!(
        matches!(compound("for x in; do b; done"), Compound::For { words: Some(w), .. } if w.is_empty())
    );
    prints_as(
        "for i in a b\ndo\n echo $i\ndone",
        "for i in a b; do echo $i; done",
    );
}

#[test]
fn case_arms_with_alternatives_and_an_empty_body() {
    let Compound::Case { word, arms } =
        compound("case $x in\n a|b) one;;\n (c*) two; three;;\n *) ;;\nesac")
    else {
        panic!()
    };
    assert_eq!(word.parts, [WordPart::Param(var("x"))]);
    assert_eq!(arms.len(), 3);
    assert_eq!(arms[0].patterns, [lit("a"), lit("b")]);
    assert_eq!(firsts(&arms[1].body), ["two", "three"]);
    assert!(arms[2].body.items.is_empty());
    // The last arm's `;;` may be left out.
    assert!(
        matches!(compound("case x in a) b\nesac"), Compound::Case { arms, .. } if arms.len() == 1)
    );
    prints_as("case x in a|b) c;; esac", "case x in (a|b) c;; esac");
}

#[test]
fn groups_subshells_and_their_redirections() {
    let Command::Compound(group) = only("{ a; b; } > out 2>&1") else {
        panic!()
    };
    assert!(matches!(&group.kind, Compound::Group(list) if firsts(list) == ["a", "b"]));
    assert_eq!(group.redirections.len(), 2);
    assert!(matches!(&group.redirections[0].kind, RedirKind::Write(w) if *w == lit("out")));
    assert!(
        matches!(compound("(cd /; ls)"), Compound::Subshell(list) if firsts(&list) == ["cd", "ls"])
    );
    prints_as("{ a & }", "{ a & }");
    prints_as("( a;b )", "(a; b)");
    prints_as(
        "while read l; do echo $l; done < f | wc -l",
        "while read l; do echo $l; done < f | wc -l",
    );
}

#[test]
fn functions() {
    let Command::Function(f) = only("greet() { echo hello $1; }") else {
        panic!()
    };
    assert_eq!(f.name, "greet");
    assert!(matches!(&f.body.kind, Compound::Group(_)));
    let Command::Function(f) = only("f ()\n(echo sub)") else {
        panic!()
    };
    assert!(matches!(&f.body.kind, Compound::Subshell(_)));
    prints_as("f(){ a;}", "f() { a; }");
    // `if()` is not a function: `if` is reserved.
    assert!(parse("if() { a; }").is_err());
}

#[test]
fn nesting() {
    let line = "for f in a b; do if test $f = a; then while false; do :; done; else case $f in (b) echo b;; esac; fi; done";
    let list = parse(line).unwrap();
    assert_eq!(list.to_string(), line);
}

#[test]
fn command_substitution_holds_a_list() {
    let Command::Simple(command) = only("echo $(ls | wc -l) \"n=$(echo `pwd`)\"") else {
        panic!()
    };
    let WordPart::Command(list) = &command.words[1].parts[0] else {
        panic!("{command:?}")
    };
    assert_eq!(list.items[0].0.first.commands.len(), 2);
    let WordPart::DoubleQuoted(inner) = &command.words[2].parts[0] else {
        panic!()
    };
    assert!(matches!(&inner[1], QuotedPart::Command(list) if list.items.len() == 1));
    prints_as("echo `date`", "echo $(date)");
    prints_as(
        "x=$(case a in (a) echo a;; esac)",
        "x=$(case a in (a) echo a;; esac)",
    );
    prints_as("echo \"$(echo \"a b\")\"", "echo \"$(echo \"a b\")\"");
}

#[test]
fn arithmetic_is_kept_as_written() {
    let Command::Simple(command) = only("echo $(( (1 + $n) * 2 ))") else {
        panic!()
    };
    assert_eq!(
        command.words[1].parts,
        [WordPart::Arithmetic(" (1 + $n) * 2 ".into())]
    );
    prints_as("echo \"$((1+2))\"", "echo \"$((1+2))\"");
}

#[test]
fn escaped_pattern_characters_are_quoted_pieces() {
    let Command::Simple(command) = only("echo \\*.rs a\\?") else {
        panic!()
    };
    assert_eq!(command.words[1].parts, [sq("*"), l(".rs")]);
    assert_eq!(command.words[2].parts, [l("a"), sq("?")]);
}
