//! Secrets come from standard input, never from the command line, which any local user can
//! read in the process list: a hidden prompt on a terminal, else the first line piped in.

use std::io::{BufRead as _, IsTerminal as _};

use secrecy::SecretString;

use crate::failure::Failure;

/// Reads one secret: `prompt` (on the terminal, typing hidden) when standard input is a
/// terminal, else the first line of standard input, without its line ending.
pub fn read(prompt: &str) -> Result<SecretString, Failure> {
    let line = zeroize::Zeroizing::new(if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt)
            .map_err(|e| Failure::local(format!("cannot read from the terminal ({e})")))?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::local(format!("cannot read standard input ({e})")))?;
        line
    });
    let secret = SecretString::from(line.trim_end_matches(['\n', '\r']));
    if secrecy::ExposeSecret::expose_secret(&secret).is_empty() {
        return Err(Failure::usage(format!(
            "no {} given: type it at the prompt, or pipe it in (`printf '%s\\n' \"$SECRET\" | infobip ...`)",
            prompt.trim_end_matches([':', ' '])
        )));
    }
    Ok(secret)
}
