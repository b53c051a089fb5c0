//! Create / read / update / delete of every resource type against moto, with the IAM calls
//! iam-facts §1 prescribes (checked through call counts and a raw client).

mod support;

use aiu_model::Value;
use aiu_provider::{ErrorKind, Provider, RefreshItem};
use support::*;

fn item(type_name: &str, state: &Value) -> RefreshItem {
    RefreshItem {
        address: aiu_model::InstanceAddress::single(aiu_model::ResourceAddress::managed(
            type_name, "x",
        )),
        type_name: type_name.to_owned(),
        state: state.clone(),
    }
}

async fn read(p: &aiu_aws::AwsProvider, type_name: &str, state: &Value) -> Option<Value> {
    let mut r = p.refresh(&[item(type_name, state)]).await.expect("refresh");
    r.remove(0).expect("item read")
}

#[tokio::test]
async fn role_lifecycle_uses_update_apis() {
    let p = provider_with(|s| {
        s.default_tags = [("team".to_owned(), "platform".to_owned())].into();
    })
    .await;
    let name = unique("role");
    let planned = planned_role(
        &name,
        &[
            ("description", s("first")),
            ("tags", tags(&[("env", "dev")])),
            ("max_session_duration", Value::Number(7200.0)),
        ],
    );
    let created = p.create("aws_iam_role", &planned).await.expect("create");
    assert_eq!(get(&created, "id"), name);
    assert_eq!(
        get(&created, "arn"),
        format!("arn:aws:iam::{ACCOUNT}:role/{name}")
    );
    assert!(!get(&created, "unique_id").is_empty());
    assert!(!get(&created, "create_date").is_empty());
    assert_eq!(created.get("tags"), Some(&tags(&[("env", "dev")])));
    assert_eq!(
        created.get("tags_all"),
        Some(&tags(&[("env", "dev"), ("team", "platform")]))
    );
    assert!(!created.contains_unknown());

    // Read back: the same attributes.
    let live = read(&p, "aws_iam_role", &created).await.expect("exists");
    assert_eq!(get(&live, "description"), "first");
    assert_eq!(
        live.get("max_session_duration"),
        Some(&Value::Number(7200.0))
    );
    assert_eq!(live.get("tags"), Some(&tags(&[("env", "dev")])));
    assert_eq!(
        live.get("tags_all"),
        Some(&tags(&[("env", "dev"), ("team", "platform")]))
    );
    assert_eq!(json(get(&live, "assume_role_policy")), json(TRUST_EC2));
    let schema =
        aiu_model::schema::schema_for(aiu_model::ResourceMode::Managed, "aws_iam_role").unwrap();
    let keys: Vec<&str> = live
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected: Vec<&str> = schema.attributes.iter().map(|a| a.name).collect();
    expected.sort();
    assert_eq!(keys, expected);

    // Update every in-place attribute.
    let boundary = p
        .create(
            "aws_iam_policy",
            &planned_policy(&unique("boundary"), &doc("s3:*"), &[]),
        )
        .await
        .expect("boundary policy");
    let before = p.call_counts();
    let planned2 = with(
        &created,
        &[
            ("assume_role_policy", s(TRUST_LAMBDA)),
            ("description", s("second")),
            ("max_session_duration", Value::Number(3600.0)),
            ("permissions_boundary", s(get(&boundary, "arn"))),
            ("tags", tags(&[("env", "prod"), ("owner", "me")])),
        ],
    );
    let updated = p
        .update("aws_iam_role", &created, &planned2)
        .await
        .expect("update");
    let after = p.call_counts();
    for call in [
        "iam:UpdateAssumeRolePolicy",
        "iam:UpdateRole",
        "iam:PutRolePermissionsBoundary",
        "iam:TagRole",
    ] {
        assert_eq!(
            after.get(call).copied().unwrap_or(0) - before.get(call).copied().unwrap_or(0),
            1,
            "{call}"
        );
    }
    assert_eq!(
        updated.get("tags_all"),
        Some(&tags(&[
            ("env", "prod"),
            ("owner", "me"),
            ("team", "platform")
        ]))
    );
    let live = read(&p, "aws_iam_role", &updated).await.expect("exists");
    assert_eq!(get(&live, "description"), "second");
    assert_eq!(
        live.get("max_session_duration"),
        Some(&Value::Number(3600.0))
    );
    assert_eq!(get(&live, "permissions_boundary"), get(&boundary, "arn"));
    assert_eq!(json(get(&live, "assume_role_policy")), json(TRUST_LAMBDA));
    assert_eq!(
        live.get("tags"),
        Some(&tags(&[("env", "prod"), ("owner", "me")]))
    );
    assert_eq!(live, updated, "update result equals what a read returns");

    // Remove the boundary and a tag.
    let planned3 = with(
        &updated,
        &[
            ("permissions_boundary", Value::Null),
            ("tags", tags(&[("env", "prod")])),
        ],
    );
    let updated3 = p
        .update("aws_iam_role", &updated, &planned3)
        .await
        .expect("update 2");
    let counts = p.call_counts();
    assert_eq!(counts.get("iam:DeleteRolePermissionsBoundary"), Some(&1));
    assert_eq!(counts.get("iam:UntagRole"), Some(&1));
    let live = read(&p, "aws_iam_role", &updated3).await.expect("exists");
    assert_eq!(live.get("permissions_boundary"), Some(&Value::Null));
    assert_eq!(
        live.get("tags_all"),
        Some(&tags(&[("env", "prod"), ("team", "platform")]))
    );

    p.delete("aws_iam_role", &updated3).await.expect("delete");
    assert_eq!(read(&p, "aws_iam_role", &updated3).await, None);
    // Deleting what is already gone succeeds.
    p.delete("aws_iam_role", &updated3)
        .await
        .expect("delete again");
    p.delete("aws_iam_policy", &boundary)
        .await
        .expect("delete boundary");
}

