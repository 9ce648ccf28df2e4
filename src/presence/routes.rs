//! `GET /presence/stream`: the live connection every console page holds while JavaScript is
//! on. It makes its holder online, and tells those who may see User Management when others
//! come and go (`presence` events: `{"online":[ids]}` for everyone, `{"user":id,"online":b}`
//! for one change).

use actix_web::{web, HttpRequest, HttpResponse};
use tokio::sync::{broadcast, mpsc};

use super::sse;
use super::{Ended, PresenceNews, Stream};
use crate::auth::permissions::Permission;
use crate::web::{AppError, State};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/presence/stream", web::get().to(stream));
}

fn news_frame(news: &PresenceNews) -> web::Bytes {
    let data = match news {
        PresenceNews::Snapshot { online, .. } => serde_json::json!({ "online": online }),
        PresenceNews::Change {
            user_id, online, ..
        } => serde_json::json!({ "user": user_id, "online": online }),
    };
    sse::frame(Some("presence"), None, &data.to_string())
}

pub async fn stream(req: HttpRequest, state: State) -> Result<HttpResponse, AppError> {
    let Some(viewer) = sse::viewer(&req, &state).await? else {
        return Ok(sse::not_signed_in());
    };
    let org_id = viewer.user.org_id;
    let watching = viewer.user.can(Permission::UsersView);
    let mut news = watching.then(|| state.live.subscribe_presence());
    // A watcher must keep users.view: losing it ends this connection quietly, and the
    // browser's reconnect (EventSource retries by itself) comes back without others' presence.
    let needs = watching.then_some(Permission::UsersView);
    let mut registration = state.live.register(
        viewer.user.id,
        org_id,
        viewer.session_hash,
        Stream::Presence,
        watching,
        needs,
    );
    let snapshot = state.live.online_snapshot(org_id).filter(|_| watching);
    // A scoped watcher hears only of the people they manage.
    let scope = viewer.user.scope.clone();
    let snapshot = match (snapshot, scope.clone()) {
        (Some(online), Some(scope)) => Some(
            state
                .db(move |conn| Ok(crate::users::scope::members(conn, &scope, &online)?))
                .await?,
        ),
        (snapshot, _) => snapshot,
    };
    let state = state.into_inner();
    let (tx, rx) = mpsc::channel(32);
    actix_web::rt::spawn(async move {
        if !sse::send(&tx, sse::hello()).await {
            return;
        }
        if let Some(online) = snapshot {
            let frame = news_frame(&PresenceNews::Snapshot { org_id, online });
            if !sse::send(&tx, frame).await {
                return;
            }
        }
        let mut ping = tokio::time::interval(sse::PING);
        ping.tick().await;
        loop {
            let frame = tokio::select! {
                _ = registration.ended.changed() => {
                    // Signed out or replaced: the browser stops. A lost permission ends
                    // quietly: the browser reconnects without others' presence.
                    let why = *registration.ended.borrow();
                    if let Some(why @ (Ended::SignedOut | Ended::Replaced)) = why {
                        let _ = sse::send(&tx, sse::end(why)).await;
                    }
                    break;
                }
                _ = tx.closed() => break,
                _ = ping.tick() => sse::ping(),
                received = recv(&mut news) => match received {
                    Ok(item) if item.org_id() == org_id => {
                        if !in_scope(&state, scope.as_ref(), &item).await {
                            continue;
                        }
                        news_frame(&item)
                    }
                    Ok(_) => continue,
                    // Fell behind: start again with a fresh snapshot on reconnect.
                    Err(broadcast::error::RecvError::Lagged(_)) => break,
                    Err(broadcast::error::RecvError::Closed) => break,
                },
            };
            if !sse::send(&tx, frame).await {
                break;
            }
        }
        drop(registration);
    });
    Ok(sse::response(rx))
}

/// Whether news is about someone a scoped watcher manages (always, unscoped).
async fn in_scope(
    state: &crate::web::AppState,
    scope: Option<&crate::users::scope::Scope>,
    item: &PresenceNews,
) -> bool {
    let (Some(scope), PresenceNews::Change { user_id, .. }) = (scope.cloned(), item) else {
        return scope.is_none();
    };
    let user_id = *user_id;
    state
        .db(move |conn| Ok(crate::users::scope::contains(conn, &scope, user_id)?))
        .await
        .unwrap_or(false)
}

/// The next presence news, or never for a connection that does not watch.
async fn recv(
    news: &mut Option<broadcast::Receiver<std::sync::Arc<PresenceNews>>>,
) -> Result<std::sync::Arc<PresenceNews>, broadcast::error::RecvError> {
    match news {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}
