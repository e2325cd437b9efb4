//! Every syntax error: its kind, its exact message, its place, and whether it is incomplete.

use shsyntax::{parse, SyntaxError, SyntaxErrorKind, MAX_INPUT_BYTES};

fn error(line: &str) -> SyntaxError {
    match parse(line) {
        Ok(list) => panic!("{line:?} parsed as {list:?}"),
        Err(e) => e,
    }
}

/// Checks the message of the error `line` gives, and that it is a complete-input error.
fn wrong(line: &str, message: &str) -> SyntaxError {
    let e = error(line);
    assert_eq!(e.to_string(), message, "{line:?}");
    assert!(!e.is_incomplete(), "{line:?} should not ask for more input");
    e
}

/// `line` stops with `open` not closed by `close`, and the error says more input may finish it.
fn unclosed(line: &str, open: &'static str, close: &'static str) -> SyntaxError {
    let e = error(line);
    assert_eq!(
        e.kind,
        SyntaxErrorKind::Unclosed { open, close },
        "{line:?}"
    );
    assert!(e.is_incomplete(), "{line:?}");
    e
}

/// Checks the message of the error `line` gives, and that more input could fix it.
fn incomplete(line: &str, message: &str) -> SyntaxError {
    let e = error(line);
    assert_eq!(e.to_string(), message, "{line:?}");
    assert!(e.is_incomplete(), "{line:?} should ask for more input");
    e
}

#[test]
fn an_operator_where_a_command_should_start_is_unexpected() {
    let e = wrong("| a", "syntax error at column 1: unexpected '|'");
    assert_eq!(e.kind, SyntaxErrorKind::Unexpected("|"));
    wrong("a ;; b", "syntax error at column 3: unexpected ';;'");
    wrong("; a", "syntax error at column 1: unexpected ';'");
    wrong("a & && b", "syntax error at column 5: unexpected '&&'");
    wrong(
        "a\n|| b",
        "syntax error at line 2, column 1: unexpected '||'",
    );
    wrong("&", "syntax error at column 1: unexpected '&'");
}

#[test]
fn an_operator_followed_by_no_command_names_the_operator() {
    let e = wrong(
        "a && ; b",
        "syntax error at column 3: '&&' must be followed by a command",
    );
    assert_eq!(e.kind, SyntaxErrorKind::MissingCommand("&&"));
    assert_eq!(e.offset, 2);
    wrong(
        "a | | b",
        "syntax error at column 3: '|' must be followed by a command",
    );
    wrong(
        "a || & b",
        "syntax error at column 3: '||' must be followed by a command",
    );
    wrong(
        "a |\n; b",
        "syntax error at column 3: '|' must be followed by a command",
    );
}

#[test]
fn a_bang_needs_a_command_and_is_not_continued() {
    let e = wrong(
        "!",
        "syntax error at column 1: '!' must be followed by a command",
    );
    assert_eq!(e.kind, SyntaxErrorKind::MissingCommand("!"));
    wrong(
        "a && !\nb",
        "syntax error at column 6: '!' must be followed by a command",
    );
}

#[test]
fn a_trailing_pipe_or_and_or_operator_is_incomplete() {
    let e = incomplete("a |", "syntax error: '|' must be followed by a command");
    assert_eq!(e.kind, SyntaxErrorKind::UnfinishedOperator("|"));
    incomplete("a &&", "syntax error: '&&' must be followed by a command");
    incomplete(
        "a ||\n\n",
        "syntax error: '||' must be followed by a command",
    );
    incomplete(
        "a && # more later",
        "syntax error: '&&' must be followed by a command",
    );
}

#[test]
fn a_redirection_without_a_file_name() {
    let e = wrong(
        "echo >",
        "syntax error at column 6: redirection '>' needs a file name",
    );
    assert_eq!(e.kind, SyntaxErrorKind::MissingRedirectTarget(">"));
    wrong(
        "cat < | x",
        "syntax error at column 5: redirection '<' needs a file name",
    );
    wrong(
        "a >> ; b",
        "syntax error at column 3: redirection '>>' needs a file name",
    );
    // The place is the start of the redirection, its number included.
    wrong(
        "a 2>\nb",
        "syntax error at column 3: redirection '>' needs a file name",
    );
    wrong(
        "cat <> f",
        "syntax error at column 5: redirection '<' needs a file name",
    );
}

