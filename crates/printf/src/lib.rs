//! The `printf` utility's formatting (POSIX XCU `printf`), kept apart from the program so that
//! it is tested on the host.
//!
//! `printf FORMAT [ARG...]` is `echo` done right: it prints exactly what the format says, no
//! newline unless asked (`\n`), and formats numbers. The format's escapes (`\n`, `\t`, `\\`,
//! `\0NNN`...) and conversions (`%s`, `%d`, `%i`, `%u`, `%x`, `%X`, `%o`, `%c`, `%b`, `%%`), with
//! the flags `-` (left-align), `0` (pad with zeros), `+`, space and `#`, a width and a
//! precision, either written or taken from an argument (`*`). If there are more arguments than
//! conversions, the format is used again until they run out; a missing argument is an empty
//! string or zero.
//!
//! A number that does not parse is reported (the utility then exits 1) and counts as 0, as in
//! GNU's printf: one bad argument does not stop the rest. A character constant `'a` (a leading
//! quote) is that character's code.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// What formatting gave: the text, and the complaints about arguments that were not numbers.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Output {
    /// The bytes to print.
    pub text: Vec<u8>,
    /// One message per argument that should have been a number and was not.
    pub errors: Vec<String>,
    /// Whether `\c` in a `%b` argument asked to stop all output there.
    pub stopped: bool,
}

/// Formats `args` with `format`.
pub fn printf(format: &str, args: &[&str]) -> Output {
    let mut out = Output::default();
    let mut next = 0;
    loop {
        let used_before = next;
        let used_any = one_pass(format, args, &mut next, &mut out);
        if out.stopped || next >= args.len() || !used_any || next == used_before {
            return out;
        }
    }
}

/// One pass over the format; returns whether it has any conversion that takes an argument.
fn one_pass(format: &str, args: &[&str], next: &mut usize, out: &mut Output) -> bool {
    let chars: Vec<char> = format.chars().collect();
    let mut at = 0;
    let mut takes = false;
    let take = |next: &mut usize| -> Option<&str> {
        let arg = args.get(*next).copied();
        *next += 1;
        arg
    };
    while at < chars.len() {
        match chars[at] {
            '\\' => {
                at = escape(&chars, at + 1, &mut out.text, false);
            }
            '%' if chars.get(at + 1) == Some(&'%') => {
                out.text.push(b'%');
                at += 2;
            }
            '%' => {
                let mut spec = Spec::default();
                at += 1;
                while let Some(&flag) = chars.get(at).filter(|c| "-0+ #".contains(**c)) {
                    spec.flags.push(flag);
                    at += 1;
                }
                if chars.get(at) == Some(&'*') {
                    takes = true;
                    spec.width = Some(number(take(next).unwrap_or("0"), out) as i64);
                    at += 1;
                } else {
                    spec.width = digits(&chars, &mut at);
                }
                if chars.get(at) == Some(&'.') {
                    at += 1;
                    if chars.get(at) == Some(&'*') {
                        takes = true;
                        spec.precision =
                            Some(number(take(next).unwrap_or("0"), out).max(0) as usize);
                        at += 1;
                    } else {
                        spec.precision = Some(digits(&chars, &mut at).unwrap_or(0) as usize);
                    }
                }
                // Length modifiers (`l`, `h`...) change nothing here: numbers are 64-bit.
                while chars.get(at).is_some_and(|c| "hlLjzt".contains(*c)) {
                    at += 1;
                }
                let Some(&conversion) = chars.get(at) else {
                    out.errors
                        .push(String::from("the format ends inside a conversion"));
                    return takes;
                };
                at += 1;
                takes = true;
                let arg = take(next);
                convert(conversion, &spec, arg, out);
                if out.stopped {
                    return takes;
                }
            }
            c => {
                let mut buffer = [0u8; 4];
                out.text
                    .extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
                at += 1;
            }
        }
    }
    takes
}

/// A conversion's flags, width and precision.
#[derive(Default)]
struct Spec {
    flags: Vec<char>,
    width: Option<i64>,
    precision: Option<usize>,
}

impl Spec {
    fn has(&self, flag: char) -> bool {
        self.flags.contains(&flag)
    }

