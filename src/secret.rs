//! Reading a token without putting it on a command line: from a prompt that does
//! not echo, or from stdin when it is not a terminal (a pipe from the admin's
//! `user token`, a password manager).

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};

/// The token, trimmed; refused when empty.
pub fn read_token() -> anyhow::Result<String> {
    let token = if std::io::stdin().is_terminal() {
        rpassword::prompt_password("Token (from `kanban-server user add` or `user token`): ")
            .context("reading the token")?
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("reading the token from stdin")?;
        line
    };
    let token = token.trim();
    if token.is_empty() {
        bail!("no token given");
    }
    Ok(token.to_string())
}
