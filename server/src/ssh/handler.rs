//! One SSH connection: public-key authentication against the site's keys (an
//! unknown key is refused, told in one line how to get access) or by a user
//! certificate of a trusted CA (refused, told in one line why, when it opens
//! nothing), then one session channel with a pty, whose shell or command starts
//! the board.

use std::net::IpAddr;
use std::sync::Arc;

use russh::keys::{Certificate, PublicKey};
use russh::server::{Auth, Msg, PublicKeyOffer, Response, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, MethodKind, MethodSet, Pty};
use tokio::sync::{OwnedSemaphorePermit, mpsc};

use super::admission::{SignedIn, Startup};
use super::certificates::{Principals, Refusal};
use super::front::{self, Input};
use super::{Shared, keys};
use crate::hub::Place;
use crate::store::sign_in::Way;
use crate::store::{KeyHolder, StoreError};
use kanban_protocol::model::User;

/// Input chunks waiting for the board; past it, input is dropped.
const INPUT_QUEUE: usize = 64;

pub struct Handler {
    shared: Arc<Shared>,
    /// Counted among the connections signing in until it signs in.
    startup: Option<Startup>,
    /// Lifts the connection's deadline to sign in.
    signed_in: SignedIn,
    /// A session's slot, held from the sign-in to the connection's end.
    _slot: Option<OwnedSemaphorePermit>,
    /// Its place among the server's connections (`--max-connections`), as long.
    _place: Option<Place>,
    holder: Option<KeyHolder>,
    /// Where the connection comes from (a certificate may be for some addresses).
    peer: IpAddr,
    /// Why the last key or certificate opened nothing, in one line for its holder.
    refusal: Option<String>,
    /// Whether they have been told.
    told: bool,
    channel: Option<ChannelId>,
    pty: Option<front::Pty>,
    env: Vec<(String, String)>,
    input: Option<mpsc::Sender<Input>>,
}

impl Handler {
    pub fn new(shared: Arc<Shared>, startup: Startup, signed_in: SignedIn, peer: IpAddr) -> Self {
        Handler {
            shared,
            startup: Some(startup),
            signed_in,
            _slot: None,
            _place: None,
            holder: None,
            peer,
            refusal: None,
            told: false,
            channel: None,
            pty: None,
            env: Vec::new(),
            input: None,
        }
    }

    async fn holder_of(&self, key: &PublicKey) -> Option<KeyHolder> {
        match self.shared.state.store.user_by_ssh_key(&keys::fingerprint(key)).await {
            Ok(holder) => holder,
            Err(e) => {
                tracing::warn!(error = %e, "cannot look an SSH key up");
                None
            }
        }
    }

    /// Refuses, and lets the holder be told why once (by keyboard-interactive's
    /// instructions, the one text an SSH client shows before it gives up).
    fn refuse(&self) -> Auth {
        let methods: &[MethodKind] = if self.told {
            &[MethodKind::PublicKey]
        } else {
            &[MethodKind::PublicKey, MethodKind::KeyboardInteractive]
        };
        Auth::Reject { proceed_with_methods: Some(MethodSet::from(methods)), partial_success: false }
    }

    /// Signs `holder` in, if there is room for another session.
    fn admit(&mut self, holder: KeyHolder) -> Auth {
        let Some(slot) = self.shared.door.session() else {
            tracing::warn!(
                user = %holder.user.name,
                max = self.shared.options.max_sessions,
                "SSH sign-in refused: as many sessions as --ssh-max-sessions"
            );
            return Auth::Reject { proceed_with_methods: Some(MethodSet::empty()), partial_success: false };
        };
        let Some(place) = self.shared.state.hub.admit() else {
            tracing::warn!(
                user = %holder.user.name,
                max = self.shared.state.hub.limits().max_connections,
                "SSH sign-in refused: as many connections as --max-connections"
            );
            return Auth::Reject { proceed_with_methods: Some(MethodSet::empty()), partial_success: false };
        };
        self._slot = Some(slot);
        self._place = Some(place);
        self.startup = None;
        self.signed_in.set();
        self.holder = Some(holder);
        Auth::Accept
    }

