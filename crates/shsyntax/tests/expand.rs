//! Word expansion against a fixed environment: parameters, quoting, field splitting, `$@`,
//! tilde, and the single-string forms for assignments and redirections.

mod common;

use common::*;
use shsyntax::{expand_redirect_target, expand_single, expand_word, ExpandError, RedirKind};

/// The variables most tests use.
fn env() -> TestEnv {
    TestEnv::new(
        &[
            ("X", "a b"),
            ("Xy", "xy"),
            ("SPACY", "  one \t two\n "),
            ("BLANK", "   "),
            ("EMPTY", ""),
            ("HOME", "/home/ferris"),
            ("?", "3"),
            ("$", "42"),
            ("!", "41"),
            ("0", "sh"),
            ("U", "é ü"),
        ],
        &["p 1", "p2"],
    )
}

/// The arguments `line` (one simple command) expands to.
fn argv_in(line: &str, env: &TestEnv) -> Vec<String> {
    simple(line)
        .words
        .iter()
        .flat_map(|w| expand_word(w, env).unwrap())
        .collect()
}

fn argv(line: &str) -> Vec<String> {
    argv_in(line, &env())
}

#[test]
fn literal_words_expand_to_themselves() {
    assert_eq!(argv("echo a 'b c' \"d\""), ["echo", "a", "b c", "d"]);
}

#[test]
fn unquoted_parameters_are_split_into_fields_and_quoted_ones_are_not() {
    assert_eq!(argv("echo $X"), ["echo", "a", "b"]);
    assert_eq!(argv("echo \"$X\""), ["echo", "a b"]);
    assert_eq!(argv("echo ${X}"), ["echo", "a", "b"]);
}

#[test]
fn runs_of_blanks_make_one_cut_and_edges_make_none() {
    assert_eq!(argv("echo $SPACY"), ["echo", "one", "two"]);
    assert_eq!(argv("echo \"$SPACY\""), ["echo", "  one \t two\n "]);
}

#[test]
fn split_results_join_the_text_written_next_to_them() {
    assert_eq!(argv("echo pre${X}post"), ["echo", "prea", "bpost"]);
    assert_eq!(argv("echo \"<\"$X\">\""), ["echo", "<a", "b>"]);
    // A blank at the edge of the value ends the field there.
    assert_eq!(argv("echo x${SPACY}y"), ["echo", "x", "one", "two", "y"]);
}

#[test]
fn an_unquoted_word_that_expands_to_nothing_vanishes() {
    assert_eq!(argv("echo $UNSET $EMPTY $BLANK"), ["echo"]);
    assert_eq!(argv("$EMPTY echo"), ["echo"]);
}

#[test]
fn quoted_emptiness_stays_an_empty_argument() {
    assert_eq!(argv("echo \"\" '' \"$UNSET\""), ["echo", "", "", ""]);
    assert_eq!(argv("echo $UNSET\"\""), ["echo", ""]);
    assert_eq!(argv("echo \"$BLANK\""), ["echo", "   "]);
}

#[test]
fn special_and_positional_parameters_come_from_the_environment() {
    assert_eq!(
        argv("echo $? $$ $! $# $0 $1 $2 $3"),
        ["echo", "3", "42", "41", "2", "sh", "p", "1", "p2"]
    );
    assert_eq!(argv("echo \"$1\""), ["echo", "p 1"]);
    assert_eq!(argv("echo ${10}x"), ["echo", "x"]);
}

#[test]
fn braces_end_a_name_and_without_them_the_name_runs_on() {
    assert_eq!(argv("echo ${X}y"), ["echo", "a", "by"]);
    assert_eq!(argv("echo $Xy"), ["echo", "xy"]);
    assert_eq!(argv("echo \"${X}y\" \"$Xy\""), ["echo", "a by", "xy"]);
    assert_eq!(argv("echo $1x"), ["echo", "p", "1x"]);
}

#[test]
fn a_lone_dollar_is_literal() {
    assert_eq!(argv("echo $ a$ \"$\" $-"), ["echo", "$", "a$", "$", "$-"]);
}

#[test]
fn quoted_at_gives_one_field_per_positional_parameter() {
    assert_eq!(argv("echo \"$@\""), ["echo", "p 1", "p2"]);
    assert_eq!(argv("echo \"-$@-\""), ["echo", "-p 1", "p2-"]);
    assert_eq!(argv("echo \"${@}\""), ["echo", "p 1", "p2"]);
}

#[test]
fn unquoted_at_and_star_are_split_further() {
    assert_eq!(argv("echo $@"), ["echo", "p", "1", "p2"]);
    assert_eq!(argv("echo $*"), ["echo", "p", "1", "p2"]);
}

