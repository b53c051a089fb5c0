//! Data sources, import by id and lookup by planned name, against moto.

mod support;

use aiu_model::Value;
use aiu_provider::{ErrorKind, Provider};
use support::*;

#[tokio::test]
async fn data_sources() {
    let p = provider().await;
    let id = p
        .read_data_source("aws_caller_identity", &Value::object::<&str>([]))
        .await
        .unwrap();
    assert_eq!(get(&id, "account_id"), ACCOUNT);
    assert_eq!(get(&id, "id"), ACCOUNT);
    assert!(get(&id, "arn").starts_with("arn:aws:"));

    let before = p.call_counts();
    let region = p
        .read_data_source("aws_region", &Value::object::<&str>([]))
        .await
        .unwrap();
    assert_eq!(get(&region, "name"), "us-east-1");
    assert_eq!(get(&region, "region"), "us-east-1");
    assert_eq!(p.call_counts(), before, "aws_region makes no call");

    let role = p
        .create(
            "aws_iam_role",
            &planned_role(
                &unique("data"),
                &[
                    ("description", s("existing")),
                    ("tags", tags(&[("k", "v")])),
                ],
            ),
        )
        .await
        .unwrap();
    let d = p
        .read_data_source("aws_iam_role", &obj(&[("name", s(get(&role, "name")))]))
        .await
        .unwrap();
    assert_eq!(get(&d, "arn"), get(&role, "arn"));
    assert_eq!(get(&d, "description"), "existing");
    assert_eq!(d.get("tags"), Some(&tags(&[("k", "v")])));
    assert_eq!(json(get(&d, "assume_role_policy")), json(TRUST_EC2));
    let schema =
        aiu_model::schema::schema_for(aiu_model::ResourceMode::Data, "aws_iam_role").unwrap();
    let mut expected: Vec<&str> = schema.attributes.iter().map(|a| a.name).collect();
    expected.sort();
    assert_eq!(
        d.as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        expected
    );
    let err = p
        .read_data_source("aws_iam_role", &obj(&[("name", s(&unique("nope")))]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");

    let pname = unique("datapol");
    let pol = p
        .create(
            "aws_iam_policy",
            &planned_policy(
                &pname,
                &doc("s3:ListBucket"),
                &[("path", s("/team/")), ("description", s("desc"))],
            ),
        )
        .await
        .unwrap();
    let by_arn = p
        .read_data_source("aws_iam_policy", &obj(&[("arn", s(get(&pol, "arn")))]))
        .await
        .unwrap();
    assert_eq!(get(&by_arn, "name"), pname);
    assert_eq!(get(&by_arn, "path"), "/team/");
    assert_eq!(get(&by_arn, "description"), "desc");
    assert_eq!(json(get(&by_arn, "policy")), json(&doc("s3:ListBucket")));
    let by_name = p
        .read_data_source("aws_iam_policy", &obj(&[("name", s(&pname))]))
        .await
        .unwrap();
    assert_eq!(get(&by_name, "arn"), get(&pol, "arn"));
    let err = p
        .read_data_source("aws_iam_policy", &obj(&[("name", s(&unique("nope")))]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound, "{err}");

    p.delete("aws_iam_role", &role).await.unwrap();
    p.delete("aws_iam_policy", &pol).await.unwrap();
}

#[tokio::test]
async fn import_found_and_not_found() {
    let p = provider().await;
    let iam = raw_iam().await;
    let rname = unique("imp");
    iam.create_role()
        .role_name(&rname)
        .assume_role_policy_document(TRUST_EC2)
        .description("made by hand")
        .send()
        .await
        .unwrap();
    let parn = iam
        .create_policy()
        .policy_name(unique("imp"))
        .policy_document(doc("s3:*"))
        .send()
        .await
        .unwrap()
        .policy()
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();
    iam.attach_role_policy()
        .role_name(&rname)
        .policy_arn(&parn)
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name(&rname)
        .policy_name("inl")
        .policy_document(doc("sqs:*"))
        .send()
        .await
        .unwrap();
    let prof = unique("imp");
    iam.create_instance_profile()
        .instance_profile_name(&prof)
        .send()
        .await
        .unwrap();
    iam.add_role_to_instance_profile()
        .instance_profile_name(&prof)
        .role_name(&rname)
        .send()
        .await
        .unwrap();

    let role = p
        .import("aws_iam_role", &rname)
        .await
        .unwrap()
        .expect("role");
    assert_eq!(get(&role, "id"), rname);
    assert_eq!(get(&role, "description"), "made by hand");
    assert_eq!(role.get("force_detach_policies"), Some(&Value::Bool(false)));
    assert_eq!(role.get("tags"), Some(&Value::Null));
    assert_eq!(json(get(&role, "assume_role_policy")), json(TRUST_EC2));

    let pol = p
        .import("aws_iam_policy", &parn)
        .await
        .unwrap()
        .expect("policy");
    assert_eq!(get(&pol, "arn"), parn);
    assert_eq!(json(get(&pol, "policy")), json(&doc("s3:*")));

    let att = p
        .import("aws_iam_role_policy_attachment", &format!("{rname}/{parn}"))
        .await
        .unwrap()
        .expect("attachment");
    assert_eq!(get(&att, "role"), rname);
    assert_eq!(get(&att, "policy_arn"), parn);

    let inline = p
        .import("aws_iam_role_policy", &format!("{rname}:inl"))
        .await
        .unwrap()
        .expect("inline");
    assert_eq!(json(get(&inline, "policy")), json(&doc("sqs:*")));

    let ip = p
        .import("aws_iam_instance_profile", &prof)
        .await
        .unwrap()
        .expect("profile");
    assert_eq!(get(&ip, "role"), rname);

    // Not found.
    assert_eq!(
        p.import("aws_iam_role", &unique("none")).await.unwrap(),
        None
    );
    assert_eq!(
        p.import(
            "aws_iam_policy",
            "arn:aws:iam::123456789012:policy/none-such"
        )
        .await
        .unwrap(),
        None
    );
    assert_eq!(
        p.import(
            "aws_iam_role_policy_attachment",
            &format!("{rname}/arn:aws:iam::123456789012:policy/none-such")
        )
        .await
        .unwrap(),
        None
    );
    assert_eq!(
        p.import("aws_iam_role_policy", &format!("{rname}:none"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        p.import("aws_iam_instance_profile", &unique("none"))
            .await
            .unwrap(),
        None
    );
    let err = p
        .import("aws_iam_role_policy_attachment", "no-slash")
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidInput);

    // find_by_name for crash recovery: by the planned name.
    let found = p
        .find_by_name("aws_iam_role", &planned_role(&rname, &[]))
        .await
        .unwrap()
        .expect("found");
    assert_eq!(get(&found, "arn"), get(&role, "arn"));
    let pname = parn.rsplit('/').next().unwrap();
    let found = p
        .find_by_name("aws_iam_policy", &planned_policy(pname, &doc("s3:*"), &[]))
        .await
        .unwrap()
        .expect("found");
    assert_eq!(get(&found, "arn"), parn);
    assert_eq!(
        p.find_by_name("aws_iam_role", &planned_role(&unique("none"), &[]))
            .await
            .unwrap(),
        None
    );

    // Imported objects delete cleanly (profile first, then force-detached role).
    p.delete("aws_iam_instance_profile", &ip).await.unwrap();
    p.delete(
        "aws_iam_role",
        &aiu_model::Value::object([
            ("name", s(&rname)),
            ("force_detach_policies", Value::Bool(true)),
        ]),
    )
    .await
    .unwrap();
    p.delete("aws_iam_policy", &pol).await.unwrap();
}

fn refresh_item(name: &str) -> aiu_provider::RefreshItem {
    aiu_provider::RefreshItem {
        address: aiu_model::InstanceAddress::single(aiu_model::ResourceAddress::managed(
            "aws_iam_role",
            name,
        )),
        type_name: "aws_iam_role".to_owned(),
        state: obj(&[("name", s(name))]),
    }
}

/// Calls made by `p` since `before`, by action.
fn calls_since(p: &impl Provider, before: &aiu_provider::CallCounts) -> Vec<(String, u64)> {
    p.call_counts()
        .into_iter()
        .map(|(k, v)| (k.clone(), v - before.get(&k).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

#[tokio::test]
async fn role_data_sources_are_answered_from_the_refresh_snapshot_until_something_changes() {
    let iam = raw_iam().await;
    let managed: Vec<String> = (0..6).map(|i| unique(&format!("snapdata{i}"))).collect();
    for name in &managed {
        iam.create_role()
            .role_name(name)
            .assume_role_policy_document(TRUST_EC2)
            .send()
            .await
            .unwrap();
    }
    // The role a data source reads: made by hand, with what only some reads return.
    let existing = unique("snapdata-existing");
    iam.create_role()
        .role_name(&existing)
        .path("/team/")
        .assume_role_policy_document(TRUST_LAMBDA)
        .description("made by hand")
        .max_session_duration(7200)
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("owner")
                .value("data")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let args = obj(&[("name", s(&existing))]);
    let from_get_role = provider()
        .await
        .read_data_source("aws_iam_role", &args)
        .await
        .unwrap();

    let p = provider().await;
    let items: Vec<_> = managed.iter().map(|n| refresh_item(n)).collect();
    let refreshed = p.refresh(&items).await.unwrap();
    assert!(
        refreshed.iter().all(|r| matches!(r, Ok(Some(_)))),
        "{refreshed:?}"
    );
    let before = p.call_counts();
    assert!(
        before.contains_key("iam:GetAccountAuthorizationDetails"),
        "6 roles are refreshed from a snapshot: {before:?}"
    );

    let from_snapshot = p.read_data_source("aws_iam_role", &args).await.unwrap();
    assert_eq!(
        calls_since(&p, &before),
        [],
        "the snapshot already holds the role"
    );
    assert_eq!(
        from_snapshot, from_get_role,
        "the snapshot answers exactly what GetRole does"
    );

    // A role the snapshot has not seen is asked for.
    let later = unique("snapdata-later");
    iam.create_role()
        .role_name(&later)
        .assume_role_policy_document(TRUST_EC2)
        .send()
        .await
        .unwrap();
    let d = p
        .read_data_source("aws_iam_role", &obj(&[("name", s(&later))]))
        .await
        .unwrap();
    assert_eq!(get(&d, "name"), later);
    assert_eq!(calls_since(&p, &before), [("iam:GetRole".to_owned(), 1)]);

    // Once this provider changes something, the snapshot is no longer trusted.
    let made = p
        .create("aws_iam_role", &planned_role(&unique("snapdata-new"), &[]))
        .await
        .unwrap();
    let before = p.call_counts();
    p.read_data_source("aws_iam_role", &args).await.unwrap();
    assert_eq!(calls_since(&p, &before), [("iam:GetRole".to_owned(), 1)]);

    p.delete("aws_iam_role", &made).await.unwrap();
    for name in managed.iter().chain([&existing, &later]) {
        iam.delete_role().role_name(name).send().await.unwrap();
    }
}