    /// The user the first of `principals` that names one is (or, under
    /// [`Principals::Auto`], the first principal made a user).
    async fn principal_user(&self, principals: &[String], policy: Principals) -> Result<User, Refusal> {
        let store = &self.shared.state.store;
        for name in principals {
            match store.user_by_name(name).await {
                Ok(user) => return Ok(user),
                Err(StoreError::NotFound(_)) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "cannot look a certificate's principal up");
                    return Err(Refusal("The board cannot check certificates now: try again.".into()));
                }
            }
        }
        let names = principals.join(", ");
        if policy == Principals::Auto {
            match crate::admin::user_made_for_signin(store.as_ref(), &principals[0]).await {
                Ok(user) => {
                    tracing::info!(user = %user.name, "a certificate's principal became a user");
                    return Ok(user);
                }
                Err(e) => {
                    return Err(Refusal(format!("This certificate's principal cannot be a user here: {e}")));
                }
            }
        }
        Err(Refusal(format!(
            "No user of this board is named by this certificate's principals ({names}): \
             ask its admin to add you (kanban-server user add NAME)."
        )))
    }

    /// Starts the board in the session channel (with `project` to open), or says
    /// in one line why it cannot start.
    async fn start(&mut self, channel: ChannelId, project: Option<String>, session: &mut Session) {
        let _ = session.channel_success(channel);
        let handle = session.handle();
        let (Some(holder), Some(pty)) = (self.holder.clone(), self.pty.clone()) else {
            let line = "kanban: the board needs a terminal: ssh -t (with the project, if you give one)\r\n";
            tokio::spawn(async move {
                let _ = handle.extended_data(channel, 1, line.as_bytes().to_vec()).await;
                let _ = handle.exit_status_request(channel, 2).await;
                let _ = handle.eof(channel).await;
                let _ = handle.close(channel).await;
            });
            return;
        };
        if self.input.is_some() {
            return;
        }
        let (tx, rx) = mpsc::channel(INPUT_QUEUE);
        self.input = Some(tx);
        let mut pty = pty;
        pty.env = std::mem::take(&mut self.env);
        tracing::info!(user = %holder.user.name, project = ?project, "SSH session opened");
        let setup = front::Setup {
            state: self.shared.state.clone(),
            holder,
            pty,
            project,
            fps: self.shared.options.fps,
            idle: self.shared.options.idle_timeout,
        };
        tokio::spawn(front::run(setup, front::Channel { handle, id: channel }, rx));
    }
}

/// The one line an unknown key reads.
fn how_to_get_access(fingerprint: Option<&str>) -> String {
    let key = fingerprint.map(|f| format!(" ({f})")).unwrap_or_default();
    format!(
        "This board does not know your key{key}: ask its admin to run \
         `kanban-server user key add YOUR-NAME` with your public key (~/.ssh/id_ed25519.pub)."
    )
}

impl russh::server::Handler for Handler {
    type Error = russh::Error;

    async fn auth_publickey_offered(
        &mut self,
        _user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        // Who you are comes from the key alone, never from the login name.
        if self.holder_of(offer.public_key).await.is_some() {
            return Ok(Auth::Accept);
        }
        // A certificate is offered as its key alone: where certificates are
        // trusted, any key may go on to sign, and is judged once it has.
        if self.shared.options.certificates.is_some() {
            return Ok(Auth::Accept);
        }
        self.refusal = Some(how_to_get_access(Some(&keys::fingerprint(offer.public_key))));
        Ok(self.refuse())
    }

    async fn auth_publickey(&mut self, _user: &str, key: VerifiedPublicKey<'_>) -> Result<Auth, Self::Error> {
        match self.holder_of(key.public_key).await {
            Some(holder) => Ok(self.admit(holder)),
            None => {
                // A certificate's refusal says more than that its bare key is
                // unknown (OpenSSH offers the key after the certificate).
                if self.refusal.is_none() {
                    self.refusal = Some(how_to_get_access(Some(&keys::fingerprint(key.public_key))));
                }
                Ok(self.refuse())
            }
        }
    }