#[test]
fn a_duplication_needs_one_digit() {
    let e = wrong(
        "a 2>&x",
        "syntax error at column 3: redirection '>&' needs a file descriptor number 0-9",
    );
    assert_eq!(e.kind, SyntaxErrorKind::BadDupTarget(">&"));
    for line in ["a >&", "a >& ;", "a 2>&12", "a >&'1'", "a >&-"] {
        assert_eq!(
            error(line).kind,
            SyntaxErrorKind::BadDupTarget(">&"),
            "{line:?}"
        );
    }
    wrong(
        "a <&b",
        "syntax error at column 3: redirection '<&' needs a file descriptor number 0-9",
    );
}

#[test]
fn a_descriptor_above_nine_is_refused() {
    let e = wrong(
        "a 12>f",
        "syntax error at column 3: file descriptor 12 is out of range: only 0-9 can be redirected",
    );
    assert_eq!(e.kind, SyntaxErrorKind::FdOutOfRange("12".into()));
    assert!(matches!(
        error("a 99999999999999999999<f").kind,
        SyntaxErrorKind::FdOutOfRange(_)
    ));
    assert_eq!(parse("a 09<f"), parse("a 9<f"), "leading zeros are allowed");
}

#[test]
fn unterminated_quotes_are_incomplete() {
    let e = incomplete("echo 'abc", "syntax error: unterminated single quote");
    assert_eq!(e.kind, SyntaxErrorKind::UnterminatedSingleQuote);
    assert_eq!(e.offset, 5, "the place is the opening quote");
    let e = incomplete("echo \"a'b", "syntax error: unterminated double quote");
    assert_eq!(e.kind, SyntaxErrorKind::UnterminatedDoubleQuote);
    incomplete("echo \"a\\\"", "syntax error: unterminated double quote");
    incomplete("echo \"a\\\n", "syntax error: unterminated double quote");
    incomplete("echo 'a\"b' \"", "syntax error: unterminated double quote");
}

#[test]
fn an_unterminated_brace_is_incomplete() {
    let e = incomplete("echo ${X", "syntax error: unterminated '${': missing '}'");
    assert_eq!(e.kind, SyntaxErrorKind::UnterminatedBrace);
    incomplete("echo \"${X", "syntax error: unterminated '${': missing '}'");
}

#[test]
fn a_trailing_backslash_is_incomplete() {
    let e = incomplete(
        "echo a\\",
        "syntax error: backslash at the end of the input",
    );
    assert_eq!(e.kind, SyntaxErrorKind::TrailingBackslash);
    incomplete(
        "echo a \\",
        "syntax error: backslash at the end of the input",
    );
    incomplete(
        "echo a\\\n",
        "syntax error: backslash at the end of the input",
    );
    incomplete(
        "echo a \\\n",
        "syntax error: backslash at the end of the input",
    );
}

#[test]
fn unsupported_parameter_forms_are_bad_substitutions() {
    let e = wrong(
        "echo ${X:-y}",
        "syntax error at column 6: bad substitution '${X:-y}': only ${NAME}, ${digits} and \
         ${?}-style special parameters are supported",
    );
    assert_eq!(e.kind, SyntaxErrorKind::BadSubstitution("X:-y".into()));
    for (line, inside) in [
        ("echo ${}", ""),
        ("echo ${#X}", "#X"),
        ("echo \"${1a}\"", "1a"),
        ("echo ${ X }", " X "),
    ] {
        assert_eq!(
            error(line).kind,
            SyntaxErrorKind::BadSubstitution(inside.into()),
            "{line:?}"
        );
    }
}

#[test]
fn substitutions_left_open_are_incomplete() {
    for (line, open, close) in [
        ("echo $(ls", "$(", ")"),
        ("echo \"$(ls\"", "$(", ")"),
        ("echo `ls", "`", "`"),
        ("echo $((1+2)", "$((", "))"),
    ] {
        unclosed(line, open, close);
    }
    // An error inside a substitution is placed where it is in the whole line.
    let e = wrong(
        "echo $(a |; b)",
        "syntax error at column 10: '|' must be followed by a command",
    );
    assert_eq!(e.kind, SyntaxErrorKind::MissingCommand("|"));
    // Quoted or escaped, they are plain text.
    assert!(parse("echo '$(ls)' \\$\\(ls\\) \\`ls\\` \"\\$(x\\`\"").is_ok());
}

#[test]
fn here_documents_are_refused() {
    let e = wrong(
        "cat <<EOF",
        "syntax error at column 5: here-documents (<<) are not supported",
    );
    assert_eq!(e.kind, SyntaxErrorKind::HereDocument);
    assert_eq!(error("cat 0<<EOF").kind, SyntaxErrorKind::HereDocument);
}

