//! Subscriptions of one connection: the checks a `pusher:subscribe` passes (the
//! channel's name, the connection's limit, the signature, and for a board channel
//! the gate's consent at this moment), then the channel itself.

use kanban_protocol::channel::{self, ChannelKind};
use kanban_protocol::pusher::{self, ChannelData, SubscribeData, code};
use kanban_protocol::sign;
use tokio::time::timeout;

use super::adapter::PresenceMember;
use super::client_event;
use super::connection::Connection;
use super::refusal::Refusal;
use super::{Ending, Frame, Subscriber};

/// How long a board channel's access check may take before the subscription is
/// refused (to be tried again).
const GATE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl Connection {
    /// Subscribes to each channel `data` names; answers a direct error, if any.
    /// Refusals of single channels go through the outbox, in order.
    pub(super) async fn subscribe(&mut self, data: SubscribeData) -> Option<String> {
        let names: Vec<String> =
            data.channel.iter().cloned().chain(data.channels.iter().flatten().cloned()).collect();
        if names.is_empty() {
            return Some(pusher::error(Some(code::REJECTED), "pusher:subscribe needs a channel"));
        }
        // One error for a frame that names more channels than the connection may
        // hold, rather than one per channel: those could overflow its own queue.
        let max = self.hub.limits().max_subscriptions_per_connection;
        if names.len() > max {
            let message = format!("Too many channels in one subscribe (at most {max} per connection)");
            return Some(pusher::error(Some(code::REJECTED), &message));
        }
        for name in names {
            if let Err(refusal) = self.subscribe_one(&name, &data).await {
                let frame = pusher::subscription_error(&name, refusal.status(), &refusal.to_string());
                self.outbox.push(Frame::from(frame));
            }
        }
        None
    }

    async fn subscribe_one(&mut self, name: &str, data: &SubscribeData) -> Result<(), Refusal> {
        if let Some(user) = channel::server_to_user_of(name) {
            // A signed-in user's own channel, theirs alone, with no other check.
            if self.user.as_deref().is_none_or(|signed| &*signed.id != user) {
                return Err(Refusal::NotThisUser);
            }
        } else {
            channel::validate_name(name)?;
        }
        let max = self.hub.limits().max_subscriptions_per_connection;
        if !self.channels.contains_key(name) && self.channels.len() >= max {
            return Err(Refusal::TooMany { max });
        }
        let kind = ChannelKind::of(name);
        let channel_data = if kind == ChannelKind::Presence { data.channel_data.as_deref() } else { None };
        // The access epoch when a board channel's access was checked, if it was,
        // and the project's revision then.
        let mut checked_at = None;
        let mut at_rev = None;
        if kind.needs_auth() {
            let auth = data.auth.as_deref().ok_or(Refusal::NoAuth)?;
            if kind == ChannelKind::Presence && channel_data.is_none() {
                return Err(Refusal::NoChannelData);
            }
            let app = self.hub.app();
            // A board's channels, and a person's own, are signed by the auth
            // endpoint with its grant: checked here against whom it names.
            let owner = channel::user_of(name);
            match (channel::member_project_of(name), self.hub.gate()) {
                (project, Some(gate)) if project.is_some() || owner.is_some() => {
                    let grant = sign::verify_granted_channel_auth(
                        &app.key,
                        &app.secret,
                        auth,
                        &self.socket_id,
                        name,
                        channel_data,
                    )
                    .ok_or(Refusal::NotGranted)?;
                    // A person's own channel is theirs alone.
                    if owner.is_some_and(|owner| grant.user_id != owner) {
                        return Err(Refusal::NotGranted);
                    }
                    if let Some(project_id) = project {
                        let epoch = self.hub.access_epoch();
                        match timeout(GATE_TIMEOUT, gate.admits(project_id, grant)).await {
                            // A board channel's events are those after this
                            // revision; an encrypted channel has no revisions.
                            Ok(Ok(Some(rev))) => at_rev = channel::project_of(name).map(|_| rev),
                            Ok(Ok(None)) => return Err(Refusal::AccessTakenAway),
                            Ok(Err(e)) => {
                                tracing::warn!(error = %e, "cannot check a subscription's access");
                                return Err(Refusal::CannotCheck);
                            }
                            Err(_) => return Err(Refusal::CannotCheck),
                        }
                        checked_at = Some(epoch);
                    }
                }
                _ => {
                    if !sign::verify_channel_auth(
                        &app.key,
                        &app.secret,
                        auth,
                        &self.socket_id,
                        name,
                        channel_data,
                    ) {
                        return Err(Refusal::BadSignature);
                    }
                }
            }
        }
        let member = match channel_data {
            Some(raw) => {
                let parsed: ChannelData =
                    serde_json::from_str(raw).map_err(|e| Refusal::BadChannelData(e.to_string()))?;
                Some(PresenceMember { user_id: parsed.user_id.0, user_info: parsed.user_info })
            }
            None => None,
        };
        let place = member.as_ref().map(|m| self.hub.member(name, &m.user_id));
        let sub = Subscriber {
            conn_id: self.conn_id,
            socket_id: self.socket_id.clone(),
            outbox: self.outbox.clone(),
        };
        if let Some(previous) = self.channels.get(name) {
            // A second subscribe as another presence user replaces the first.
            let user = |m: &Option<client_event::Member>| m.as_ref().map(|m| m.user_id.clone());
            if user(previous) != user(&place) {
                self.hub.adapter().unsubscribe(name, self.conn_id);
                self.channels.remove(name);
            }
        }
        self.hub.adapter().subscribe(name, sub, member, at_rev)?;
        self.channels.insert(name.to_string(), place);
        if channel::is_cache(name) {
            // After the success the adapter queued: the last event, or the miss.
            let last = self.hub.adapter().cached(name);
            self.outbox.push(last.unwrap_or_else(|| Frame::from(pusher::cache_miss(name))));
        }
        if checked_at.is_some_and(|epoch| epoch != self.hub.access_epoch()) {
            // Access changed while this one was being checked, and the change's
            // sweep may have run before it joined: ask it to come back, as the
            // sweep would have.
            self.outbox.end(Ending::Reconnect);
        }
        Ok(())
    }
}