    async fn auth_openssh_certificate(
        &mut self,
        _user: &str,
        cert: &Certificate,
    ) -> Result<Auth, Self::Error> {
        let Some(trust) = self.shared.options.certificates.clone() else { return Ok(Auth::reject()) };
        let now = jiff::Timestamp::now().as_second().max(0) as u64;
        let checked = match trust.check(cert, self.peer, now) {
            Ok(principals) => self.principal_user(&principals, trust.principals).await,
            Err(refusal) => Err(refusal),
        };
        // Recorded for `user list`, which also gives the sign-out count that ends
        // this session at the next `user revoke`.
        let checked = match checked {
            Ok(user) => {
                let subject = format!("{}, serial {}", cert.key_id(), cert.serial());
                match self.shared.state.store.record_sign_in(user.id, Way::Certificate, &subject).await {
                    Ok(signed_out) => Ok((user, signed_out)),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot record a sign-in by certificate");
                        Err(Refusal("The board cannot check certificates now: try again.".into()))
                    }
                }
            }
            Err(refusal) => Err(refusal),
        };
        match checked {
            Ok((user, signed_out)) => {
                tracing::info!(
                    user = %user.name,
                    serial = cert.serial(),
                    key_id = cert.key_id(),
                    "SSH sign-in by certificate"
                );
                Ok(self.admit(KeyHolder { user, key_id: None, signed_out }))
            }
            Err(Refusal(why)) => {
                tracing::warn!(peer = %self.peer, serial = cert.serial(), key_id = cert.key_id(), "SSH certificate refused: {why}");
                self.refusal = Some(why);
                Ok(self.refuse())
            }
        }
    }

    /// Asks nothing: its instructions are how an unknown key's holder learns why
    /// and what to do, then it refuses.
    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        _user: &str,
        _submethods: &str,
        response: Option<Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        // Said once: afterwards only keys may be tried (OpenSSH would ask again).
        if response.is_some() || self.told {
            self.told = true;
            let keys_only = MethodSet::from(&[MethodKind::PublicKey][..]);
            return Ok(Auth::Reject { proceed_with_methods: Some(keys_only), partial_success: false });
        }
        Ok(Auth::Partial {
            name: "".into(),
            instructions: self.refusal.clone().unwrap_or_else(|| how_to_get_access(None)).into(),
            prompts: Vec::new().into(),
        })
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // One board per connection.
        if self.holder.is_some() && self.channel.is_none() {
            self.channel = Some(channel.id());
            reply.accept().await;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn pty_request(
        &mut self,
        channel: ChannelId,
        term: &str,
        cols: u32,
        rows: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let (cols, rows) = front::drawn_size(cols, rows);
        self.pty = Some(front::Pty { term: term.to_string(), cols, rows, env: Vec::new() });
        session.channel_success(channel)?;
        Ok(())
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        name: &str,
        value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        // Only what says how colors and times show and how a mention is rung;
        // nothing else of the client's environment is kept.
        if matches!(name, "COLORTERM" | "NO_COLOR" | "TZ" | "KANBAN_NOTIFY") && self.env.len() < 5 {
            self.env.push((name.to_string(), value.chars().take(64).collect()));
            session.channel_success(channel)?;
        } else {
            session.channel_failure(channel)?;
        }
        Ok(())
    }

    async fn shell_request(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), Self::Error> {
        self.start(channel, None, session).await;
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let command = String::from_utf8_lossy(data).trim().chars().take(200).collect::<String>();
        self.start(channel, (!command.is_empty()).then_some(command), session).await;
        Ok(())
    }

    /// No sftp or other subsystem here: only the board.
    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        _name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)?;
        Ok(())
    }

    async fn window_change_request(
        &mut self,
        _channel: ChannelId,
        cols: u32,
        rows: u32,
        _pix_width: u32,
        _pix_height: u32,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        let (cols, rows) = front::drawn_size(cols, rows);
        if let Some(input) = &self.input {
            let _ = input.send(Input::Resize(cols, rows)).await;
        } else if let Some(pty) = &mut self.pty {
            // Before the board starts: it starts at this size.
            (pty.cols, pty.rows) = (cols, rows);
        }
        Ok(())
    }

    async fn data(
        &mut self,
        _channel: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // While the board is behind (its queue of input full), what is typed is
        // dropped, as a terminal drops what it cannot take: waiting here would
        // hold the whole connection, and queueing more would grow without bound.
        if let Some(input) = &self.input
            && let Err(mpsc::error::TrySendError::Full(_)) = input.try_send(Input::Bytes(data.to_vec()))
        {
            tracing::debug!(bytes = data.len(), "SSH input dropped: the board is behind");
        }
        Ok(())
    }

    async fn channel_eof(&mut self, _channel: ChannelId, _session: &mut Session) -> Result<(), Self::Error> {
        self.input = None;
        Ok(())
    }

    async fn channel_close(
        &mut self,
        _channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.input = None;
        Ok(())
    }
}
