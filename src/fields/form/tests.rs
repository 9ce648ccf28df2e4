use super::*;

#[test]
fn keys_come_from_labels() {
    assert_eq!(key_from_label("Caller ID Number"), "caller_id_number");
    assert_eq!(key_from_label("  SIP / PBX password! "), "sip_pbx_password");
    assert_eq!(key_from_label("2nd line"), "f_2nd_line");
}

fn form(label: &str, kind: Kind) -> FieldForm {
    FieldForm {
        label: label.into(),
        kind: kind.code().into(),
        access: "admins".into(),
        ..FieldForm::default()
    }
}

#[test]
fn a_definition_is_checked_beside_each_input() {
    let none = BTreeSet::new();
    let errors = check_form(&form("Email", Kind::Text), None, &[], &none).unwrap_err();
    assert!(errors.get("key").unwrap().contains("built-in"));
    let errors = check_form(&form("Mood", Kind::Choice), None, &[], &none).unwrap_err();
    assert!(errors.get("options").is_some());
    let mut bad = form("Code", Kind::Text);
    bad.pattern = "(".into();
    bad.unique = true;
    assert!(check_form(&bad, None, &[], &none)
        .unwrap_err()
        .get("pattern")
        .is_some());
    let mut secret = form("Token", Kind::Secret);
    secret.unique = true;
    assert!(check_form(&secret, None, &[], &none)
        .unwrap_err()
        .get("unique")
        .is_some());
    let option = {
        let mut f = form("SIP Option", Kind::Choice);
        f.options = "custom | Use custom URI\nwebrtc".into();
        check_form(&f, None, &[], &none).unwrap()
    };
    let mut uri = form("Custom SIP URI", Kind::Text);
    uri.show_when_key = "sip_option".into();
    uri.show_when_value = "Use custom URI".into();
    let uri = check_form(&uri, None, std::slice::from_ref(&option), &none).unwrap();
    assert_eq!(uri.show_when, Some(("sip_option".into(), "custom".into())));
    // The option cannot in turn depend on the URI.
    let mut looped = FieldForm::of(&option);
    looped.show_when_key = "custom_sip_uri".into();
    looped.show_when_value = "x".into();
    let errors = check_form(&looped, Some(&option), &[uri], &none).unwrap_err();
    assert!(errors.get("show_when_key").unwrap().contains("depends"));
}
