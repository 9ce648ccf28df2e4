//! The hub's bookkeeping: which live connections a check ends, and which one makes room.

use super::*;
use crate::auth::permissions::Permission;

#[test]
fn only_what_the_check_asked_about_is_ended() {
    let hub = Hub::new();
    let checked_then = hub.register(1, 1, "old".into(), Stream::Presence, false, None);
    let opened_since = hub.register(
        2,
        1,
        "new".into(),
        Stream::Activity,
        false,
        Some(Permission::AuditView),
    );
    // The check asked about "old" only, and found it gone; "new" opened meanwhile.
    let checked = HashSet::from(["old"]);
    hub.end_sessions(&checked, &HashSet::new(), &HashSet::new(), &HashSet::new());
    assert_eq!(*checked_then.ended.borrow(), Some(Ended::SignedOut));
    assert!(
        opened_since.ended.borrow().is_none(),
        "opened after the check began"
    );

    // Asked about its permission, and it no longer holds: ended.
    let asked = HashSet::from([(2, Permission::AuditView.as_str())]);
    let valid = HashSet::from(["new".to_owned()]);
    let checked = HashSet::from(["new"]);
    hub.end_sessions(&checked, &valid, &asked, &HashSet::new());
    assert_eq!(*opened_since.ended.borrow(), Some(Ended::PermissionLost));
}

#[test]
fn a_session_at_its_cap_ends_its_oldest_connection_of_the_same_stream_for_the_newest() {
    let hub = Hub::new();
    let open = |stream| hub.register(1, 1, "s".into(), stream, false, None);
    let presence = open(Stream::Presence);
    let activity: Vec<Registration> = (1..MAX_PER_SESSION)
        .map(|_| open(Stream::Activity))
        .collect();
    let other_session = hub.register(2, 1, "t".into(), Stream::Activity, false, None);

    // The 13th, an Activity page: the oldest Activity connection ends, not presence.
    let newest = open(Stream::Activity);
    assert_eq!(*activity[0].ended.borrow(), Some(Ended::Replaced));
    assert!(activity[1..].iter().all(|r| r.ended.borrow().is_none()));
    assert!(presence.ended.borrow().is_none() && newest.ended.borrow().is_none());
    assert!(other_session.ended.borrow().is_none(), "another session's");

    // A connection told to end frees its slot at once: a 14th ends the next oldest.
    let newer = open(Stream::Activity);
    assert_eq!(*activity[1].ended.borrow(), Some(Ended::Replaced));
    assert!(newer.ended.borrow().is_none());

    // A new presence connection ends the older presence connection.
    let fresh_presence = open(Stream::Presence);
    assert_eq!(*presence.ended.borrow(), Some(Ended::Replaced));
    assert!(activity[2..].iter().all(|r| r.ended.borrow().is_none()));
    assert_eq!(
        hub.connections(),
        MAX_PER_SESSION + 4,
        "ended ones leave when dropped"
    );
    drop(activity);
    assert_eq!(hub.connections(), 5);

    // With none of its stream, the oldest of any ends.
    let fill: Vec<Registration> = (0..MAX_PER_SESSION)
        .map(|_| hub.register(3, 1, "u".into(), Stream::Activity, false, None))
        .collect();
    let _ = hub.register(3, 1, "u".into(), Stream::Presence, false, None);
    assert_eq!(*fill[0].ended.borrow(), Some(Ended::Replaced));
    assert!(fill[1..].iter().all(|r| r.ended.borrow().is_none()));
    assert!(fresh_presence.ended.borrow().is_none());
}
