//! Arithmetic expansion: the value of `$(( expression ))`.
//!
//! XCU §2.6.4 takes the C language's integer expressions, on signed long integers: decimal,
//! octal (`010`) and hexadecimal (`0x10`) constants; variables by bare name (`$((n + 1))`, an
//! unset or empty one is 0) or with `$`; the unary `+ - ! ~`; the binary
//! `* / % + - << >> < <= > >= == != & ^ | && ||`; `? :`; parentheses. Assignments inside
//! (`n += 1`) are left out, and are refused by name.
//!
//! The parser is precedence climbing: one function for unary terms and one loop that takes a
//! binary operator while its precedence is high enough, so adding an operator is one line in
//! [`binary`]. Nesting is bounded ([`MAX_NESTING`]), so no expression overflows the stack.
//! Overflow wraps, as it does in dash and bash; division by zero is an error.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// How deeply parentheses and unary operators may nest.
const MAX_NESTING: usize = 64;

/// Why an expression has no value: a message for `sh: arithmetic: ...`.
pub type Error = String;

/// A token of an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Number(i64),
    Name(String),
    Op(&'static str),
}

/// Every operator, longest first so that `<<` is not read as `<` twice.
const OPERATORS: [&str; 27] = [
    "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+=", "-=", "*", "/", "%", "+", "-", "<", ">",
    "&", "^", "|", "!", "~", "?", ":", "=", "(", ")",
];

/// Evaluates `expression`, reading variables with `var` (`None` or an empty value is 0).
pub fn evaluate(expression: &str, var: &dyn Fn(&str) -> Option<String>) -> Result<i64, Error> {
    let tokens = tokenize(expression)?;
    if tokens.is_empty() {
        return Ok(0);
    }
    let mut parser = Parser {
        tokens,
        at: 0,
        var,
        depth: 0,
    };
    let value = parser.ternary()?;
    match parser.tokens.get(parser.at) {
        None => Ok(value),
        Some(token) => Err(format!("unexpected {}", describe(token))),
    }
}

fn describe(token: &Token) -> String {
    match token {
        Token::Number(n) => format!("number {n}"),
        Token::Name(name) => format!("name '{name}'"),
        Token::Op(op) => format!("'{op}'"),
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, Error> {
    let mut tokens = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
        } else if c.is_ascii_digit() {
            let len = rest
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(rest.len());
            tokens.push(Token::Number(number(&rest[..len])?));
            rest = &rest[len..];
        } else if c == '$' || c.is_ascii_alphabetic() || c == '_' {
            // `$name` and `${name}` are the variable itself here.
            let body = rest.strip_prefix('$').unwrap_or(rest);
            let (name, after) = match body.strip_prefix('{') {
                Some(inside) => {
                    let end = inside.find('}').ok_or("a '${' is not closed")?;
                    (&inside[..end], &inside[end + 1..])
                }
                None => {
                    let len = body
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(body.len());
                    (&body[..len], &body[len..])
                }
            };
            if name.is_empty() {
                return Err(String::from("'$' without a name"));
            }
            tokens.push(Token::Name(name.to_string()));
            rest = after;
        } else {
            let op = OPERATORS
                .iter()
                .find(|op| rest.starts_with(**op))
                .ok_or_else(|| format!("unexpected character '{c}'"))?;
            tokens.push(Token::Op(op));
            rest = &rest[op.len()..];
        }
    }
    Ok(tokens)
}

/// A constant: decimal, octal after `0`, hexadecimal after `0x`.
fn number(text: &str) -> Result<i64, Error> {
    let (digits, radix) = if let Some(hex) = text.strip_prefix("0x").or(text.strip_prefix("0X")) {
        (hex, 16)
    } else if text.len() > 1 && text.starts_with('0') {
        (&text[1..], 8)
    } else {
        (text, 10)
    };
    u64::from_str_radix(digits, radix)
        .map(|n| n as i64)
        .map_err(|_| format!("'{text}' is not a number"))
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    var: &'a dyn Fn(&str) -> Option<String>,
    depth: usize,
}

/// A binary operator's precedence (higher binds tighter), C's order.
fn binary(op: &str) -> Option<u8> {
    Some(match op {
        "*" | "/" | "%" => 10,
        "+" | "-" => 9,
        "<<" | ">>" => 8,
        "<" | "<=" | ">" | ">=" => 7,
        "==" | "!=" => 6,
        "&" => 5,
        "^" => 4,
        "|" => 3,
        "&&" => 2,
        "||" => 1,
        _ => return None,
    })
}

