//! Secrets given to `kanban-server`: the database's and the broker's passwords
//! (in their URLs) and the app secret. Each may come in its environment variable,
//! or in a file named by the same variable with `_FILE` after it
//! (`KANBAN_DATABASE_URL_FILE=/run/credentials/kanban-server.service/db`, as
//! systemd's credentials or a container's secrets are), but never on the command
//! line, where every account of the host reads them (`ps`).

use std::path::PathBuf;

/// Why a secret cannot be taken.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("{var}_FILE names {}: {why}", path.display())]
    Unreadable { var: &'static str, path: PathBuf, why: String },
    #[error("{var} and {var}_FILE are both given: give one")]
    Twice { var: &'static str },
    #[error(
        "{flag} on the command line is readable by every account of this host (ps): \
         give it in {var}, or in a file named by {var}_FILE"
    )]
    OnTheCommandLine { flag: &'static str, var: &'static str },
}

/// The secret in the file `{var}_FILE` names, if it is set: the file's text
/// without its final line break.
pub fn from_file(var: &'static str) -> Result<Option<String>, SecretError> {
    let Some(path) = std::env::var_os(format!("{var}_FILE")).map(PathBuf::from) else { return Ok(None) };
    let text = std::fs::read_to_string(&path).map_err(|e| SecretError::Unreadable {
        var,
        path: path.clone(),
        why: e.to_string(),
    })?;
    Ok(Some(text.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t)).unwrap_or(&text).to_string()))
}

/// Whether a URL carries a password: `scheme://user:password@...`, a NATS or
/// Redis token or password alone before the `@`, or libpq's `password=` in the
/// query.
pub fn has_password(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else { return false };
    let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
    let authority = before_query.split('/').next().unwrap_or("");
    let user_part = authority.rsplit_once('@').map(|(user, _)| user);
    let in_user_part =
        user_part.is_some_and(|user| user.contains(':') || url.starts_with("nats") || url.starts_with("tls"));
    in_user_part || query.split('&').any(|pair| pair.starts_with("password="))
}

/// Takes a secret: from the command line only when it holds no password (the
/// app secret never), from `{var}_FILE` when that is given instead of `var`.
pub fn take(
    value: &mut Option<String>,
    from_command_line: bool,
    flag: &'static str,
    var: &'static str,
    always_secret: bool,
) -> Result<(), SecretError> {
    if from_command_line && value.as_deref().is_some_and(|v| always_secret || has_password(v)) {
        return Err(SecretError::OnTheCommandLine { flag, var });
    }
    if let Some(read) = from_file(var)? {
        if value.is_some() {
            return Err(SecretError::Twice { var });
        }
        *value = Some(read);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_found_wherever_a_url_carries_one() {
        for with in [
            "postgres://kanban:s3cret@db:5432/kanban",
            "postgres://kanban@db/kanban?sslmode=require&password=s3cret",
            "redis://:s3cret@broker:6379",
            "rediss://kanban:s3cret@broker:6379",
            "nats://token@broker:4222",
            "tls://kanban:s3cret@broker:4222",
        ] {
            assert!(has_password(with), "{with}");
        }
        for without in [
            "postgres://kanban@db:5432/kanban",
            "postgres://db/kanban?options=-csearch_path%3Dsite",
            "redis://broker:6379",
            "redis://kanban@broker:6379",
            "nats://broker:4222",
            "not a url",
        ] {
            assert!(!has_password(without), "{without}");
        }
    }

    #[test]
    fn a_secret_on_the_command_line_is_refused_and_a_clean_url_taken() {
        let mut url = Some("postgres://kanban:pw@db/k".to_string());
        let refused = take(&mut url, true, "--database", "KANBAN_TEST_NEVER_SET", false).unwrap_err();
        assert!(
            refused.to_string().contains("KANBAN_TEST_NEVER_SET_FILE") && !refused.to_string().contains("pw")
        );
        let mut clean = Some("postgres://kanban@db/k".to_string());
        take(&mut clean, true, "--database", "KANBAN_TEST_NEVER_SET", false).unwrap();
        let mut secret = Some("abc".to_string());
        assert!(take(&mut secret, true, "--app-secret", "KANBAN_TEST_NEVER_SET", true).is_err());
        assert!(
            take(&mut secret, false, "--app-secret", "KANBAN_TEST_NEVER_SET", true).is_ok(),
            "from the environment"
        );
    }
}
