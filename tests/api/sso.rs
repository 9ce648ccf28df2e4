//! Single sign-on against a real OpenID Connect provider on loopback (oauth2-mock-server,
//! `tests/oidc/provider.mjs`): Settings → Sign-in, the sign-in by button and by email domain,
//! linking, auto sign-up, invitations, Require SSO, and the attacks refused and audited.

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::json;

use crate::both;
use crate::helpers::{location_of, someone, TestApp, PASSWORD};
use crate::idp::{add_provider, Idp};

both!(
    the_owner_sets_up_a_provider_whose_secret_is_never_shown,
    sign_in_by_button_links_by_email_then_by_subject,
    the_attacks_are_refused_and_audited,
    auto_sign_up_through_the_provider_creates_or_refuses,
    home_realm_discovery_and_require_sso,
    an_invitation_is_accepted_through_the_provider,
    oauth_email_links_and_links_are_removable,
    test_sign_in_standing_refusals_edit_user_and_sign_out,
    oauth_email_is_a_credential_and_require_sso_closes_the_password_ways,
);

/// One trip through the provider in `browser`: start, the provider's redirect, the callback.
/// Returns the callback URL and the console's answer to it.
pub async fn through(
    app: &TestApp,
    browser: &reqwest::Client,
    start: &str,
) -> (String, reqwest::Response) {
    let response = browser.get(app.url(start)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND, "{start}");
    let authorize = location_of(&response).unwrap();
    let idp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = idp.get(&authorize).send().await.unwrap();
    let callback = location_of(&answer).expect("the provider redirects back");
    assert!(callback.contains("/sso/callback?"), "{callback}");
    let response = browser.get(&callback).send().await.unwrap();
    (callback, response)
}

async fn refusals(app: &TestApp, org_id: i64) -> Vec<String> {
    app.audit_details(org_id, "auth.sign_in_failed")
        .await
        .iter()
        .filter_map(|d| d["reason"].as_str().map(str::to_owned))
        .collect()
}

async fn user_by_email(app: &TestApp, email: &'static str) -> Option<i64> {
    app.db(move |c| {
        use gatehouse::db::schema::users;
        users::table
            .filter(users::email.eq(email))
            .select(users::id)
            .first::<i64>(c)
            .optional()
            .unwrap()
    })
    .await
}

async fn body(response: reqwest::Response) -> String {
    response.text().await.unwrap()
}