#[tokio::test]
async fn name_prefix_and_generated_names() {
    let p = provider().await;
    let planned = with(
        &planned_role("x", &[]),
        &[("name", Value::Unknown), ("name_prefix", s("pfx-"))],
    );
    let created = p.create("aws_iam_role", &planned).await.expect("create");
    let name = get(&created, "name");
    assert!(name.starts_with("pfx-") && name.len() == 4 + 26, "{name}");
    assert_eq!(get(&created, "name_prefix"), "pfx-");
    let planned = with(&planned_role("x", &[]), &[("name", Value::Unknown)]);
    let created2 = p.create("aws_iam_role", &planned).await.expect("create");
    assert!(get(&created2, "name").starts_with("aiu-"));
    let live = read(&p, "aws_iam_role", &created).await.expect("exists");
    assert_eq!(get(&live, "name_prefix"), "pfx-");
    p.delete("aws_iam_role", &created).await.unwrap();
    p.delete("aws_iam_role", &created2).await.unwrap();
}

#[tokio::test]
async fn role_name_taken_is_already_exists() {
    let p = provider().await;
    let name = unique("taken");
    let created = p
        .create("aws_iam_role", &planned_role(&name, &[]))
        .await
        .unwrap();
    let err = p
        .create("aws_iam_role", &planned_role(&name, &[]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::AlreadyExists, "{err}");
    assert_eq!(err.call, "iam:CreateRole");
    assert!(err.message.contains("EntityAlreadyExists"), "{err}");
    p.delete("aws_iam_role", &created).await.unwrap();
}

async fn version_ids(arn: &str) -> Vec<(String, bool)> {
    let iam = raw_iam().await;
    let out = iam
        .list_policy_versions()
        .policy_arn(arn)
        .send()
        .await
        .unwrap();
    let mut v: Vec<(String, bool)> = out
        .versions()
        .iter()
        .map(|v| (v.version_id().unwrap().to_owned(), v.is_default_version()))
        .collect();
    v.sort_by_key(|(id, _)| id.trim_start_matches('v').parse::<u32>().unwrap());
    v
}

#[tokio::test]
async fn policy_versions_are_pruned_at_five_and_equivalent_versions_reused() {
    let p = provider().await;
    let name = unique("pol");
    let created = p
        .create(
            "aws_iam_policy",
            &planned_policy(
                &name,
                &doc("s3:GetObject"),
                &[("description", s("d")), ("tags", tags(&[("a", "1")]))],
            ),
        )
        .await
        .expect("create");
    let arn = get(&created, "arn").to_owned();
    assert_eq!(arn, format!("arn:aws:iam::{ACCOUNT}:policy/{name}"));
    assert_eq!(get(&created, "id"), arn);
    assert_eq!(created.get("attachment_count"), Some(&Value::Number(0.0)));
    assert!(!created.contains_unknown());

    let mut state = created.clone();
    for i in 1..=5 {
        let planned = with(&state, &[("policy", s(&doc(&format!("s3:Action{i}"))))]);
        state = p
            .update("aws_iam_policy", &state, &planned)
            .await
            .expect("update");
    }
    // 6 documents written, at most 5 versions kept, the newest is default, v1 was pruned.
    let versions = version_ids(&arn).await;
    assert_eq!(versions.len(), 5, "{versions:?}");
    assert_eq!(versions.iter().filter(|(_, d)| *d).count(), 1);
    assert_eq!(versions.last().unwrap(), &("v6".to_owned(), true));
    assert!(!versions.iter().any(|(id, _)| id == "v1"));
    assert_eq!(p.call_counts().get("iam:DeletePolicyVersion"), Some(&1));

    // Going back to an equivalent (reformatted) earlier document reuses its version.
    let before = p
        .call_counts()
        .get("iam:CreatePolicyVersion")
        .copied()
        .unwrap_or(0);
    let reformatted = "{\n  \"Statement\": [ { \"Resource\": \"*\", \"Action\": \"s3:Action3\", \"Effect\": \"Allow\" } ],\n  \"Version\": \"2012-10-17\"\n}";
    let planned = with(&state, &[("policy", s(reformatted))]);
    state = p
        .update("aws_iam_policy", &state, &planned)
        .await
        .expect("reuse");
    assert_eq!(
        p.call_counts()
            .get("iam:CreatePolicyVersion")
            .copied()
            .unwrap_or(0),
        before,
        "no new version"
    );
    assert_eq!(p.call_counts().get("iam:SetDefaultPolicyVersion"), Some(&1));
    let versions = version_ids(&arn).await;
    assert_eq!(versions.len(), 5);
    assert!(versions.contains(&("v4".to_owned(), true)), "{versions:?}");

    // Tags change in place; the read matches.
    let planned = with(&state, &[("tags", tags(&[("b", "2")]))]);
    state = p
        .update("aws_iam_policy", &state, &planned)
        .await
        .expect("tags");
    let live = read(&p, "aws_iam_policy", &state).await.expect("exists");
    assert_eq!(live.get("tags"), Some(&tags(&[("b", "2")])));
    assert_eq!(get(&live, "description"), "d");
    assert_eq!(json(get(&live, "policy")), json(reformatted));
    assert_eq!(live, state);

    // Delete removes the non-default versions first.
    p.delete("aws_iam_policy", &state).await.expect("delete");
    assert_eq!(p.call_counts().get("iam:DeletePolicyVersion"), Some(&5));
    assert_eq!(read(&p, "aws_iam_policy", &state).await, None);
}

#[tokio::test]
async fn attachments_inline_policies_and_instance_profiles() {
    let p = provider().await;
    let role = p
        .create("aws_iam_role", &planned_role(&unique("r"), &[]))
        .await
        .unwrap();
    let role2 = p
        .create("aws_iam_role", &planned_role(&unique("r2"), &[]))
        .await
        .unwrap();
    let rname = get(&role, "name").to_owned();
    let pol = p
        .create(
            "aws_iam_policy",
            &planned_policy(&unique("p"), &doc("ec2:Describe*"), &[]),
        )
        .await
        .unwrap();
    let arn = get(&pol, "arn").to_owned();

    // Attachment.
    let att = p
        .create(
            "aws_iam_role_policy_attachment",
            &obj(&[
                ("role", s(&rname)),
                ("policy_arn", s(&arn)),
                ("id", Value::Unknown),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(get(&att, "id"), format!("{rname}/{arn}"));
    assert_eq!(
        read(&p, "aws_iam_role_policy_attachment", &att).await,
        Some(att.clone())
    );
    let live_pol = read(&p, "aws_iam_policy", &pol).await.unwrap();
    assert_eq!(live_pol.get("attachment_count"), Some(&Value::Number(1.0)));

    // Inline policy: create, update with PutRolePolicy, read decoded.
    let inline = p
        .create(
            "aws_iam_role_policy",
            &obj(&[
                ("name", s("inline1")),
                ("name_prefix", Value::Null),
                ("role", s(&rname)),
                ("policy", s(&doc("sqs:*"))),
                ("id", Value::Unknown),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(get(&inline, "id"), format!("{rname}:inline1"));
    let planned = with(&inline, &[("policy", s(&doc("sns:Publish")))]);
    let inline2 = p
        .update("aws_iam_role_policy", &inline, &planned)
        .await
        .unwrap();
    let live = read(&p, "aws_iam_role_policy", &inline2).await.unwrap();
    assert_eq!(json(get(&live, "policy")), json(&doc("sns:Publish")));
    assert_eq!(
        p.call_counts().get("iam:PutRolePolicy"),
        Some(&2),
        "{:?}",
        p.call_counts()
    );

    // Instance profile with a role, then swap the role, then tags.
    let pname = unique("prof");
    let planned = obj(&[
        ("name", s(&pname)),
        ("name_prefix", Value::Null),
        ("path", s("/")),
        ("role", s(&rname)),
        ("tags", Value::Null),
        ("tags_all", Value::Unknown),
        ("id", Value::Unknown),
        ("arn", Value::Unknown),
        ("unique_id", Value::Unknown),
        ("create_date", Value::Unknown),
    ]);
    let prof = p
        .create("aws_iam_instance_profile", &planned)
        .await
        .unwrap();
    assert_eq!(
        get(&prof, "arn"),
        format!("arn:aws:iam::{ACCOUNT}:instance-profile/{pname}")
    );
    assert!(!prof.contains_unknown());
    let live = read(&p, "aws_iam_instance_profile", &prof).await.unwrap();
    assert_eq!(live, prof);
    let planned = with(
        &prof,
        &[
            ("role", s(get(&role2, "name"))),
            ("tags", tags(&[("k", "v")])),
        ],
    );
    let prof2 = p
        .update("aws_iam_instance_profile", &prof, &planned)
        .await
        .unwrap();
    let live = read(&p, "aws_iam_instance_profile", &prof2).await.unwrap();
    assert_eq!(get(&live, "role"), get(&role2, "name"));
    assert_eq!(live.get("tags"), Some(&tags(&[("k", "v")])));
    assert_eq!(live, prof2);

    // Teardown in dependency order, as the engine does.
    p.delete("aws_iam_instance_profile", &prof2).await.unwrap();
    assert_eq!(read(&p, "aws_iam_instance_profile", &prof2).await, None);
    p.delete("aws_iam_role_policy", &inline2).await.unwrap();
    assert_eq!(read(&p, "aws_iam_role_policy", &inline2).await, None);
    p.delete("aws_iam_role_policy_attachment", &att)
        .await
        .unwrap();
    assert_eq!(read(&p, "aws_iam_role_policy_attachment", &att).await, None);
    p.delete("aws_iam_role", &role).await.unwrap();
    p.delete("aws_iam_role", &role2).await.unwrap();
    p.delete("aws_iam_policy", &pol).await.unwrap();
    let iam = raw_iam().await;
    assert!(iam.get_role().role_name(&rname).send().await.is_err());
    assert!(iam.get_policy().policy_arn(&arn).send().await.is_err());
}

#[tokio::test]
async fn deleting_a_role_removes_it_from_instance_profiles() {
    let p = provider().await;
    let role = p
        .create("aws_iam_role", &planned_role(&unique("r"), &[]))
        .await
        .unwrap();
    let rname = get(&role, "name").to_owned();
    let iam = raw_iam().await;
    let pname = unique("prof");
    iam.create_instance_profile()
        .instance_profile_name(&pname)
        .send()
        .await
        .unwrap();
    iam.add_role_to_instance_profile()
        .instance_profile_name(&pname)
        .role_name(&rname)
        .send()
        .await
        .unwrap();
    p.delete("aws_iam_role", &role).await.expect("delete");
    let prof = iam
        .get_instance_profile()
        .instance_profile_name(&pname)
        .send()
        .await
        .unwrap();
    assert!(prof.instance_profile().unwrap().roles().is_empty());
    iam.delete_instance_profile()
        .instance_profile_name(&pname)
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn deleting_a_role_with_unmanaged_policies_needs_force_detach() {
    let p = provider().await;
    let role = p
        .create("aws_iam_role", &planned_role(&unique("r"), &[]))
        .await
        .unwrap();
    let rname = get(&role, "name").to_owned();
    let pol = p
        .create(
            "aws_iam_policy",
            &planned_policy(&unique("p"), &doc("s3:*"), &[]),
        )
        .await
        .unwrap();
    let iam = raw_iam().await;
    iam.attach_role_policy()
        .role_name(&rname)
        .policy_arn(get(&pol, "arn"))
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name(&rname)
        .policy_name("manual")
        .policy_document(doc("sqs:*"))
        .send()
        .await
        .unwrap();

    let err = p.delete("aws_iam_role", &role).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Conflict, "{err}");
    assert!(
        err.message.contains(get(&pol, "arn")) && err.message.contains("manual"),
        "{err}"
    );
    assert!(
        err.hint
            .as_deref()
            .unwrap_or("")
            .contains("force_detach_policies"),
        "{err}"
    );
    assert!(
        iam.get_role().role_name(&rname).send().await.is_ok(),
        "nothing deleted"
    );

    let forced = with(&role, &[("force_detach_policies", Value::Bool(true))]);
    p.delete("aws_iam_role", &forced)
        .await
        .expect("forced delete");
    assert!(iam.get_role().role_name(&rname).send().await.is_err());
    p.delete("aws_iam_policy", &pol).await.unwrap();
}
