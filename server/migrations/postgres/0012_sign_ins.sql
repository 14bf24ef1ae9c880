-- Sign-ins from outside the board's own tokens.
--
-- A token issued for the site's OpenID Connect provider ends: `expires_at`
-- (seconds since the epoch) is --oidc-session-days past the provider's last
-- word on it. NULL: the token lasts until revoked, as tokens always did.
ALTER TABLE tokens ADD COLUMN expires_at bigint;

-- How to ask the provider again about such a token: its refresh token (useful
-- only with the client's secret, which is not in this database), the provider's
-- `sub`, and when to ask next. One node asks: it moves `refresh_at` forward by
-- one row update before it asks. The row goes with its token.
CREATE TABLE oidc_sessions (
    token_id      bigint PRIMARY KEY REFERENCES tokens (id) ON DELETE CASCADE,
    subject       text NOT NULL,
    refresh_token text NOT NULL,
    refresh_at    bigint NOT NULL,
    failures      integer NOT NULL DEFAULT 0
);
CREATE INDEX oidc_sessions_due ON oidc_sessions (refresh_at);

-- Each person's last sign-in by each way from outside: `oidc` (the subject is
-- the provider's `sub`) and `certificate` (its key id and serial), for `user
-- list`. Seconds since the epoch.
CREATE TABLE sign_ins (
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        text NOT NULL,
    subject     text NOT NULL,
    last_at     bigint NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- `user revoke` counts here: a session opened by certificate before the count
-- moved ends with it, as one opened by a token ends with the token.
ALTER TABLE users ADD COLUMN signed_out bigint NOT NULL DEFAULT 0;