#[test]
fn quoted_star_joins_the_parameters_into_one_field() {
    assert_eq!(argv("echo \"$*\""), ["echo", "p 1 p2"]);
    assert_eq!(argv("echo \"[$*]\""), ["echo", "[p 1 p2]"]);
}

#[test]
fn quoted_at_with_no_parameters_is_no_field_at_all() {
    let none = TestEnv::new(&[], &[]);
    assert_eq!(argv_in("echo \"$@\"", &none), ["echo"]);
    assert_eq!(argv_in("echo \"$@\"\"$@\"", &none), ["echo"]);
    // With other text in the quotes, the field exists.
    assert_eq!(argv_in("echo \"x$@\"", &none), ["echo", "x"]);
    assert_eq!(argv_in("echo \"$*\"", &none), ["echo", ""]);
    // An empty parameter is still a parameter, and quoted it is kept.
    let one_empty = TestEnv::new(&[], &[""]);
    assert_eq!(argv_in("echo \"$@\"", &one_empty), ["echo", ""]);
    assert_eq!(argv_in("echo $@", &one_empty), ["echo"]);
    let middle_empty = TestEnv::new(&[], &["a", "", "b"]);
    assert_eq!(
        argv_in("echo \"$@\"", &middle_empty),
        ["echo", "a", "", "b"]
    );
    assert_eq!(argv_in("echo $@", &middle_empty), ["echo", "a", "b"]);
}

#[test]
fn tilde_becomes_home_and_is_not_split() {
    assert_eq!(argv("cd ~"), ["cd", "/home/ferris"]);
    assert_eq!(argv("cd ~/src"), ["cd", "/home/ferris/src"]);
    assert_eq!(argv("echo '~' \\~ a~ ~x"), ["echo", "~", "~", "a~", "~x"]);
    let spaced = TestEnv::new(&[("HOME", "/my home")], &[]);
    assert_eq!(argv_in("ls ~/x", &spaced), ["ls", "/my home/x"]);
    let homeless = TestEnv::new(&[], &[]);
    assert_eq!(argv_in("cd ~/x", &homeless), ["cd", "~/x"]);
}

#[test]
fn single_quotes_and_escapes_stop_expansion() {
    assert_eq!(argv("echo '$X' \\$X \"\\$X\""), ["echo", "$X", "$X", "$X"]);
}

#[test]
fn non_ascii_values_split_only_on_blanks() {
    assert_eq!(argv("echo $U"), ["echo", "é", "ü"]);
}

#[test]
fn there_is_no_globbing() {
    assert_eq!(argv("ls * ?.txt [ab]"), ["ls", "*", "?.txt", "[ab]"]);
}

#[test]
fn assignment_values_are_not_split() {
    let command = simple("A=$X B=~/x C=\"$@\" D=$UNSET");
    let values: Vec<_> = command
        .assignments
        .iter()
        .map(|a| expand_single(&a.value, &env()).unwrap())
        .collect();
    // `~` after `=` is left out, so B keeps it literally.
    assert_eq!(values, ["a b", "~/x", "p 1 p2", ""]);
    let tilde = simple("echo ~/a$X").words[1].clone();
    assert_eq!(expand_single(&tilde, &env()).unwrap(), "/home/ferris/aa b");
}

/// The file name of the single redirection of `line`.
fn target(line: &str) -> Result<String, ExpandError> {
    let command = simple(line);
    match &command.redirections[0].kind {
        RedirKind::Read(w) | RedirKind::Write(w) | RedirKind::Append(w) => {
            expand_redirect_target(w, &env())
        }
        other => panic!("no file: {other:?}"),
    }
}

#[test]
fn a_redirection_target_expands_to_one_file_name() {
    assert_eq!(target("echo > out.txt"), Ok("out.txt".into()));
    assert_eq!(target("echo > \"$X\".log"), Ok("a b.log".into()));
    assert_eq!(target("echo > ~/log"), Ok("/home/ferris/log".into()));
    assert_eq!(target("echo > \"$UNSET\""), Ok(String::new()));
}

#[test]
fn a_redirection_target_that_splits_is_ambiguous() {
    let e = target("echo > $X").unwrap_err();
    assert_eq!(
        e,
        ExpandError::AmbiguousRedirect {
            word: "$X".into(),
            fields: 2
        }
    );
    assert_eq!(
        e.to_string(),
        "ambiguous redirect: '$X' expands to 2 words, not one file name"
    );
    assert_eq!(
        target("cat < $UNSET").unwrap_err().to_string(),
        "ambiguous redirect: '$UNSET' expands to 0 words, not one file name"
    );
    assert!(target("echo >> \"$@\"").is_err());
}

