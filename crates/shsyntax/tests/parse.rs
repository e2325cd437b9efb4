//! The parser's tree for each form of the language: lists, operators, commands, redirections,
//! quoting and parameters.

mod common;

use common::*;
use shsyntax::{
    parse, AndOr, Connector, List, Param, QuotedPart, RedirKind, Redirection, Separator, WordPart,
};

/// The first word of each command of each pipeline, flattened, to check the shape of a list.
fn names(list: &List) -> Vec<Vec<String>> {
    let pipeline_names = |p: &shsyntax::Pipeline| -> Vec<String> {
        p.commands
            .iter()
            .map(|c| literal_words(c)[0].clone())
            .collect()
    };
    let mut out = Vec::new();
    for (and_or, _) in &list.items {
        out.push(pipeline_names(&and_or.first));
        for (_, p) in &and_or.rest {
            out.push(pipeline_names(p));
        }
    }
    out
}

fn separators(list: &List) -> Vec<Separator> {
    list.items.iter().map(|(_, s)| *s).collect()
}

fn only_and_or(line: &str) -> AndOr {
    let list = parse(line).unwrap();
    assert_eq!(list.items.len(), 1);
    list.items[0].0.clone()
}

fn redirections(line: &str) -> Vec<Redirection> {
    simple(line).redirections
}

fn write(fd: u32, file: &str) -> Redirection {
    Redirection {
        fd,
        kind: RedirKind::Write(lit(file)),
    }
}

#[test]
fn blank_and_comment_only_inputs_are_empty_lists() {
    for line in [
        "",
        "   ",
        "\t",
        "\n\n\n",
        "# a comment",
        "  # one\n# two\n",
        "\\\n ",
    ] {
        assert_eq!(parse(line), Ok(List::default()), "{line:?}");
    }
}

#[test]
fn a_simple_command_is_its_words() {
    let command = simple("echo  hello\tworld");
    assert_eq!(literal_words(&command), ["echo", "hello", "world"]);
    assert!(command.assignments.is_empty() && command.redirections.is_empty());
}

#[test]
fn semicolons_and_newlines_separate_sequential_items() {
    let list = parse("a ; b\nc").unwrap();
    assert_eq!(names(&list), [["a"], ["b"], ["c"]]);
    assert_eq!(separators(&list), [Separator::Sequential; 3]);
    assert_eq!(parse("a;b"), parse("a\n\nb\n"));
}

#[test]
fn a_trailing_semicolon_changes_nothing() {
    assert_eq!(parse("a;"), parse("a"));
    assert_eq!(parse("a ;\n"), parse("a"));
}

#[test]
fn ampersand_puts_an_item_in_the_background() {
    let list = parse("a & b").unwrap();
    assert_eq!(names(&list), [["a"], ["b"]]);
    assert_eq!(
        separators(&list),
        [Separator::Background, Separator::Sequential]
    );
    assert_eq!(separators(&parse("a &").unwrap()), [Separator::Background]);
    assert_eq!(
        separators(&parse("a&b&").unwrap()),
        [Separator::Background, Separator::Background]
    );
}

#[test]
fn pipes_join_commands_into_one_pipeline() {
    let and_or = only_and_or("a | b|c");
    assert!(and_or.rest.is_empty());
    let pipeline = &and_or.first;
    assert!(!pipeline.negated);
    let cmds: Vec<_> = pipeline
        .commands
        .iter()
        .map(|c| literal_words(c)[0].clone())
        .collect();
    assert_eq!(cmds, ["a", "b", "c"]);
}

#[test]
fn and_or_chain_left_to_right_with_equal_precedence() {
    let and_or = only_and_or("a && b || c");
    let rest: Vec<_> = and_or.rest.iter().map(|(c, _)| *c).collect();
    assert_eq!(rest, [Connector::And, Connector::Or]);
    // `||` does not bind tighter than `&&` (as it would in C): still one flat chain, in order.
    let and_or = only_and_or("a || b && c");
    let rest: Vec<_> = and_or.rest.iter().map(|(c, _)| *c).collect();
    assert_eq!(rest, [Connector::Or, Connector::And]);
    assert_eq!(literal_words(&and_or.rest[1].1.commands[0]), ["c"]);
}

