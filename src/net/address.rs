//! A server's address as people type it: `host:port` is taken as
//! `http://host:port`, a bare host as `http://host:7878` (the server's own
//! default port), `ws://` and `wss://` as the HTTP URLs of the same place,
//! `unix:PATH` as the server's Unix socket on this host; anything
//! that is not the URL of a server is refused at once, with what is wrong, instead
//! of being tried (and failing) for ever.

use reqwest::Url;

/// The port `kanban-server` listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 7878;

/// `text` as the server's base URL (`http://host:port`, or with a path prefix
/// behind a proxy; no trailing slash), or why it is not one.
pub fn parse(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("no address given (e.g. http://127.0.0.1:7878)".into());
    }
    if let Some(path) = text.strip_prefix("unix:") {
        return unix(path);
    }
    if text.chars().any(char::is_whitespace) {
        return Err(format!("{text:?} has a space in it"));
    }
    let with_scheme = match text.split_once("://") {
        Some(_) => text.to_string(),
        None => {
            // A host alone, or host:port. `Url` would read `localhost:7878` as
            // the scheme `localhost`.
            let bare = text.trim_end_matches('/');
            if bare.contains('/') {
                return Err(format!("{text:?} is not a server address (e.g. http://host:7878)"));
            }
            let has_port = bare.rsplit_once(':').is_some_and(|(_, port)| !port.contains(']'));
            if has_port { format!("http://{bare}") } else { format!("http://{bare}:{DEFAULT_PORT}") }
        }
    };
    let url = Url::parse(&with_scheme).map_err(|e| format!("{text:?} is not a server address: {e}"))?;
    let scheme = match url.scheme() {
        "http" | "ws" => "http",
        "https" | "wss" => "https",
        other => return Err(format!("{text:?}: {other}:// is not a scheme a server speaks (http or https)")),
    };
    let Some(host) = url.host_str() else {
        return Err(format!("{text:?} names no host"));
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{text:?}: no user or password in the address (the token says who you are)"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{text:?}: a server address has no ?query or #fragment"));
    }
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let path = url.path().trim_end_matches('/');
    Ok(format!("{scheme}://{host}{port}{path}"))
}

/// `unix:` and the socket's absolute path.
fn unix(path: &str) -> Result<String, String> {
    if path.is_empty() {
        return Err("unix: names no socket (e.g. unix:/run/kanban/kanban.sock)".into());
    }
    let path = std::path::absolute(path).map_err(|e| format!("unix:{path}: {e}"))?;
    let path = path.to_str().ok_or_else(|| format!("unix:{}: not a UTF-8 path", path.display()))?;
    Ok(format!("unix:{path}"))
}

/// A parsed address (see [`parse`]) in a few words, for the title bar: the host
/// and port of a URL (with `https://` kept, since it says something), or the
/// socket of this host.
pub fn label(server: &str) -> String {
    if let Some(path) = server.strip_prefix("unix:") {
        return format!("this host ({path})");
    }
    match server.strip_prefix("http://") {
        Some(rest) => rest.to_string(),
        None => server.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{label, parse};

    #[test]
    fn what_people_type_becomes_a_url() {
        let ok = |s: &str| parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(ok("127.0.0.1:7878"), "http://127.0.0.1:7878");
        assert_eq!(ok("localhost:9000"), "http://localhost:9000");
        assert_eq!(ok("board.example.org"), "http://board.example.org:7878");
        assert_eq!(ok("[::1]:7878"), "http://[::1]:7878");
        assert_eq!(ok("[::1]"), "http://[::1]:7878");
        assert_eq!(ok("http://127.0.0.1:7878/"), "http://127.0.0.1:7878");
        assert_eq!(ok("https://board.example.org"), "https://board.example.org");
        assert_eq!(ok("wss://board.example.org:8443"), "https://board.example.org:8443");
        assert_eq!(ok("HTTP://Example.org:80/kanban/"), "http://example.org/kanban");
        assert_eq!(ok("  http://h:1  "), "http://h:1");
        assert_eq!(ok("unix:/run/kanban/kanban.sock"), "unix:/run/kanban/kanban.sock");
        let relative = ok("unix:k.sock");
        assert!(relative.starts_with("unix:/") && relative.ends_with("/k.sock"), "{relative}");
    }

    #[test]
    fn an_address_in_a_few_words() {
        assert_eq!(label("http://board.example.org:7878"), "board.example.org:7878");
        assert_eq!(label("https://board.example.org"), "https://board.example.org");
        assert_eq!(label("unix:/run/kanban/kanban.sock"), "this host (/run/kanban/kanban.sock)");
    }

    #[test]
    fn what_is_not_an_address_is_refused_with_why() {
        for (bad, says) in [
            ("", "no address"),
            ("http//host:7878", "not a server address"),
            ("ftp://host", "ftp://"),
            ("http://host:99999", "not a server address"),
            ("http://exa mple.org", "space"),
            ("http://ann:pw@host", "no user or password"),
            ("http://host/?x=1", "?query"),
            ("host:port", "not a server address"),
            ("http://", "not a server address"),
            ("unix:", "names no socket"),
        ] {
            let error = parse(bad).expect_err(bad);
            assert!(error.contains(says), "{bad:?}: {error}");
        }
    }
}