#[test]
fn compound_commands_left_open_are_incomplete_and_wrong_ones_say_what_is_missing() {
    for (line, open, close) in [
        ("if true", "if", "fi"),
        ("if true; then", "then", "fi"),
        ("if true; then a", "if", "fi"),
        ("if a; then b; else", "else", "fi"),
        ("while true; do", "do", "done"),
        ("for x in a b", "for", "done"),
        ("case x in", "case", "esac"),
        ("case x in a) b;;", "case", "esac"),
        ("{ a;", "{", "}"),
        ("(a", "(", ")"),
        ("f()", "()", "a body"),
    ] {
        let e = unclosed(line, open, close);
        assert!(e
            .to_string()
            .ends_with(&format!("'{open}' is not closed: '{close}' is missing")));
    }
    let e = wrong(
        "if a; fi",
        "syntax error at column 7: 'then' expected in this 'if'",
    );
    assert_eq!(
        e.kind,
        SyntaxErrorKind::Expected {
            what: "then",
            of: "if"
        }
    );
    assert!(!e.is_incomplete());
    wrong(
        "while a; done",
        "syntax error at column 10: 'do' expected in this 'while'",
    );
    wrong(
        "if a; then fi",
        "syntax error at column 12: 'then' must be followed by a command",
    );
    wrong("fi", "syntax error at column 1: unexpected 'fi'");
    wrong("a )", "syntax error at column 3: unexpected ')'");
    wrong(
        "for 1x in a; do b; done",
        "syntax error at column 1: '1x' is not a valid name",
    );
    wrong(
        "f() a",
        "syntax error at column 5: '{' expected in this 'function'",
    );
    // Reserved words are reserved only where a command starts, and only unquoted.
    assert!(parse("echo if then fi; \\if; 'fi'").is_ok());
}

#[test]
fn nesting_is_bounded() {
    let deep = format!("{}a{}", "{ ".repeat(200), "; }".repeat(200));
    assert_eq!(error(&deep).kind, SyntaxErrorKind::TooDeep);
    let deep = format!("{}a{}", "$(".repeat(200), ")".repeat(200));
    assert_eq!(
        error(&format!("echo {deep}")).kind,
        SyntaxErrorKind::TooDeep
    );
    let fine = format!("{}a{}", "{ ".repeat(30), "; }".repeat(30));
    assert!(parse(&fine).is_ok());
}

#[test]
fn an_absurdly_long_input_is_refused_before_lexing() {
    let mut line = "a".repeat(MAX_INPUT_BYTES);
    assert!(parse(&line).is_ok(), "the limit itself is allowed");
    line.push('\'');
    let e = wrong(
        &line,
        &format!(
            "syntax error: input too long: {} bytes, the limit is {MAX_INPUT_BYTES}",
            MAX_INPUT_BYTES + 1
        ),
    );
    assert_eq!(e.kind, SyntaxErrorKind::TooLong(MAX_INPUT_BYTES + 1));
}

#[test]
fn places_count_lines_and_characters_not_bytes() {
    let e = error("echo ok\n  | x");
    assert_eq!((e.line, e.column, e.offset), (2, 3, 10));
    assert_eq!(
        e.to_string(),
        "syntax error at line 2, column 3: unexpected '|'"
    );
    // `é` is two bytes but one column.
    let e = error("éé ;; x");
    assert_eq!((e.line, e.column, e.offset), (1, 4, 5));
}

#[test]
fn an_incomplete_input_completes_with_the_next_line() {
    // What an interactive shell does: join the lines with a newline and parse again.
    for (first, second) in [
        ("echo 'a", "b'"),
        ("echo \"a", "b\""),
        ("a |", "b"),
        ("a &&", "b"),
        ("a ||", "b"),
        ("echo a\\", "b"),
        ("echo ${X", "}"),
    ] {
        assert!(error(first).is_incomplete(), "{first:?}");
        let joined = format!("{first}\n{second}");
        let result = parse(&joined);
        if first.contains("${") {
            // `${X` newline `}` is a bad substitution, but a complete one.
            assert!(!result.unwrap_err().is_incomplete());
        } else {
            assert!(result.is_ok(), "{joined:?}: {result:?}");
        }
    }
}

#[test]
fn errors_are_std_errors_with_the_same_message() {
    let e = error("a |");
    let boxed: Box<dyn std::error::Error> = Box::new(e.clone());
    assert_eq!(boxed.to_string(), e.to_string());
    assert_eq!(
        e.kind.to_string(),
        "'|' must be followed by a command",
        "the kind alone is the message without a place"
    );
}