#[test]
fn pipes_bind_tighter_than_and_or() {
    let and_or = only_and_or("a | b && c | d");
    assert_eq!(and_or.first.commands.len(), 2);
    assert_eq!(and_or.rest.len(), 1);
    assert_eq!(and_or.rest[0].1.commands.len(), 2);
}

#[test]
fn background_applies_to_the_whole_and_or_chain() {
    let list = parse("a && b | c & d").unwrap();
    assert_eq!(list.items.len(), 2);
    let (first, separator) = &list.items[0];
    assert_eq!(*separator, Separator::Background);
    assert_eq!(first.rest.len(), 1);
    assert_eq!(first.rest[0].1.commands.len(), 2);
    assert_eq!(literal_words(&list.items[1].0.first.commands[0]), ["d"]);
}

#[test]
fn a_newline_may_follow_pipe_and_and_or_operators() {
    assert_eq!(parse("a |\n b"), parse("a | b"));
    assert_eq!(parse("a &&\n\n b"), parse("a && b"));
    assert_eq!(parse("a ||   # why\n b"), parse("a || b"));
}

#[test]
fn a_leading_bang_negates_the_whole_pipeline() {
    let and_or = only_and_or("! a | b");
    assert!(and_or.first.negated);
    assert_eq!(and_or.first.commands.len(), 2);
    let and_or = only_and_or("a && ! b");
    assert!(!and_or.first.negated);
    assert!(and_or.rest[0].1.negated);
}

#[test]
fn bang_negates_only_as_a_plain_word_at_a_pipeline_start() {
    for line in ["!a", "\\! a", "'!' a", "\"!\" a"] {
        let and_or = only_and_or(line);
        assert!(!and_or.first.negated, "{line:?}");
    }
    // After `|`, a `!` is just a command name.
    let and_or = only_and_or("a | ! b");
    assert!(!and_or.first.negated);
    assert_eq!(literal_words(&and_or.first.commands[1]), ["!", "b"]);
}

#[test]
fn two_bangs_cancel_out() {
    assert!(!only_and_or("! ! a").first.negated);
    assert!(only_and_or("! ! ! a").first.negated);
}

#[test]
fn leading_assignments_are_assignments() {
    let command = simple("X=1 _y2=two cmd arg");
    let names: Vec<_> = command
        .assignments
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["X", "_y2"]);
    assert_eq!(command.assignments[0].value, lit("1"));
    assert_eq!(command.assignments[1].value, lit("two"));
    assert_eq!(literal_words(&command), ["cmd", "arg"]);
}

#[test]
fn an_assignment_alone_is_a_command() {
    let command = simple("X=1");
    assert_eq!(command.assignments.len(), 1);
    assert!(command.words.is_empty());
    let command = simple("X=");
    assert_eq!(command.assignments[0].value, lit(""));
    assert!(command.assignments[0].value.parts.is_empty());
}

#[test]
fn an_assignment_after_the_command_name_is_an_argument() {
    let command = simple("env X=1");
    assert!(command.assignments.is_empty());
    assert_eq!(literal_words(&command), ["env", "X=1"]);
}

#[test]
fn words_that_only_look_like_assignments_are_words() {
    // A quoted or escaped name or `=`, or a name starting with a digit, is no assignment.
    for line in ["X\\=1", "'X'=1", "\"X=1\"", "1X=2", "=x", "X-Y=1", "\\X=1"] {
        let command = simple(line);
        assert!(command.assignments.is_empty(), "{line:?}");
        assert_eq!(command.words.len(), 1, "{line:?}");
    }
}

