//! The person's own editor for a card's text (`E`, or Ctrl-G in the form): the
//! text goes into a private temporary file, the editor runs on it in this
//! terminal, and after a clean exit the file's text comes back. The editor is the
//! config's `[editor] command`, else `$VISUAL`, else `$EDITOR`, else `vi`
//! ([`crate::config`]), run through the shell as git runs its editor, so that a
//! command with arguments (`code --wait`) works.

use std::io::Write as _;

/// Runs `command` on a file holding `text` and answers the file's text once the
/// editor exits with status 0; otherwise why nothing is to be taken. The file
/// (readable by its owner only, named `.md` so that editors color Markdown) is
/// gone afterwards.
pub async fn edit(command: &str, text: &str) -> Result<String, String> {
    let mut file = tempfile::Builder::new()
        .prefix("kanban-card-")
        .suffix(".md")
        .tempfile()
        .map_err(|e| format!("cannot make a file to edit: {e}"))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.flush())
        .map_err(|e| format!("cannot write it: {e}"))?;
    let status = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{command} \"$@\""))
        .arg("sh")
        .arg(file.path())
        .status()
        .await
        .map_err(|e| format!("cannot run the editor ({command}): {e}"))?;
    if !status.success() {
        return Err(match status.code() {
            Some(code) => format!("the editor ({command}) exited with status {code}"),
            None => format!("the editor ({command}) was stopped by a signal"),
        });
    }
    std::fs::read_to_string(file.path()).map_err(|e| format!("cannot read what the editor left: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_file_comes_back_after_a_clean_exit_only() {
        let rewrite = "f() { printf 'New title\\n\\nNew text\\n' > \"$1\"; }; f";
        assert_eq!(edit(rewrite, "Old\n").await.unwrap(), "New title\n\nNew text\n");
        assert_eq!(edit("true", "Kept as it was\n").await.unwrap(), "Kept as it was\n");
        let failed = edit("f() { echo changed > \"$1\"; exit 3; }; f", "Old\n").await.unwrap_err();
        assert!(failed.contains("status 3"), "{failed}");
    }
}
