//! A person the provider vouches for, made known here: the user of the name its
//! claim gives (made first under `--oidc-users auto`), their roles set as the
//! site's groups say (recorded as the admin commands record them, so that an
//! open board feels a role taken away at once), and a token of the board's own.

use kanban_protocol::model::User;

use super::{Oidc, Signed};
use crate::admin::{self, AdminError};
use crate::store::sign_in::NewProviderToken;
use crate::store::{Store, StoreError};

/// Why the person cannot be signed in here.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("{0}")]
    NotAUser(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Signs in the person the provider vouched for: their user, and a new token
/// of theirs that lasts `--oidc-session-days` unless the provider, asked again
/// with the refresh token it gave, keeps saying yes ([`super::refresh`]).
pub async fn sign_in(store: &dyn Store, oidc: &Oidc, signed: Signed) -> Result<(User, String), SignInError> {
    let identity = &signed.identity;
    let name = &identity.username;
    let user = match store.user_by_name(name).await {
        Ok(user) => user,
        Err(StoreError::NotFound(_)) if oidc.options.users == super::OidcUsers::Auto => {
            match admin::user_made_for_signin(store, name).await {
                Ok(user) => {
                    tracing::info!(user = %name, subject = %identity.subject, "a person signed in by the provider became a user");
                    user
                }
                Err(AdminError::Invalid(why)) => {
                    return Err(SignInError::NotAUser(format!("{name:?} cannot be a user here: {why}")));
                }
                Err(AdminError::Store(e)) => return Err(e.into()),
            }
        }
        Err(StoreError::NotFound(_)) => {
            return Err(SignInError::NotAUser(format!(
                "{name} is not a user of this board: ask its admin to add you (kanban-server user add {name})"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    apply_roles(store, oidc, &user, &identity.groups).await;
    let now = jiff::Timestamp::now().as_second();
    let token = store
        .issue_provider_token(NewProviderToken {
            user_id: user.id,
            subject: identity.subject.clone(),
            expires_at: now.saturating_add(oidc.options.session.as_secs() as i64),
            refresh: signed.refresh_token.map(|t| (t, now + super::refresh::ask_again_in(signed.expires_in))),
        })
        .await?;
    tracing::info!(user = %user.name, subject = %identity.subject, "signed in by the provider");
    Ok((user, token))
}

/// Gives and takes the roles the groups say. A board named that is not there,
/// or whose last owner this would leave it without, is passed over and logged:
/// the sign-in goes on.
pub(super) async fn apply_roles(store: &dyn Store, oidc: &Oidc, user: &User, groups: &[String]) {
    for (project, wanted) in oidc.options.roles(groups) {
        let found = match store.find_project(&project).await {
            Ok((id, _)) => id,
            Err(e) => {
                tracing::warn!(project, error = %e, "--oidc-group-role names a board that is not there");
                continue;
            }
        };
        let now = store.role_of(found, user.id).await.unwrap_or(None);
        let done = match wanted {
            Some(role) if now != Some(role) => admin::project_grant(store, &project, &user.name, role).await,
            None if now.is_some() => admin::project_revoke(store, &project, &user.name).await,
            _ => Ok(()),
        };
        match done {
            Ok(()) if now != wanted => {
                tracing::info!(user = %user.name, project, role = ?wanted, "a role set by the provider's groups");
            }
            Ok(()) => {}
            Err(e) => {
                tracing::warn!(user = %user.name, project, error = %e, "a role the groups say was not set")
            }
        }
    }
}
