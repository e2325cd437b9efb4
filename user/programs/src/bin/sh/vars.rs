//! The shell's variables: the environment it was given, what the user sets, and the special
//! parameters (`$?`, `$$`, `$!`, `$0`...) that the language's expansion asks for.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use shsyntax::Environment;

/// One variable: its value, and whether programs the shell starts see it.
#[derive(Clone)]
struct Var {
    value: String,
    exported: bool,
}

/// Every variable and special parameter.
#[derive(Clone)]
pub struct Vars {
    vars: BTreeMap<String, Var>,
    /// `$0`: the shell's name, or the script's.
    pub name: String,
    /// `$1`...: the script's arguments.
    pub positional: Vec<String>,
    /// `$?`: the status of the last command.
    pub status: i32,
    /// `$!`: the pid of the last background job.
    pub last_background: Option<u32>,
    /// `$$`: the shell's pid.
    pub pid: u32,
}

impl Vars {
    /// Variables from the environment the shell was started with, all exported.
    pub fn from_environment(pid: u32) -> Vars {
        let mut vars = BTreeMap::new();
        for entry in runtime::env() {
            if let Some((name, value)) = entry.split_once('=') {
                let var = Var {
                    value: value.to_string(),
                    exported: true,
                };
                vars.insert(name.to_string(), var);
            }
        }
        Vars {
            vars,
            name: String::from("sh"),
            positional: Vec::new(),
            status: 0,
            last_background: None,
            pid,
        }
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(|v| v.value.as_str())
    }

    /// Sets `name`, keeping whether it is exported.
    pub fn set(&mut self, name: &str, value: String) {
        match self.vars.get_mut(name) {
            Some(var) => var.value = value,
            None => {
                let var = Var {
                    value,
                    exported: false,
                };
                self.vars.insert(name.to_string(), var);
            }
        }
    }

    /// Marks `name` exported (setting it to "" if unset).
    pub fn export(&mut self, name: &str) {
        self.vars
            .entry(name.to_string())
            .or_insert(Var {
                value: String::new(),
                exported: true,
            })
            .exported = true;
    }

    /// Removes `name`.
    pub fn unset(&mut self, name: &str) {
        self.vars.remove(name);
    }

    /// The environment for a program: every exported variable, then `extra` (a command's own
    /// `NAME=value` prefixes), each as `NAME=value` with a NUL.
    pub fn environment(&self, extra: &[(String, String)]) -> Vec<Vec<u8>> {
        let mut merged: BTreeMap<&str, &str> = self
            .vars
            .iter()
            .filter(|(_, v)| v.exported)
            .map(|(k, v)| (k.as_str(), v.value.as_str()))
            .collect();
        for (name, value) in extra {
            merged.insert(name, value);
        }
        merged
            .into_iter()
            .map(|(name, value)| format!("{name}={value}\0").into_bytes())
            .collect()
    }

    /// Every variable as `NAME=value`, exported ones marked, for `export` with no arguments.
    pub fn listing(&self) -> Vec<String> {
        self.vars
            .iter()
            .map(|(name, var)| {
                let mark = if var.exported { "export " } else { "" };
                format!("{mark}{name}={}", var.value)
            })
            .collect()
    }
}

/// Whether `name` is a valid variable name.
pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Environment for Vars {
    fn var(&self, name: &str) -> Option<String> {
        match name {
            "?" => Some(self.status.to_string()),
            "$" => Some(self.pid.to_string()),
            "!" => self.last_background.map(|pid| pid.to_string()),
            "#" => Some(self.positional.len().to_string()),
            "0" => Some(self.name.clone()),
            _ => match name.parse::<usize>() {
                Ok(n) => self.positional.get(n - 1).cloned(),
                Err(_) => self.get(name).map(String::from),
            },
        }
    }

    fn positional(&self) -> Vec<String> {
        self.positional.clone()
    }
}
