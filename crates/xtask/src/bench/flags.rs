//! Reading a benchmark's `--flag [value]` arguments.

use std::slice::Iter;

use crate::error::{Context, Result};

/// The value after `flag`; without one the error says the flag needs
/// `what`.
pub fn value<'a>(args: &mut Iter<'a, String>, flag: &str, what: &str) -> Result<&'a str> {
    args.next()
        .map(String::as_str)
        .with_context(|| format!("{flag} needs {what}"))
}

/// The number after `flag`, `_` digit separators allowed (`1_000_000`).
pub fn count(args: &mut Iter<'_, String>, flag: &str) -> Result<u64> {
    let v = value(args, flag, "a number")?;
    v.replace('_', "")
        .parse()
        .with_context(|| format!("{flag} {v}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn count_reads_separated_digits_and_names_the_flag_when_wrong() {
        let list = args(&["1_000_000", "many"]);
        let mut it = list.iter();
        assert_eq!(count(&mut it, "--rows").unwrap(), 1_000_000);
        let error = count(&mut it, "--rows").unwrap_err().to_string();
        assert!(error.starts_with("--rows many: "), "{error}");
        let error = count(&mut it, "--rows").unwrap_err().to_string();
        assert_eq!(error, "--rows needs a number");
    }

    #[test]
    fn value_says_what_the_flag_needs() {
        let list = args(&["a"]);
        let mut it = list.iter();
        assert_eq!(value(&mut it, "--case", "a, b or c").unwrap(), "a");
        let error = value(&mut it, "--case", "a, b or c").unwrap_err();
        assert_eq!(error.to_string(), "--case needs a, b or c");
    }
}