    /// Pads `body` to the width: on the left with blanks, or zeros after the sign (`0`, for a
    /// number), or on the right (`-`, or a negative width).
    fn pad(&self, body: String, numeric: bool) -> String {
        let width = self.width.unwrap_or(0);
        let left = self.has('-') || width < 0;
        let width = width.unsigned_abs() as usize;
        let len = body.chars().count();
        if len >= width {
            return body;
        }
        let fill = width - len;
        if left {
            return body + &" ".repeat(fill);
        }
        if numeric && self.has('0') && self.precision.is_none() {
            let sign_len = usize::from(body.starts_with(['-', '+', ' ']));
            let prefix_len =
                if body[sign_len..].starts_with("0x") || body[sign_len..].starts_with("0X") {
                    sign_len + 2
                } else {
                    sign_len
                };
            return format!(
                "{}{}{}",
                &body[..prefix_len],
                "0".repeat(fill),
                &body[prefix_len..]
            );
        }
        " ".repeat(fill) + &body
    }
}

fn digits(chars: &[char], at: &mut usize) -> Option<i64> {
    let start = *at;
    while chars.get(*at).is_some_and(char::is_ascii_digit) {
        *at += 1;
    }
    (*at > start).then(|| {
        chars[start..*at].iter().fold(0i64, |n, c| {
            n.saturating_mul(10)
                .saturating_add(i64::from(*c as u8 - b'0'))
        })
    })
}

/// The number an argument stands for: decimal, octal (`0`), hexadecimal (`0x`), or `'c` for a
/// character's code. A bad one is reported in `out` and counts as 0.
fn number(arg: &str, out: &mut Output) -> i128 {
    let text = arg.trim();
    if let Some(quoted) = text.strip_prefix(['\'', '"']) {
        return quoted
            .chars()
            .next()
            .map_or(0, |c| i128::from(u32::from(c)));
    }
    if text.is_empty() {
        return 0;
    }
    let (negative, body) = match text.strip_prefix('-') {
        Some(body) => (true, body),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let parsed = if let Some(hex) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        i128::from_str_radix(hex, 16)
    } else if body.len() > 1 && body.starts_with('0') {
        i128::from_str_radix(&body[1..], 8)
    } else {
        body.parse::<i128>()
    };
    match parsed {
        Ok(n) if negative => -n,
        Ok(n) => n,
        Err(_) => {
            out.errors.push(format!("'{arg}': not a number"));
            0
        }
    }
}

fn convert(conversion: char, spec: &Spec, arg: Option<&str>, out: &mut Output) {
    let text = match conversion {
        's' => {
            let mut text = String::from(arg.unwrap_or(""));
            if let Some(precision) = spec.precision {
                text = text.chars().take(precision).collect();
            }
            spec.pad(text, false)
        }
        'b' => {
            let chars: Vec<char> = arg.unwrap_or("").chars().collect();
            let mut bytes = Vec::new();
            let mut at = 0;
            while at < chars.len() {
                if chars[at] == '\\' {
                    if chars.get(at + 1) == Some(&'c') {
                        out.stopped = true;
                        break;
                    }
                    at = escape(&chars, at + 1, &mut bytes, true);
                } else {
                    let mut buffer = [0u8; 4];
                    bytes.extend_from_slice(chars[at].encode_utf8(&mut buffer).as_bytes());
                    at += 1;
                }
            }
            spec.pad(String::from_utf8_lossy(&bytes).into_owned(), false)
        }
        'c' => spec.pad(
            arg.and_then(|a| a.chars().next())
                .map(String::from)
                .unwrap_or_default(),
            false,
        ),
        'd' | 'i' => {
            let n = number(arg.unwrap_or("0"), out);
            let mut digits = n.unsigned_abs().to_string();
            if let Some(precision) = spec.precision {
                digits = format!("{digits:0>precision$}");
            }
            let sign = if n < 0 {
                "-"
            } else if spec.has('+') {
                "+"
            } else if spec.has(' ') {
                " "
            } else {
                ""
            };
            spec.pad(format!("{sign}{digits}"), true)
        }
        'u' | 'x' | 'X' | 'o' => {
            let n = number(arg.unwrap_or("0"), out);
            // Negative numbers print as their 64-bit two's complement, as C's do.
            let n = n as i64 as u64;
            let mut digits = match conversion {
                'x' => format!("{n:x}"),
                'X' => format!("{n:X}"),
                'o' => format!("{n:o}"),
                _ => n.to_string(),
            };
            if let Some(precision) = spec.precision {
                digits = format!("{digits:0>precision$}");
            }
            if spec.has('#') && n != 0 {
                digits = match conversion {
                    'x' => format!("0x{digits}"),
                    'X' => format!("0X{digits}"),
                    'o' if !digits.starts_with('0') => format!("0{digits}"),
                    _ => digits,
                };
            }
            spec.pad(digits, true)
        }
        other => {
            out.errors
                .push(format!("%{other}: not a conversion printf knows"));
            return;
        }
    };
    out.text.extend_from_slice(text.as_bytes());
}