#[test]
fn an_assignment_value_keeps_its_quoting_and_parameters() {
    let command = simple("X=\"a b\"c$Y");
    assert_eq!(
        command.assignments[0].value,
        word(vec![dq(vec![ql("a b")]), l("c"), WordPart::Param(var("Y"))])
    );
    // Redirections do not end the assignments, as POSIX allows `>f X=1 cmd`.
    let command = simple(">f X=1 cmd");
    assert_eq!(command.assignments.len(), 1);
    assert_eq!(literal_words(&command), ["cmd"]);
}

#[test]
fn file_redirections_with_their_default_descriptors() {
    let read = |fd, f: &str| Redirection {
        fd,
        kind: RedirKind::Read(lit(f)),
    };
    let append = |fd, f: &str| Redirection {
        fd,
        kind: RedirKind::Append(lit(f)),
    };
    assert_eq!(redirections("c < in"), [read(0, "in")]);
    assert_eq!(redirections("c > out"), [write(1, "out")]);
    assert_eq!(redirections("c >> log"), [append(1, "log")]);
    assert_eq!(redirections("c 2> err"), [write(2, "err")]);
    assert_eq!(redirections("c 2>> err"), [append(2, "err")]);
    assert_eq!(redirections("c 3< x"), [read(3, "x")]);
    assert_eq!(redirections("c 0<x 9>y"), [read(0, "x"), write(9, "y")]);
    assert_eq!(redirections("c >out"), [write(1, "out")]);
}

#[test]
fn duplicating_redirections() {
    let dup_out = |fd, to| Redirection {
        fd,
        kind: RedirKind::DupOut(to),
    };
    assert_eq!(redirections("c 2>&1"), [dup_out(2, 1)]);
    assert_eq!(redirections("c >&2"), [dup_out(1, 2)]);
    assert_eq!(redirections("c 2>& 1"), [dup_out(2, 1)]);
    assert_eq!(
        redirections("c <&3"),
        [Redirection {
            fd: 0,
            kind: RedirKind::DupIn(3)
        }]
    );
    assert_eq!(
        redirections("c 4<&0"),
        [Redirection {
            fd: 4,
            kind: RedirKind::DupIn(0)
        }]
    );
}

#[test]
fn a_number_is_a_descriptor_only_when_touching_the_operator() {
    let command = simple("echo 2 > f");
    assert_eq!(literal_words(&command), ["echo", "2"]);
    assert_eq!(command.redirections, [write(1, "f")]);
    // Not all digits, or written with an escape or quotes: an ordinary word.
    for (line, arg) in [
        ("echo a2>f", "a2"),
        ("echo \\2>f", "2"),
        ("echo 2\\>f", "2>f"),
    ] {
        let command = simple(line);
        assert_eq!(literal_words(&command)[1], arg, "{line:?}");
    }
    let command = simple("echo \"2\">f");
    assert_eq!(command.words[1], word(vec![dq(vec![ql("2")])]));
    assert_eq!(command.redirections, [write(1, "f")]);
}

#[test]
fn redirections_may_stand_anywhere_among_the_words_and_keep_their_order() {
    let command = simple("<in a b >out c 2>>err");
    assert_eq!(literal_words(&command), ["a", "b", "c"]);
    let fds: Vec<_> = command.redirections.iter().map(|r| r.fd).collect();
    assert_eq!(fds, [0, 1, 2]);
    // `> f 2>&1` sends both to f, `2>&1 > f` only stdout: the order must survive.
    let first = redirections("c > f 2>&1");
    let second = redirections("c 2>&1 > f");
    assert_eq!(first[0], second[1]);
    assert_eq!(first[1], second[0]);
    assert_ne!(first, second);
}

#[test]
fn a_command_may_be_only_redirections() {
    let command = simple("> empty");
    assert!(command.words.is_empty() && command.assignments.is_empty());
    assert_eq!(command.redirections, [write(1, "empty")]);
}