impl Parser<'_> {
    fn peek_op(&self) -> Option<&'static str> {
        match self.tokens.get(self.at) {
            Some(Token::Op(op)) => Some(op),
            _ => None,
        }
    }

    fn nest(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(String::from("expression nested too deeply"));
        }
        Ok(())
    }

    /// `a ? b : c`, the lowest precedence.
    fn ternary(&mut self) -> Result<i64, Error> {
        let condition = self.binary(1)?;
        if self.peek_op() != Some("?") {
            return Ok(condition);
        }
        self.at += 1;
        self.nest()?;
        let then = self.ternary()?;
        if self.peek_op() != Some(":") {
            return Err(String::from("'?' without its ':'"));
        }
        self.at += 1;
        let otherwise = self.ternary()?;
        self.depth -= 1;
        Ok(if condition != 0 { then } else { otherwise })
    }

    /// Binary operators of precedence `min` and higher, left to right.
    fn binary(&mut self, min: u8) -> Result<i64, Error> {
        let mut left = self.unary()?;
        while let Some((op, precedence)) = self
            .peek_op()
            .and_then(|op| binary(op).map(|p| (op, p)))
            .filter(|&(_, p)| p >= min)
        {
            self.at += 1;
            let right = self.binary(precedence + 1)?;
            left = apply(op, left, right)?;
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<i64, Error> {
        self.nest()?;
        let value = match self.tokens.get(self.at).cloned() {
            Some(Token::Number(n)) => {
                self.at += 1;
                n
            }
            Some(Token::Name(name)) => {
                self.at += 1;
                if let Some(op @ ("=" | "+=" | "-=")) = self.peek_op() {
                    return Err(format!("assignment '{name} {op} ...' is not supported"));
                }
                self.variable(&name)?
            }
            Some(Token::Op(op @ ("-" | "+" | "!" | "~"))) => {
                self.at += 1;
                let value = self.unary()?;
                match op {
                    "-" => value.wrapping_neg(),
                    "+" => value,
                    "!" => i64::from(value == 0),
                    _ => !value,
                }
            }
            Some(Token::Op("(")) => {
                self.at += 1;
                let value = self.ternary()?;
                if self.peek_op() != Some(")") {
                    return Err(String::from("'(' without its ')'"));
                }
                self.at += 1;
                value
            }
            Some(token) => return Err(format!("unexpected {}", describe(&token))),
            None => return Err(String::from("the expression ends too early")),
        };
        self.depth -= 1;
        Ok(value)
    }

    /// A variable's value as a number: unset or empty is 0.
    fn variable(&self, name: &str) -> Result<i64, Error> {
        let value = (self.var)(name).unwrap_or_default();
        let value = value.trim();
        if value.is_empty() {
            return Ok(0);
        }
        let (negative, digits) = match value.strip_prefix('-') {
            Some(digits) => (true, digits),
            None => (false, value),
        };
        let magnitude =
            number(digits).map_err(|_| format!("${name} is '{value}', not a number"))?;
        Ok(if negative {
            magnitude.wrapping_neg()
        } else {
            magnitude
        })
    }
}

fn apply(op: &str, a: i64, b: i64) -> Result<i64, Error> {
    Ok(match op {
        "*" => a.wrapping_mul(b),
        "/" | "%" if b == 0 => return Err(String::from("division by zero")),
        "/" => a.wrapping_div(b),
        "%" => a.wrapping_rem(b),
        "+" => a.wrapping_add(b),
        "-" => a.wrapping_sub(b),
        "<<" => a.wrapping_shl(b as u32),
        ">>" => a.wrapping_shr(b as u32),
        "<" => i64::from(a < b),
        "<=" => i64::from(a <= b),
        ">" => i64::from(a > b),
        ">=" => i64::from(a >= b),
        "==" => i64::from(a == b),
        "!=" => i64::from(a != b),
        "&" => a & b,
        "^" => a ^ b,
        "|" => a | b,
        "&&" => i64::from(a != 0 && b != 0),
        _ => i64::from(a != 0 || b != 0),
    })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    fn eval(text: &str) -> Result<i64, Error> {
        evaluate(text, &|name| match name {
            "n" => Some(String::from("7")),
            "neg" => Some(String::from("-3")),
            "word" => Some(String::from("abc")),
            "empty" => Some(String::new()),
            _ => None,
        })
    }

    #[test]
    fn c_precedence_and_associativity() {
        assert_eq!(eval("1 + 2 * 3"), Ok(7));
        assert_eq!(eval("(1 + 2) * 3"), Ok(9));
        assert_eq!(eval("10 - 2 - 3"), Ok(5));
        assert_eq!(eval("2 * 3 % 4"), Ok(2));
        assert_eq!(eval("1 << 4 | 1"), Ok(17));
        assert_eq!(eval("3 > 2 && 2 > 1"), Ok(1));
        assert_eq!(eval("0 || 0"), Ok(0));
        assert_eq!(eval("-5 / 2"), Ok(-2));
        assert_eq!(eval("-5 % 2"), Ok(-1));
        assert_eq!(eval("!0 + ~0"), Ok(0));
        assert_eq!(eval("1 ? 2 : 3"), Ok(2));
        assert_eq!(eval("0 ? 2 : 0 ? 3 : 4"), Ok(4));
        assert_eq!(eval("010 + 0x10"), Ok(24));
        assert_eq!(eval(""), Ok(0));
    }

    #[test]
    fn variables_by_name_or_dollar() {
        assert_eq!(eval("n + 1"), Ok(8));
        assert_eq!(eval("$n * 2"), Ok(14));
        assert_eq!(eval("${n}0"), Err(String::from("unexpected number 0")));
        assert_eq!(eval("neg * n"), Ok(-21));
        assert_eq!(eval("unset + empty"), Ok(0));
        assert!(eval("word").unwrap_err().contains("not a number"));
    }

    #[test]
    fn mistakes_are_named() {
        assert_eq!(eval("1 / 0"), Err(String::from("division by zero")));
        assert_eq!(eval("(1"), Err(String::from("'(' without its ')'")));
        assert_eq!(
            eval("1 +"),
            Err(String::from("the expression ends too early"))
        );
        assert!(eval("n = 3").unwrap_err().contains("not supported"));
        assert!(eval("1 @ 2").unwrap_err().contains("'@'"));
        assert!(eval(&"(".repeat(500)).unwrap_err().contains("too deeply"));
    }

    #[test]
    fn overflow_wraps() {
        assert_eq!(eval("9223372036854775807 + 1"), Ok(i64::MIN));
    }
}
