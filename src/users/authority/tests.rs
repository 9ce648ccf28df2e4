use super::*;

fn all() -> Permissions {
    Permission::ALL
        .into_iter()
        .fold(Permissions::default(), Permissions::with)
}

fn person(id: i64, permissions: Permissions, owner: bool) -> Standing {
    Standing {
        id,
        permissions,
        owner,
        scoped: false,
    }
}

#[test]
fn a_manager_given_user_acts_acts_on_agents_but_not_on_admins_or_the_owner() {
    let manager = person(
        2,
        Permissions::from_names(
            "users.view,audit.view",
            "+users.edit,+users.credentials,+users.status,+users.delete",
        ),
        false,
    );
    let agent = person(3, Permissions::default(), false);
    let admin = person(4, all(), false);
    let owner = person(1, all(), true);
    assert_eq!(check(&manager, &agent, Act::Credentials), Ok(()));
    assert_eq!(check(&manager, &agent, Act::Delete), Ok(()));
    for act in [
        Act::Profile,
        Act::Credentials,
        Act::ResetCredentials,
        Act::Unblock,
    ] {
        assert_eq!(check(&manager, &admin, act), Err(Refusal::Outranked));
        assert_eq!(check(&manager, &owner, act), Err(Refusal::Outranked));
    }
}

#[test]
fn each_act_needs_its_own_permission() {
    let agent = person(3, Permissions::default(), false);
    for act in [
        Act::Profile,
        Act::Credentials,
        Act::ResetCredentials,
        Act::Access,
        Act::Status,
        Act::Delete,
        Act::Unblock,
        Act::Invitation,
        Act::Licenses,
    ] {
        let lacking = person(2, all().without(act.needs()), false);
        assert_eq!(
            check(&lacking, &agent, act),
            Err(Refusal::Lacks(act.needs()))
        );
        assert_eq!(check(&person(2, all(), false), &agent, act), Ok(()));
    }
}

#[test]
fn a_product_permission_the_actor_lacks_outranks_them() {
    let admin = person(4, all(), false);
    let broadcaster = person(5, Permissions::default().with_product(2), false);
    assert_eq!(
        check(&admin, &broadcaster, Act::Profile),
        Err(Refusal::Outranked)
    );
    let admin_with_broadcast = person(4, all().with_product(2), false);
    assert_eq!(
        check(&admin_with_broadcast, &broadcaster, Act::Profile),
        Ok(())
    );
}

#[test]
fn only_the_owner_touches_the_owners_credentials_and_access() {
    let admin = person(4, all(), false);
    let owner = person(1, all(), true);
    assert_eq!(check(&admin, &owner, Act::Profile), Ok(()));
    assert_eq!(check(&admin, &owner, Act::Unblock), Ok(()));
    for act in [Act::Credentials, Act::ResetCredentials, Act::Access] {
        assert_eq!(check(&admin, &owner, act), Err(Refusal::OwnerOnly));
    }
    assert_eq!(
        check(&admin, &owner, Act::Delete),
        Err(Refusal::Owner("deleted"))
    );
    assert_eq!(check(&owner, &owner, Act::Credentials), Ok(()));
    assert!(check(&owner, &owner, Act::Delete).is_err());
    assert_eq!(check(&owner, &admin, Act::ResetCredentials), Ok(()));
}

#[test]
fn nobody_changes_their_own_access_status_or_existence() {
    let admin = person(4, all(), false);
    for act in [
        Act::Access,
        Act::Status,
        Act::Delete,
        Act::ResetCredentials,
        Act::Unblock,
    ] {
        assert!(matches!(
            check(&admin, &admin, act),
            Err(Refusal::Yourself(_))
        ));
    }
    assert_eq!(check(&admin, &admin, Act::Profile), Ok(()));
}

#[test]
fn a_scoped_administrator_is_below_anyone_with_a_permission_over_all() {
    let scoped = Standing {
        scoped: true,
        ..person(2, all(), false)
    };
    let agent = person(3, Permissions::default(), false);
    let viewer = person(4, Permissions::from_names("users.view", ""), false);
    let scoped_viewer = Standing {
        scoped: true,
        ..viewer
    };
    assert_eq!(check(&scoped, &agent, Act::Credentials), Ok(()));
    assert_eq!(
        check(&scoped, &viewer, Act::Credentials),
        Err(Refusal::Outranked)
    );
    assert_eq!(check(&scoped, &scoped_viewer, Act::Credentials), Ok(()));
}
