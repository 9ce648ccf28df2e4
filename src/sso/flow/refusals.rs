//! Why a provider's answer lets nobody in, in the person's words (the audit keeps the reason).

use crate::sso::oidc::Failure;
use crate::sso::service::Refusal;
use crate::sso::store::Provider;

pub(super) fn failed(failure: Failure, provider: &Provider) -> Refusal {
    let message = match failure.reason {
        "expired" => format!("{} sent an expired answer. Sign in again.", provider.name),
        "discovery" | "configuration" => format!(
            "{} cannot be reached or is set up wrongly right now. Try again later, or sign in with your password.",
            provider.name
        ),
        _ => format!(
            "{}'s answer could not be trusted, so you were not signed in. Sign in again; if it keeps failing, ask an administrator.",
            provider.name
        ),
    };
    Refusal {
        reason: failure.reason,
        message,
    }
}

/// Why a matched person may not come in, said plainly: the provider vouched for them.
pub(super) fn standing_refusal(user: &crate::auth::store::LoginCandidate) -> Option<Refusal> {
    use crate::users::status;
    let (reason, message) = if user.status == status::INVITED {
        (
            "not_active",
            "Your invitation is not accepted yet: use the link in your invitation email.",
        )
    } else if user.status != status::ACTIVE {
        ("not_active", "Your account is deactivated: ask an administrator of your organization to reactivate it.")
    } else if user.locked_at.is_some() {
        (
            "blocked",
            "Your account is blocked: ask an administrator of your organization to unblock it.",
        )
    } else {
        return None;
    };
    Some(Refusal {
        reason,
        message: message.into(),
    })
}