/// An environment whose commands print their own text and whose file system is three files.
struct Shell(TestEnv);

impl shsyntax::Environment for Shell {
    fn var(&self, name: &str) -> Option<String> {
        self.0.var(name)
    }

    fn positional(&self) -> Vec<String> {
        self.0.positional()
    }

    fn command_output(&self, list: &shsyntax::List) -> String {
        format!("out: {list}\n\n")
    }

    fn read_dir(&self, dir: &str) -> Option<Vec<String>> {
        let names: &[&str] = match dir {
            "." => &["b.rs", "a.rs", "c.txt", ".h.rs", "src"],
            "src" => &["main.rs"],
            _ => return None,
        };
        Some(names.iter().map(|n| n.to_string()).collect())
    }
}

fn shell_argv(line: &str) -> Vec<String> {
    let shell = Shell(env());
    simple(line)
        .words
        .iter()
        .flat_map(|w| expand_word(w, &shell).unwrap())
        .collect()
}

#[test]
fn command_substitution_is_split_unquoted_and_loses_trailing_newlines() {
    assert_eq!(shell_argv("echo $(ls -l)"), ["echo", "out:", "ls", "-l"]);
    assert_eq!(shell_argv("echo \"$(ls -l)\"x"), ["echo", "out: ls -lx"]);
    assert_eq!(
        argv("echo $(ls)"),
        ["echo"],
        "no shell: no output, no field"
    );
}

#[test]
fn arithmetic_expands_to_its_value() {
    let env = TestEnv::new(&[("n", "4")], &[]);
    assert_eq!(
        argv_in("echo $((n * 2 + 1)) \"$(($n-5))\"", &env),
        ["echo", "9", "-1"]
    );
    let word = simple("echo $((1/0))").words[1].clone();
    let error = expand_word(&word, &env).unwrap_err();
    assert_eq!(
        error.to_string(),
        "arithmetic expansion $((1/0)): division by zero"
    );
}

#[test]
fn unquoted_patterns_match_paths_and_quoted_ones_do_not() {
    assert_eq!(shell_argv("ls *.rs"), ["ls", "a.rs", "b.rs"]);
    assert_eq!(shell_argv("ls src/*"), ["ls", "src/main.rs"]);
    assert_eq!(
        shell_argv("ls ?.txt [bc]*"),
        ["ls", "c.txt", "b.rs", "c.txt"]
    );
    assert_eq!(shell_argv("ls \"*\".rs '*' \\*"), ["ls", "*.rs", "*", "*"]);
    assert_eq!(
        shell_argv("ls *.none"),
        ["ls", "*.none"],
        "no match: kept as written"
    );
    let shell = Shell(TestEnv::new(&[("P", "*.rs")], &[]));
    let word = simple("ls $P").words[1].clone();
    assert_eq!(
        expand_word(&word, &shell).unwrap(),
        ["a.rs", "b.rs"],
        "an expansion's pattern globs"
    );
    let word = simple("ls \"$P\"").words[1].clone();
    assert_eq!(expand_word(&word, &shell).unwrap(), ["*.rs"]);
}

#[test]
fn case_patterns_keep_quoted_characters_ordinary() {
    let env = TestEnv::new(&[("P", "a*")], &[]);
    let pattern = |line: &str| {
        let word = simple(line).words[1].clone();
        shsyntax::expand_pattern(&word, &env).unwrap()
    };
    assert_eq!(pattern("x a*"), "a*");
    assert_eq!(pattern("x 'a*'"), "a\\*");
    assert_eq!(pattern("x \"$P\""), "a\\*");
    assert_eq!(pattern("x $P"), "a*");
    assert!(shsyntax::glob::matches(&pattern("x a*"), "abc"));
    assert!(!shsyntax::glob::matches(&pattern("x 'a*'"), "abc"));
}

#[test]
fn arithmetic_expands_what_is_inside_it_first() {
    let shell = Shell(TestEnv::new(&[("n", "4"), ("op", "+")], &["3"]));
    let value = |line: &str| {
        let word = simple(line).words[1].clone();
        expand_word(&word, &shell).unwrap()
    };
    assert_eq!(value("echo $(( $n $op $1 ))"), ["7"]);
    assert_eq!(value("echo $(( ${n} * $((n - 1)) ))"), ["12"]);
    // The test shell's commands print their own text: `out: echo 5`, which is no number.
    let word = simple("echo $(( $(echo 5) + 1 ))").words[1].clone();
    assert!(expand_word(&word, &shell).is_err());
}