#[test]
fn redirection_targets_are_full_words() {
    let command = simple("c > \"my file\"$N");
    let target = word(vec![dq(vec![ql("my file")]), WordPart::Param(var("N"))]);
    assert_eq!(
        command.redirections,
        [Redirection {
            fd: 1,
            kind: RedirKind::Write(target)
        }]
    );
    // A target that looks like a number or `!` is still a file name.
    assert_eq!(redirections("c > 2"), [write(1, "2")]);
    assert_eq!(redirections("c > !"), [write(1, "!")]);
}

#[test]
fn adjacent_quoted_pieces_make_one_word() {
    let command = simple("'a'\"b\"c");
    assert_eq!(
        command.words,
        [word(vec![sq("a"), dq(vec![ql("b")]), l("c")])]
    );
}

#[test]
fn backslash_escapes_a_quote_inside_double_quotes() {
    let command = simple(r#""a\"b""#);
    assert_eq!(command.words, [word(vec![dq(vec![ql("a\"b")])])]);
}

#[test]
fn the_close_escape_reopen_idiom_for_a_single_quote() {
    let command = simple(r"'it'\''s'");
    assert_eq!(command.words, [word(vec![sq("it"), l("'"), sq("s")])]);
}

#[test]
fn single_quotes_keep_everything_literally() {
    let command = simple(r#"'$X \ " # ~ | ;'"#);
    assert_eq!(command.words, [word(vec![sq(r#"$X \ " # ~ | ;"#)])]);
    let command = simple("'two\nlines'");
    assert_eq!(command.words, [word(vec![sq("two\nlines")])]);
}

#[test]
fn double_quotes_escape_only_dollar_backquote_quote_backslash_and_newline() {
    let command = simple(
        r#""a\b\$c\\d\`e\
f""#,
    );
    assert_eq!(command.words, [word(vec![dq(vec![ql(r"a\b$c\d`ef")])])]);
}

#[test]
fn backslash_newline_joins_lines_even_inside_a_word() {
    assert_eq!(literal_words(&simple("ec\\\nho hi")), ["echo", "hi"]);
    assert_eq!(literal_words(&simple("a \\\n b")), ["a", "b"]);
    assert_eq!(parse("a |\\\n b"), parse("a | b"));
}

#[test]
fn backslash_makes_operators_and_blanks_ordinary() {
    let command = simple(r"a\;b \| c\&\ d \> \(");
    assert_eq!(literal_words(&command), ["a;b", "|", "c& d", ">", "("]);
}

#[test]
fn empty_quotes_are_empty_words() {
    let command = simple("a \"\" ''");
    assert_eq!(command.words.len(), 3);
    assert_eq!(command.words[1], word(vec![dq(vec![])]));
    assert_eq!(command.words[2], word(vec![sq("")]));
}

#[test]
fn a_comment_starts_only_at_the_start_of_a_word() {
    let command = simple("echo a#b c # the rest");
    assert_eq!(literal_words(&command), ["echo", "a#b", "c"]);
    let command = simple("echo \\#x '#y'#");
    assert_eq!(command.words[1], lit("#x"));
    assert_eq!(command.words[2], word(vec![sq("#y"), l("#")]));
    let list = parse("a # one\nb").unwrap();
    assert_eq!(names(&list), [["a"], ["b"]]);
    assert_eq!(
        simple("echo $# x").words.len(),
        3,
        "`$#` is a parameter, not a comment"
    );
}

#[test]
fn tilde_is_special_only_alone_or_before_a_slash_at_a_word_start() {
    assert_eq!(simple("cd ~").words[1], word(vec![WordPart::Tilde]));
    assert_eq!(
        simple("cd ~/x").words[1],
        word(vec![WordPart::Tilde, l("/x")])
    );
    assert_eq!(
        simple("ls ~>f").words[1],
        word(vec![WordPart::Tilde]),
        "an operator ends the word"
    );
    for (line, text) in [
        ("cd ~user", "~user"),
        ("cd a~", "a~"),
        ("cd \\~", "~"),
        ("cd a/~/b", "a/~/b"),
    ] {
        assert_eq!(simple(line).words[1], lit(text), "{line:?}");
    }
    assert_eq!(
        simple("cd ~'/x'").words[1],
        word(vec![l("~"), sq("/x")]),
        "a quoted rest keeps the tilde literal"
    );
}

#[test]
fn parameters_in_all_their_spellings() {
    let command = simple("echo $X ${Y}z $Xy $? $$ $! $# $0 $9 $@ $*");
    let p = |param| word(vec![WordPart::Param(param)]);
    assert_eq!(command.words[1], p(var("X")));
    assert_eq!(
        command.words[2],
        word(vec![WordPart::Param(var("Y")), l("z")])
    );
    assert_eq!(command.words[3], p(var("Xy")));
    for (index, name) in ["?", "$", "!", "#", "0", "9"].iter().enumerate() {
        assert_eq!(command.words[4 + index], p(var(name)));
    }
    assert_eq!(command.words[10], p(Param::At));
    assert_eq!(command.words[11], p(Param::Star));
}

#[test]
fn only_one_digit_follows_a_bare_dollar_and_braces_allow_more() {
    assert_eq!(
        simple("echo $10").words[1],
        word(vec![WordPart::Param(var("1")), l("0")])
    );
    let param = |line| simple(line).words[1].clone();
    assert_eq!(param("echo ${10}"), word(vec![WordPart::Param(var("10"))]));
    assert_eq!(param("echo ${01}"), word(vec![WordPart::Param(var("1"))]));
    assert_eq!(param("echo ${00}"), word(vec![WordPart::Param(var("0"))]));
    assert_eq!(param("echo ${@}"), word(vec![WordPart::Param(Param::At)]));
}

#[test]
fn a_dollar_that_starts_nothing_is_literal() {
    for (line, text) in [
        ("echo $", "$"),
        ("echo a$", "a$"),
        ("echo $-", "$-"),
        ("echo $%x", "$%x"),
    ] {
        assert_eq!(simple(line).words[1], lit(text), "{line:?}");
    }
    assert_eq!(literal_words(&simple("echo $ x")), ["echo", "$", "x"]);
    assert_eq!(simple("echo \"$\"").words[1], word(vec![dq(vec![ql("$")])]));
}

#[test]
fn parameters_inside_double_quotes() {
    let command = simple("echo \"a $X-${Y}b $@\"");
    assert_eq!(
        command.words[1],
        word(vec![dq(vec![
            ql("a "),
            QuotedPart::Param(var("X")),
            ql("-"),
            QuotedPart::Param(var("Y")),
            ql("b "),
            QuotedPart::Param(Param::At),
        ])])
    );
}

#[test]
fn non_ascii_text_passes_through() {
    let command = simple("écho ñ 'ü' \"€$X\"");
    assert_eq!(command.words[0], lit("écho"));
    assert_eq!(command.words[2], word(vec![sq("ü")]));
}

#[test]
fn reserved_words_are_ordinary_words_after_the_command_name_or_quoted() {
    let list = parse("echo if then fi; \\if; \\do").unwrap();
    assert_eq!(names(&list), [["echo"], ["if"], ["do"]]);
    assert!(parse("'fi'").is_ok());
}

#[test]
fn a_hundred_thousand_command_pipeline_parses_without_recursion() {
    const COMMANDS: usize = 100_000;
    let line = vec!["a"; COMMANDS].join("|");
    let list = parse(&line).unwrap();
    assert_eq!(list.items[0].0.first.commands.len(), COMMANDS);
    // The printer and the comparison are loops too.
    assert_eq!(parse(&list.to_string()), Ok(list));
}

#[test]
fn long_lists_and_chains_parse() {
    const ITEMS: usize = 100_000;
    let list = parse(&"a;".repeat(ITEMS)).unwrap();
    assert_eq!(list.items.len(), ITEMS);
    let chain = vec!["a"; ITEMS].join("&&");
    assert_eq!(parse(&chain).unwrap().items[0].0.rest.len(), ITEMS - 1);
    let bangs = format!("{}a", "! ".repeat(ITEMS));
    assert!(!parse(&bangs).unwrap().items[0].0.first.negated);
}