/// Reads the escape after a backslash at `at` into `out`; returns where reading goes on. In a
/// `%b` argument (`in_argument`) an octal escape is `\0NNN`; in the format it is `\NNN`.
fn escape(chars: &[char], at: usize, out: &mut Vec<u8>, in_argument: bool) -> usize {
    let Some(&c) = chars.get(at) else {
        out.push(b'\\');
        return at;
    };
    let simple = match c {
        'n' => Some(b'\n'),
        't' => Some(b'\t'),
        'r' => Some(b'\r'),
        'a' => Some(0x07),
        'b' => Some(0x08),
        'f' => Some(0x0c),
        'v' => Some(0x0b),
        '\\' => Some(b'\\'),
        '"' => Some(b'"'),
        '\'' => Some(b'\''),
        _ => None,
    };
    if let Some(byte) = simple {
        out.push(byte);
        return at + 1;
    }
    if c.is_digit(8) {
        let start = if in_argument && c == '0' { at + 1 } else { at };
        let mut value = 0u32;
        let mut end = start;
        while end < start + 3 && chars.get(end).is_some_and(|c| c.is_digit(8)) {
            value = value * 8 + chars[end].to_digit(8).unwrap_or(0);
            end += 1;
        }
        out.push(value as u8);
        return end;
    }
    // An unknown escape is printed as written.
    out.push(b'\\');
    at
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    fn text(format: &str, args: &[&str]) -> String {
        let out = printf(format, args);
        String::from_utf8(out.text).unwrap()
    }

    #[test]
    fn strings_numbers_and_escapes() {
        assert_eq!(text("hello\\n", &[]), "hello\n");
        assert_eq!(text("%s=%d\\n", &["x", "42"]), "x=42\n");
        assert_eq!(text("%5s|%-5s|", &["ab", "cd"]), "   ab|cd   |");
        assert_eq!(text("%05d %+d % d", &["-42", "7", "7"]), "-0042 +7  7");
        assert_eq!(
            text("%x %X %o %#x %#o", &["255", "255", "8", "255", "8"]),
            "ff FF 10 0xff 010"
        );
        assert_eq!(text("%.3s %.5d", &["abcdef", "42"]), "abc 00042");
        assert_eq!(text("%c%c", &["hello", "world"]), "hw");
        assert_eq!(text("100%%", &[]), "100%");
        assert_eq!(text("%*d|%-*d|", &["4", "1", "3", "2"]), "   1|2  |");
        assert_eq!(text("\\101\\102", &[]), "AB");
        assert_eq!(text("%d", &["'A"]), "65");
        assert_eq!(text("%u", &["-1"]), "18446744073709551615");
    }

    #[test]
    fn the_format_repeats_for_the_rest_of_the_arguments() {
        assert_eq!(text("<%s>", &["a", "b", "c"]), "<a><b><c>");
        assert_eq!(text("%s=%s ", &["a", "1", "b"]), "a=1 b= ");
        assert_eq!(
            text("plain\\n", &["ignored"]),
            "plain\n",
            "no conversion: one pass"
        );
    }

    #[test]
    fn percent_b_interprets_escapes_and_backslash_c_stops() {
        assert_eq!(text("%b|", &["a\\tb"]), "a\tb|");
        assert_eq!(text("%b", &["\\0101"]), "A");
        let out = printf("%b%s", &["one\\ctwo", "never"]);
        assert_eq!((out.text, out.stopped), (b"one".to_vec(), true));
    }

    #[test]
    fn a_bad_number_is_reported_and_counts_as_zero() {
        let out = printf("%d %d", &["12abc", "3"]);
        assert_eq!(out.text, b"0 3");
        assert_eq!(out.errors, ["'12abc': not a number"]);
        assert_eq!(
            printf("%q", &["x"]).errors,
            ["%q: not a conversion printf knows"]
        );
    }
}
