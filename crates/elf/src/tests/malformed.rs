//! The malformed corpus: every case is refused, for the reason it was built to show.

use std::collections::BTreeSet;
use std::println;

use crate::corpus::{cases, limits};
use crate::parse;

/// How many distinct malformed files the corpus must keep at least.
const MIN_CASES: usize = 30;

#[test]
fn every_malformed_file_is_refused_for_its_reason() {
    let limits = limits();
    let cases = cases();
    let mut failures = 0;
    for case in &cases {
        match parse(&case.bytes, &limits) {
            Ok(_) => {
                println!("FAIL {:<28} parsed, but should be refused", case.name);
                failures += 1;
            }
            Err(e) if (case.expect)(&e) => println!("ok   {:<28} {e}", case.name),
            Err(e) => {
                println!("FAIL {:<28} wrong error {e:?}: {e}", case.name);
                failures += 1;
            }
        }
    }
    println!("{} cases, {failures} failures", cases.len());
    assert_eq!(failures, 0);
    assert!(cases.len() >= MIN_CASES, "only {} cases", cases.len());
}

#[test]
fn case_names_are_unique_file_names() {
    let cases = cases();
    let names: BTreeSet<_> = cases.iter().map(|c| c.name).collect();
    assert_eq!(names.len(), cases.len(), "duplicate case names");
    for name in names {
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{name} is not a plain file name"
        );
    }
}

#[test]
fn no_two_cases_are_the_same_file() {
    let cases = cases();
    let files: BTreeSet<_> = cases.iter().map(|c| &c.bytes).collect();
    assert_eq!(files.len(), cases.len());
}