async fn the_owner_sets_up_a_provider_whose_secret_is_never_shown(app: TestApp) {
    let Some(idp) = Idp::start() else { return };
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let (status, page) = app.get_html("/settings/sign-in").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("/sso/callback"),
        "the redirect URL to register"
    );
    // Bad input: messages beside the fields, nothing saved.
    let response = app
        .post_form(
            "/settings/sign-in",
            &[
                ("preset", "generic"),
                ("name", ""),
                ("issuer", "ftp://x"),
                ("client_id", ""),
                ("scopes", "email"),
                ("email_claim", "email"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = body(response).await;
    for message in [
        "Enter the name on the button",
        "Enter the issuer URL",
        "Enter the client ID",
        "openid among them",
    ] {
        assert!(page.contains(message), "{message}");
    }
    let response = app
        .post_form(
            "/settings/sign-in",
            &[
                ("preset", "entra"),
                ("name", "Entra"),
                ("client_id", "x"),
                ("client_secret", "y"),
                ("scopes", "openid"),
                ("email_claim", "email"),
            ],
        )
        .await;
    assert!(body(response)
        .await
        .contains("Enter the Directory (tenant) ID."));
    assert!(app
        .db(move |c| gatehouse::sso::store::providers(c, org_id).unwrap())
        .await
        .is_empty());

    let id = add_provider(&app, org_id, &idp).await;
    for path in [
        "/settings/sign-in".to_owned(),
        format!("/settings/sign-in/{id}"),
    ] {
        let (status, page) = app.get_html(&path).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("Acme ID") && !page.contains("s3cret-client-value"),
            "{path}"
        );
    }
    let added = app.audit_details(org_id, "sso.provider_added").await;
    assert_eq!(added[0]["name"], "Acme ID");
    assert!(!serde_json::to_string(&added).unwrap().contains("s3cret"));
    // Saving without typing a secret keeps it.
    let mut form = vec![
        ("preset", "generic"),
        ("name", "Acme SSO"),
        ("issuer", idp.issuer.as_str()),
        ("client_id", "gatehouse"),
        ("scopes", "openid email"),
        ("email_claim", "email"),
        ("enabled", "1"),
    ];
    let response = app
        .post_form(&format!("/settings/sign-in/{id}"), &form)
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let secret = app
        .db(move |c| {
            gatehouse::sso::store::provider_by_id(c, id)
                .unwrap()
                .unwrap()
        })
        .await;
    assert_eq!(
        (secret.name.as_str(), secret.client_secret.as_str()),
        ("Acme SSO", "s3cret-client-value")
    );
    // An Admin sees the page but does not change it; another organization's id is not found.
    let ann = app
        .add_people(org_id, vec![someone("Ann", "ann@acme.io", "Admin")])
        .await[0];
    let _ = ann;
    app.logout().await;
    app.login_as("ann@acme.io", PASSWORD).await;
    assert_eq!(app.get_html("/settings/sign-in").await.0, StatusCode::OK);
    form[1] = ("name", "Hijacked");
    let response = app
        .post_form(&format!("/settings/sign-in/{id}"), &form)
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = app
        .post_form(&format!("/settings/sign-in/{}", id + 1000), &form)
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

async fn sign_in_by_button_links_by_email_then_by_subject(app: TestApp) {
    let Some(mut idp) = Idp::start() else { return };
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let id = add_provider(&app, org_id, &idp).await;
    let ann = app
        .add_people(org_id, vec![someone("Ann", "ann@acme.io", "Admin")])
        .await[0];
    // The sign-in page of the organization shows the button.
    let page = body(
        app.new_browser()
            .get(app.url("/login?org=acme"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains(&format!("href=\"/sso/{id}/start\""))
            && page.contains("Sign in with Acme ID"),
        "{page}"
    );

    // An Admin needs a second step: the organization's, as long as the provider's MFA is
    // not trusted (its amr says "otp")...
    let ann_mfa = json!({ "claims": { "sub": "okta|ann", "email": "ann@acme.io", "email_verified": true, "amr": ["pwd", "otp"] } });
    idp.next(ann_mfa.clone());
    let (_, response) = through(&app, &app.new_browser(), &format!("/sso/{id}/start")).await;
    assert_eq!(location_of(&response).as_deref(), Some("/login/mfa"));
    // ...and once it is, the provider's second factor counts.
    let form = [
        ("preset", "generic"),
        ("name", "Acme ID"),
        ("issuer", idp.issuer.as_str()),
        ("client_id", "gatehouse"),
        ("scopes", "openid email profile"),
        ("email_claim", "email"),
        ("trust_mfa", "1"),
        ("enabled", "1"),
    ];
    assert_eq!(
        app.post_form(&format!("/settings/sign-in/{id}"), &form)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    idp.next(ann_mfa.clone());
    let browser = app.new_browser();
    let (_, response) = through(&app, &browser, &format!("/sso/{id}/start")).await;
    assert_eq!(
        location_of(&response).as_deref(),
        Some("/users"),
        "{}",
        body(response).await
    );
    let page = browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Linked to Acme ID as ann@acme.io"), "{page}");
    let linked = app.audit_details(org_id, "sso.linked").await;
    assert_eq!(
        (linked.len(), linked[0]["provider"].clone()),
        (1, json!("Acme ID"))
    );
    let signed_in = app.audit_details(org_id, "auth.sign_in").await;
    assert_eq!(signed_in[0]["via"], "Acme ID");

    // Next time the subject decides, whatever address the provider sends now.
    idp.next(json!({ "claims": { "sub": "okta|ann", "email": "ann.renamed@acme.io", "email_verified": true, "amr": ["mfa"] } }));
    let other = app.new_browser();
    let (_, response) = through(&app, &other, &format!("/sso/{id}/start")).await;
    assert_eq!(location_of(&response).as_deref(), Some("/users"));
    let identities = app
        .db(move |c| gatehouse::sso::store::identities_of(c, ann).unwrap())
        .await;
    assert_eq!(identities.len(), 1);
    assert_eq!(app.audit_details(org_id, "sso.linked").await.len(), 1);

    // The Owner is never taken over by an address: refused until they link it themselves.
    idp.person("okta|olive", "olive@acme.io");
    let (_, response) = through(&app, &app.new_browser(), &format!("/sso/{id}/start")).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(refusals(&app, org_id)
        .await
        .contains(&"owner_not_linked".to_owned()));
    // Signed in, the Owner links it from My account, then signs in with it.
    idp.person("okta|olive", "olive@acme.io");
    let (_, response) = through(&app, &app.client, &format!("/account/sso/{id}/link")).await;
    assert_eq!(
        location_of(&response).as_deref(),
        Some("/account?sso=linked")
    );
    idp.next(json!({ "claims": { "sub": "okta|olive", "email": "olive@acme.io", "email_verified": true, "amr": ["mfa"] } }));
    let (_, response) = through(&app, &app.new_browser(), &format!("/sso/{id}/start")).await;
    assert_eq!(location_of(&response).as_deref(), Some("/users"));
}

async fn the_attacks_are_refused_and_audited(app: TestApp) {
    let Some(mut idp) = Idp::start() else { return };
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let id = add_provider(&app, org_id, &idp).await;
    app.add_people(org_id, vec![someone("Ann", "ann@acme.io", "Agent")])
        .await;
    let start = format!("/sso/{id}/start");
    let refused = |response: &reqwest::Response| {
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(response
            .headers()
            .get_all("set-cookie")
            .iter()
            .all(|_| true));
    };

    // Login CSRF: the answer to a sign-in started in one browser, delivered in another.
    idp.person("sub-ann", "ann@acme.io");
    let started = app.new_browser();
    let response = started.get(app.url(&start)).send().await.unwrap();
    let authorize = location_of(&response).unwrap();
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let callback = location_of(&plain.get(&authorize).send().await.unwrap()).unwrap();
    let victim = app.new_browser();
    let response = victim.get(&callback).send().await.unwrap();
    refused(&response);
    // The same code again, in the browser that started it: replayed.
    let response = started.get(&callback).send().await.unwrap();
    refused(&response);
    // An answer naming another issuer (RFC 9207): a mix-up, refused.
    idp.person("sub-ann", "ann@acme.io");
    let mixed = app.new_browser();
    let response = mixed.get(app.url(&start)).send().await.unwrap();
    let authorize = location_of(&response).unwrap();
    let answer = location_of(&plain.get(&authorize).send().await.unwrap()).unwrap();
    let response = mixed
        .get(format!("{answer}&iss=https%3A%2F%2Fevil.example"))
        .send()
        .await
        .unwrap();
    refused(&response);
    // A forged state: nobody's sign-in.
    let forged = callback.replace("state=", "state=forged");
    assert_eq!(
        started.get(&forged).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );

    for (mods, reason) in [
        (json!({ "nonce": "not-the-one-sent" }), "nonce"),
        (json!({ "aud": "another-client" }), "audience"),
        (json!({ "exp_offset": -600 }), "expired"),
        (json!({ "bad_signature": true }), "signature"),
        (
            json!({ "claims": { "sub": "sub-new", "email": "new@acme.io", "email_verified": false } }),
            "unverified_email",
        ),
    ] {
        let mut mods = mods;
        if mods.get("claims").is_none() {
            mods["claims"] =
                json!({ "sub": "sub-ann", "email": "ann@acme.io", "email_verified": true });
        }
        idp.next(mods);
        let (_, response) = through(&app, &app.new_browser(), &start).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{reason}");
        assert!(
            refusals(&app, org_id).await.contains(&reason.to_owned()),
            "{reason}"
        );
    }
    // An address of another organization's domain.
    let now = app.state.clock.now();
    let (_, link) = app
        .db(move |c| gatehouse::orgs::service::create_org(c, "Bravo", now).unwrap())
        .await;
    let owner = app.new_browser();
    let _ = owner;
    app.logout().await;
    app.complete_setup(&link, None, "Bea", "Bravo", "bea@bravo.test")
        .await;
    idp.person("sub-bea", "bea@bravo.test");
    let (_, response) = through(&app, &app.new_browser(), &start).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(user_by_email(&app, "bea@bravo.test").await.is_some());
    let reasons = refusals(&app, org_id).await;
    for reason in [
        "state",
        "replayed_or_expired",
        "issuer_mismatch",
        "other_organization",
    ] {
        assert!(
            reasons.contains(&reason.to_owned()),
            "{reason} in {reasons:?}"
        );
    }
    // Nobody got in: no link was made.
    let links = app.audit_details(org_id, "sso.linked").await;
    assert!(links.is_empty(), "{links:?}");

    // The provider rotates its key: an unknown kid fetches the keys again, and is accepted.
    idp.rotate();
    idp.person("sub-ann", "ann@acme.io");
    let (_, response) = through(&app, &app.new_browser(), &start).await;
    assert_eq!(
        location_of(&response).as_deref(),
        Some("/account"),
        "{}",
        body(response).await
    );
}

async fn set_auto_signup(app: &TestApp, org_id: i64, on: bool) {
    app.db(move |c| gatehouse::orgs::store::set_allow_auto_signup(c, org_id, on).unwrap())
        .await;
}

async fn auto_sign_up_through_the_provider_creates_or_refuses(app: TestApp) {
    let Some(mut idp) = Idp::start() else { return };
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let id = add_provider(&app, org_id, &idp).await;
    let start = format!("/sso/{id}/start");
    let supervisor = app.role_id(org_id, "Supervisor").await;
    let dialer = app.product_id(org_id, "Dialer").await;
    let (supervisor_s, dialer_s) = (supervisor.to_string(), dialer.to_string());
    let response = app
        .post_form(
            "/settings/sign-in/policy",
            &[("role", &supervisor_s), ("product", &dialer_s)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    // Off: told to ask for an invitation, nothing created.
    set_auto_signup(&app, org_id, false).await;
    idp.next(json!({ "claims": { "sub": "sub-neo", "email": "neo@acme.io", "email_verified": true, "given_name": "Neo", "family_name": "Anderson" } }));
    let (_, response) = through(&app, &app.new_browser(), &start).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(body(response)
        .await
        .contains("Ask an administrator of Acme for an invitation"));
    assert!(user_by_email(&app, "neo@acme.io").await.is_none());
    assert!(refusals(&app, org_id)
        .await
        .contains(&"not_a_user".to_owned()));

    // On: created at once, with the policy's role and license, and in the list.
    set_auto_signup(&app, org_id, true).await;
    idp.next(json!({ "claims": { "sub": "sub-neo", "email": "neo@acme.io", "email_verified": true, "given_name": "Neo", "family_name": "Anderson" } }));
    let (_, response) = through(&app, &app.new_browser(), &start).await;
    assert!(
        response.status().is_redirection(),
        "{}",
        body(response).await
    );
    let neo = user_by_email(&app, "neo@acme.io").await.expect("created");
    let (_, page) = app.get_html("/users?q=neo").await;
    assert!(
        page.contains("Neo Anderson") && page.contains("Supervisor"),
        "{page}"
    );
    let joined = app.audit_details(org_id, "user.signed_up").await;
    assert_eq!(joined[0]["via"], "Acme ID");
    assert_eq!(joined[0]["licenses"], json!(["Dialer"]));
    let _ = neo;

    // No seat left: they join without the license, and the Owner is told.
    app.db(move |c| {
        use gatehouse::db::schema::products;
        diesel::update(products::table.find(dialer))
            .set(products::seats.eq(products::seats_used))
            .execute(c)
            .unwrap()
    })
    .await;
    idp.person("sub-trin", "trinity@acme.io");
    let (_, response) = through(&app, &app.new_browser(), &start).await;
    assert!(response.status().is_redirection());
    let joined = app.audit_details(org_id, "user.signed_up").await;
    assert_eq!(joined[0]["no_seat_left"], json!(["Dialer"]));
    let told = app
        .mail()
        .message_about("olive@acme.io", "no seat left")
        .await;
    assert!(
        told.raw
            .contains("trinity@acme.io joined through single sign-on"),
        "{}",
        told.raw
    );
}

async fn home_realm_discovery_and_require_sso(app: TestApp) {
    let Some(mut idp) = Idp::start() else { return };
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let id = add_provider(&app, org_id, &idp).await;
    app.add_people(org_id, vec![someone("Ann", "ann@acme.io", "Agent")])
        .await;
    // An address of the organization's domain goes to its provider.
    let browser = app.new_browser();
    let response = app
        .submit_page_form(
            &browser,
            "/login",
            &[("email", "ann@acme.io"), ("sso", "1")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = body(response).await;
    let start = format!("/sso/{id}/start?login_hint=ann%40acme.io");
    assert!(
        page.contains(&start) && page.contains("Continue to Acme ID"),
        "{page}"
    );
    idp.person("sub-ann", "ann@acme.io");
    let (_, response) = through(&app, &browser, &start).await;
    assert_eq!(location_of(&response).as_deref(), Some("/account"));
    // Another domain: said, and the password still works.
    let response = app
        .submit_page_form(
            &app.new_browser(),
            "/login",
            &[("email", "x@elsewhere.test"), ("sso", "1")],
        )
        .await;
    assert!(body(response)
        .await
        .contains("Single sign-on is not set up for elsewhere.test"));

    // Require SSO refused without a provider enabled? It has one: on.
    let response = app
        .post_form("/settings/sign-in/policy", &[("required", "1")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, response) = app.browser_login("ann@acme.io", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(body(response)
        .await
        .contains("signs in with its identity provider"));
    assert!(refusals(&app, org_id)
        .await
        .contains(&"sso_required".to_owned()));
    // The Owner keeps the password (break-glass).
    let (_, response) = app.browser_login("olive@acme.io", PASSWORD).await;
    assert_eq!(location_of(&response).as_deref(), Some("/users"));
    // Removing the last provider turns Require SSO off, said in the audit.
    let response = app
        .post_form(&format!("/settings/sign-in/{id}/delete"), &[])
        .await;
    assert!(response.status().is_redirection());
    let removed = app.audit_details(org_id, "sso.provider_removed").await;
    assert_eq!(removed[0]["require_sso"], "turned off (no provider left)");
    let (_, response) = app.browser_login("ann@acme.io", PASSWORD).await;
    assert_eq!(location_of(&response).as_deref(), Some("/account"));
}

async fn an_invitation_is_accepted_through_the_provider(app: TestApp) {
    let Some(mut idp) = Idp::start() else { return };
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let id = add_provider(&app, org_id, &idp).await;
    // Invitations go out while automatic sign-up is off.
    app.hx_post("/users/auto-signup", &[("allow", "0")]).await;
    let (ivy, link) = crate::invites::invite_one(&app, org_id, "ivy@acme.io").await;
    let token = link.rsplit("/invite/").next().unwrap().to_owned();
    let (_, page) = app.get_html(&format!("/invite/{token}")).await;
    assert!(
        page.contains(&format!("/sso/{id}/start?invite={token}")),
        "{page}"
    );
    // The provider signs in someone else: refused, the invitation still open.
    idp.person("sub-x", "someone.else@acme.io");
    let start = format!("/sso/{id}/start?invite={token}");
    let (_, response) = through(&app, &app.new_browser(), &start).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.status_of(ivy).await.as_deref(), Some("invited"));
    idp.person("sub-ivy", "ivy@acme.io");
    let browser = app.new_browser();
    let (_, response) = through(&app, &browser, &start).await;
    assert_eq!(location_of(&response).as_deref(), Some("/"));
    assert_eq!(app.status_of(ivy).await.as_deref(), Some("active"));
    let accepted = app.audit_details(org_id, "user.invite_accepted").await;
    assert_eq!(accepted[0]["via"], "single sign-on");
    // Used once.
    let (status, _) = app.get_html(&format!("/invite/{token}")).await;
    assert_eq!(status, StatusCode::GONE);
}

async fn oauth_email_links_and_links_are_removable(app: TestApp) {
    let Some(mut idp) = Idp::start() else { return };
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let id = add_provider(&app, org_id, &idp).await;
    crate::fields::apply_dialer(&app).await;
    let ann = app
        .add_people(org_id, vec![someone("Ann", "ann@acme.io", "Agent")])
        .await[0];
    let field = crate::fields::field_id(&app, org_id, "oauth_email").await;
    app.db(move |c| {
        use gatehouse::db::schema::user_field_values;
        diesel::insert_into(user_field_values::table)
            .values((
                user_field_values::user_id.eq(ann),
                user_field_values::field_id.eq(field),
                user_field_values::value.eq("ann.google@gmail.example"),
                user_field_values::value_key.eq("ann.google@gmail.example"),
            ))
            .execute(c)
            .unwrap()
    })
    .await;
    idp.person("google|ann", "ann.google@gmail.example");
    let browser = app.new_browser();
    let (_, response) = through(&app, &browser, &format!("/sso/{id}/start")).await;
    assert_eq!(
        location_of(&response).as_deref(),
        Some("/account"),
        "{}",
        body(response).await
    );
    // The link shows on My account and goes away from there, audited.
    let page = browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Linked to Acme ID as ann.google@gmail.example"));
    let link = app
        .db(move |c| gatehouse::sso::store::identities_of(c, ann).unwrap()[0].id)
        .await;
    let response = app
        .post_from_page(
            &browser,
            "/account",
            &format!("/account/sso/{link}/unlink"),
            &[],
        )
        .await;
    assert_eq!(
        location_of(&response).as_deref(),
        Some("/account?sso=unlinked")
    );
    assert!(app
        .db(move |c| gatehouse::sso::store::identities_of(c, ann).unwrap())
        .await
        .is_empty());
    assert_eq!(app.audit_details(org_id, "sso.unlinked").await.len(), 1);
    // An administrator removes another person's link from Edit User's way (credentials).
    idp.person("google|ann", "ann.google@gmail.example");
    through(&app, &app.new_browser(), &format!("/sso/{id}/start")).await;
    let link = app
        .db(move |c| gatehouse::sso::store::identities_of(c, ann).unwrap()[0].id)
        .await;
    let response = app
        .hx_post(&format!("/users/{ann}/sso/{link}/unlink"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(app
        .db(move |c| gatehouse::sso::store::identities_of(c, ann).unwrap())
        .await
        .is_empty());
    // Another organization's user: not found.
    let response = app
        .hx_post(&format!("/users/{}/sso/{link}/unlink", ann + 999), &[])
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

async fn test_sign_in_standing_refusals_edit_user_and_sign_out(app: TestApp) {
    let Some(mut idp) = Idp::start() else { return };
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let id = add_provider(&app, org_id, &idp).await;
    // Test sign-in: the claims shown to the Owner who asked, nobody signed in or linked.
    idp.next(json!({ "claims": { "sub": "sub-test", "email": "tester@acme.io", "email_verified": true, "groups": ["ops"] } }));
    let (_, response) = through(&app, &app.client, &format!("/settings/sign-in/{id}/test")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = body(response).await;
    assert!(
        page.contains("Acme ID signed you in")
            && page.contains("sub-test")
            && page.contains("groups"),
        "{page}"
    );
    assert_eq!(app.audit_details(org_id, "sso.tested").await.len(), 1);
    assert!(user_by_email(&app, "tester@acme.io").await.is_none());

    // Deactivated and blocked people are refused after the provider's answer, with the reason.
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Dan", "dan@acme.io", "Agent"),
                someone("Bo", "bo@acme.io", "Agent"),
            ],
        )
        .await;
    let (dan, bo) = (ids[0], ids[1]);
    let now = app.state.clock.now();
    app.db(move |c| {
        use gatehouse::db::schema::users;
        diesel::update(users::table.find(dan))
            .set(users::status.eq("inactive"))
            .execute(c)
            .unwrap();
        diesel::update(users::table.find(bo))
            .set(users::locked_at.eq(Some(now)))
            .execute(c)
            .unwrap();
    })
    .await;
    for (sub, email, words) in [
        ("sub-dan", "dan@acme.io", "Your account is deactivated"),
        ("sub-bo", "bo@acme.io", "Your account is blocked"),
    ] {
        idp.person(sub, email);
        let (_, response) = through(&app, &app.new_browser(), &format!("/sso/{id}/start")).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(body(response).await.contains(words), "{words}");
    }
    let reasons = refusals(&app, org_id).await;
    assert!(
        reasons.contains(&"not_active".to_owned()) && reasons.contains(&"blocked".to_owned()),
        "{reasons:?}"
    );

    // Edit User shows the link, with Unlink for whoever may reset credentials.
    app.db(move |c| {
        use gatehouse::db::schema::users;
        diesel::update(users::table.find(dan))
            .set(users::status.eq("active"))
            .execute(c)
            .unwrap();
    })
    .await;
    idp.person("sub-dan", "dan@acme.io");
    let browser = app.new_browser();
    let (_, response) = through(&app, &browser, &format!("/sso/{id}/start")).await;
    assert_eq!(location_of(&response).as_deref(), Some("/account"));
    let dialog = body(app.hx_get(&format!("/users/{dan}/edit")).await).await;
    assert!(
        dialog.contains("Linked to Acme ID as dan@acme.io") && dialog.contains("/sso/"),
        "{dialog}"
    );

    // Signing out offers the provider's end-session URL.
    let response = app
        .post_from_page(&browser, "/account", "/logout", &[])
        .await;
    let signed_out = location_of(&response).unwrap();
    assert_eq!(signed_out, "/login?signed_out=1");
    let page = body(browser.get(app.url(&signed_out)).send().await.unwrap()).await;
    assert!(
        page.contains("Sign out of Acme ID too") && page.contains("/endsession"),
        "{page}"
    );
    // Nobody else's sign-in page offers it: no link can name a provider to show.
    let elsewhere = format!("/login?signed_out=1&sso={id}");
    let page = body(
        app.new_browser()
            .get(app.url(&elsewhere))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(!page.contains("Sign out of Acme ID too"));
}

async fn oauth_email_is_a_credential_and_require_sso_closes_the_password_ways(app: TestApp) {
    let Some(mut idp) = Idp::start() else { return };
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let id = add_provider(&app, org_id, &idp).await;
    crate::fields::apply_dialer(&app).await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Adam", "adam@acme.io", "Admin"),
                someone("Ann", "ann@acme.io", "Agent"),
            ],
        )
        .await;
    let (adam, ann) = (ids[0], ids[1]);
    // An Admin without the credentials permission cannot point Ann's OAuth Email elsewhere.
    app.db(move |c| {
        use gatehouse::db::schema::user_permission_overrides as o;
        diesel::insert_into(o::table)
            .values((
                o::user_id.eq(adam),
                o::permission.eq("users.credentials"),
                o::granted.eq(false),
            ))
            .execute(c)
            .unwrap()
    })
    .await;
    app.logout().await;
    app.login_as("adam@acme.io", PASSWORD).await;
    let page = crate::edit::dialog(&app, ann).await;
    let fields = crate::edit::fields_of(
        &page,
        &[("field.oauth_email", "adam.private@gmail.example")],
    );
    let response = crate::edit::post(&app, ann, &fields).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(response).await.contains("f-oauth_email-error"));
    let held = app
        .db(move |c| gatehouse::fields::store::values_of(c, ann).unwrap())
        .await;
    assert!(held.is_empty(), "{held:?}");
    // Nor in bulk, whoever asks: Set field refuses it.
    let oauth = crate::fields::field_id(&app, org_id, "oauth_email").await;
    let (action, ann_s) = (format!("field_set:{oauth}"), ann.to_string());
    let response = app
        .hx_post(
            "/users/bulk/confirm",
            &[
                ("action", action.as_str()),
                ("set_value", "x@gmail.example"),
                ("ids", ann_s.as_str()),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(crate::helpers::toast_of(response.headers())
        .unwrap_or_default()
        .contains("set for one user at a time"));
    app.logout().await;
    app.login_as("olive@acme.io", PASSWORD).await;

    // Changing the issuer removes the links made under the old one.
    idp.person("sub-ann", "ann@acme.io");
    through(&app, &app.new_browser(), &format!("/sso/{id}/start")).await;
    assert_eq!(
        app.db(move |c| gatehouse::sso::store::identities_of(c, ann).unwrap())
            .await
            .len(),
        1
    );
    let issuer = idp.issuer.replace("localhost", "127.0.0.1");
    let form = [
        ("preset", "generic"),
        ("name", "Acme ID"),
        ("issuer", issuer.as_str()),
        ("client_id", "gatehouse"),
        ("scopes", "openid email profile"),
        ("email_claim", "email"),
        ("enabled", "1"),
    ];
    assert_eq!(
        app.post_form(&format!("/settings/sign-in/{id}"), &form)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert!(app
        .db(move |c| gatehouse::sso::store::identities_of(c, ann).unwrap())
        .await
        .is_empty());
    let changed = app.audit_details(org_id, "sso.provider_changed").await;
    assert_eq!(changed[0]["links_removed"], 1);

    // Require SSO: an invitation is accepted through the provider only.
    app.hx_post("/users/auto-signup", &[("allow", "0")]).await;
    assert_eq!(
        app.post_form("/settings/sign-in/policy", &[("required", "1")])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let (ivy, link) = crate::invites::invite_one(&app, org_id, "ivy@acme.io").await;
    let token = link.rsplit("/invite/").next().unwrap().to_owned();
    let page = body(
        app.new_browser()
            .get(app.url(&format!("/invite/{token}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains("Join with Acme ID") && !page.contains("name=\"password\""),
        "{page}"
    );
    let browser = app.new_browser();
    let fields = [
        ("password", "a long enough passphrase"),
        ("password_confirm", "a long enough passphrase"),
    ];
    let response = app
        .post_from_page(&browser, "/login", &format!("/invite/{token}"), &fields)
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(body(response).await.contains("requires single sign-on"));
    assert_eq!(app.status_of(ivy).await.as_deref(), Some("invited"));
}
