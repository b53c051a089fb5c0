//! Refresh against moto: drift made out of band, objects deleted out of band, and the call
//! counts of per-resource reads and of the account snapshot (GetAccountAuthorizationDetails).

mod support;

use aiu_model::{InstanceAddress, ResourceAddress, Value};
use aiu_provider::{CallCounts, Provider, RefreshItem};
use support::*;

fn item(type_name: &str, name: &str, state: &Value) -> RefreshItem {
    RefreshItem {
        address: InstanceAddress::single(ResourceAddress::managed(type_name, name)),
        type_name: type_name.to_owned(),
        state: state.clone(),
    }
}

fn delta(before: &CallCounts, after: &CallCounts) -> CallCounts {
    after
        .iter()
        .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, v)| *v > 0)
        .collect()
}

fn total(c: &CallCounts) -> u64 {
    c.values().sum()
}

#[tokio::test]
async fn drift_made_out_of_band_shows_in_refresh() {
    let p = provider().await;
    let role = p
        .create(
            "aws_iam_role",
            &planned_role(
                &unique("drift"),
                &[("description", s("mine")), ("tags", tags(&[("a", "1")]))],
            ),
        )
        .await
        .unwrap();
    let pol = p
        .create(
            "aws_iam_policy",
            &planned_policy(&unique("drift"), &doc("s3:GetObject"), &[]),
        )
        .await
        .unwrap();
    let name = get(&role, "name").to_owned();

    let iam = raw_iam().await;
    iam.update_role()
        .role_name(&name)
        .description("changed by hand")
        .send()
        .await
        .unwrap();
    iam.tag_role()
        .role_name(&name)
        .tags(
            aws_sdk_iam::types::Tag::builder()
                .key("b")
                .value("2")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    iam.create_policy_version()
        .policy_arn(get(&pol, "arn"))
        .policy_document(doc("s3:PutObject"))
        .set_as_default(true)
        .send()
        .await
        .unwrap();

    let r = p
        .refresh(&[
            item("aws_iam_role", "r", &role),
            item("aws_iam_policy", "p", &pol),
        ])
        .await
        .unwrap();
    let live_role = r[0].clone().unwrap().unwrap();
    assert_eq!(get(&live_role, "description"), "changed by hand");
    assert_eq!(
        live_role.get("tags"),
        Some(&tags(&[("a", "1"), ("b", "2")]))
    );
    let live_pol = r[1].clone().unwrap().unwrap();
    assert_eq!(json(get(&live_pol, "policy")), json(&doc("s3:PutObject")));

    // Unchanged attributes read back exactly as created (no spurious drift).
    for k in [
        "arn",
        "unique_id",
        "create_date",
        "assume_role_policy",
        "path",
        "max_session_duration",
        "name",
    ] {
        assert_eq!(live_role.get(k), role.get(k), "{k}");
    }

    p.delete("aws_iam_role", &live_role).await.unwrap();
    p.delete("aws_iam_policy", &live_pol).await.unwrap();
}

#[tokio::test]
async fn deleted_out_of_band_refreshes_to_none() {
    let p = provider().await;
    let role = p
        .create("aws_iam_role", &planned_role(&unique("gone"), &[]))
        .await
        .unwrap();
    let pol = p
        .create(
            "aws_iam_policy",
            &planned_policy(&unique("gone"), &doc("s3:GetObject"), &[]),
        )
        .await
        .unwrap();
    let att = p
        .create(
            "aws_iam_role_policy_attachment",
            &obj(&[
                ("role", s(get(&role, "name"))),
                ("policy_arn", s(get(&pol, "arn"))),
                ("id", Value::Unknown),
            ]),
        )
        .await
        .unwrap();
    let iam = raw_iam().await;
    iam.detach_role_policy()
        .role_name(get(&role, "name"))
        .policy_arn(get(&pol, "arn"))
        .send()
        .await
        .unwrap();
    iam.delete_role()
        .role_name(get(&role, "name"))
        .send()
        .await
        .unwrap();
    iam.delete_policy()
        .policy_arn(get(&pol, "arn"))
        .send()
        .await
        .unwrap();
    let items = [
        item("aws_iam_role", "r", &role),
        item("aws_iam_policy", "p", &pol),
        item("aws_iam_role_policy_attachment", "a", &att),
    ];
    let r = p.refresh(&items).await.unwrap();
    assert!(r.iter().all(|x| matches!(x, Ok(None))), "{r:?}");
}

#[tokio::test]
async fn small_refresh_reads_per_resource() {
    let p = provider().await;
    let role = p
        .create("aws_iam_role", &planned_role(&unique("small"), &[]))
        .await
        .unwrap();
    let pol = p
        .create(
            "aws_iam_policy",
            &planned_policy(&unique("small"), &doc("s3:GetObject"), &[]),
        )
        .await
        .unwrap();
    let rname = get(&role, "name").to_owned();
    let mut atts = Vec::new();
    for arn in [
        get(&pol, "arn").to_owned(),
        "arn:aws:iam::aws:policy/ReadOnlyAccess".to_owned(),
    ] {
        // moto without MOTO_IAM_LOAD_MANAGED_POLICIES has no AWS managed policies: attach ours twice
        // is not allowed, so the second item names an attachment that does not exist.
        atts.push(obj(&[
            ("role", s(&rname)),
            ("policy_arn", s(&arn)),
            ("id", s(&format!("{rname}/{arn}"))),
        ]));
    }
    let att = p
        .create("aws_iam_role_policy_attachment", &atts[0])
        .await
        .unwrap();
    let before = p.call_counts();
    let items = [
        item("aws_iam_role", "r", &role),
        item("aws_iam_policy", "p", &pol),
        item("aws_iam_role_policy_attachment", "a", &att),
        item("aws_iam_role_policy_attachment", "b", &atts[1]),
    ];
    let r = p.refresh(&items).await.unwrap();
    assert!(
        r[0].as_ref().unwrap().is_some()
            && r[1].as_ref().unwrap().is_some()
            && r[2].as_ref().unwrap().is_some()
    );
    assert_eq!(r[3], Ok(None));
    let d = delta(&before, &p.call_counts());
    // GetRole + GetPolicy + GetPolicyVersion + one ListAttachedRolePolicies for both attachments.
    assert_eq!(d.get("iam:GetRole"), Some(&1), "{d:?}");
    assert_eq!(d.get("iam:GetPolicy"), Some(&1), "{d:?}");
    assert_eq!(d.get("iam:GetPolicyVersion"), Some(&1), "{d:?}");
    assert_eq!(d.get("iam:ListAttachedRolePolicies"), Some(&1), "{d:?}");
    assert_eq!(total(&d), 4, "{d:?}");
    p.delete("aws_iam_role_policy_attachment", &att)
        .await
        .unwrap();
    p.delete("aws_iam_role", &role).await.unwrap();
    p.delete("aws_iam_policy", &pol).await.unwrap();
}

#[tokio::test]
async fn large_refresh_uses_account_snapshot_with_few_calls() {
    // No default_tags here: with them every policy has tags and each needs ListPolicyTags.
    let p = provider().await;
    let base = unique("bulk");
    let mut items = Vec::new();
    let mut roles = Vec::new();
    let mut policies = Vec::new();
    for i in 0..20 {
        let role = p
            .create(
                "aws_iam_role",
                &planned_role(
                    &format!("{base}-r{i}"),
                    &[("description", s(&format!("role {i}")))],
                ),
            )
            .await
            .unwrap();
        // Every 5th policy carries its own tags: those need ListPolicyTags.
        let extra = if i % 5 == 0 {
            vec![("tags", tags(&[("n", &i.to_string())]))]
        } else {
            vec![]
        };
        let pol = p
            .create(
                "aws_iam_policy",
                &planned_policy(&format!("{base}-p{i}"), &doc(&format!("s3:A{i}")), &extra),
            )
            .await
            .unwrap();
        let att = p
            .create(
                "aws_iam_role_policy_attachment",
                &obj(&[
                    ("role", s(get(&role, "name"))),
                    ("policy_arn", s(get(&pol, "arn"))),
                    ("id", Value::Unknown),
                ]),
            )
            .await
            .unwrap();
        let inline = p
            .create(
                "aws_iam_role_policy",
                &obj(&[
                    ("name", s("inline")),
                    ("name_prefix", Value::Null),
                    ("role", s(get(&role, "name"))),
                    ("policy", s(&doc("sqs:*"))),
                    ("id", Value::Unknown),
                ]),
            )
            .await
            .unwrap();
        items.push(item("aws_iam_role", &format!("r{i}"), &role));
        items.push(item("aws_iam_policy", &format!("p{i}"), &pol));
        items.push(item(
            "aws_iam_role_policy_attachment",
            &format!("a{i}"),
            &att,
        ));
        items.push(item("aws_iam_role_policy", &format!("i{i}"), &inline));
        roles.push(role);
        policies.push(pol);
    }
    // Some drift and a deletion, to see the snapshot answers correctly.
    let iam = raw_iam().await;
    iam.update_role()
        .role_name(get(&roles[3], "name"))
        .description("edited")
        .send()
        .await
        .unwrap();
    iam.delete_role_policy()
        .role_name(get(&roles[4], "name"))
        .policy_name("inline")
        .send()
        .await
        .unwrap();

    let before = p.call_counts();
    let r = p.refresh(&items).await.unwrap();
    let d = delta(&before, &p.call_counts());
    eprintln!("snapshot refresh of {} items: {d:?}", items.len());
    // moto returns GAAD in one page; ListRoles in one page of 1000.
    assert!(
        d.get("iam:GetAccountAuthorizationDetails")
            .copied()
            .unwrap_or(0)
            >= 1,
        "{d:?}"
    );
    assert!(d.get("iam:ListRoles").copied().unwrap_or(0) >= 1, "{d:?}");
    assert_eq!(
        d.get("iam:ListPolicyTags"),
        Some(&4),
        "only tagged policies: {d:?}"
    );
    assert_eq!(d.get("iam:GetRole"), None, "{d:?}");
    assert_eq!(d.get("iam:GetPolicy"), None, "{d:?}");
    assert!(
        total(&d) <= 2 + 2 + 4,
        "bounded, independent of the number of resources: {d:?}"
    );

    for (i, it) in items.iter().enumerate() {
        let got = r[i]
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: {e}", it.address));
        if it.address.to_string().ends_with(".i4") {
            assert_eq!(got, &None, "deleted inline policy");
            continue;
        }
        let got = got
            .as_ref()
            .unwrap_or_else(|| panic!("{} missing", it.address));
        if it.address.to_string().ends_with(".r3") {
            assert_eq!(get(got, "description"), "edited");
            assert_eq!(got, &with(&it.state, &[("description", s("edited"))]));
        } else if it.type_name == "aws_iam_policy" {
            // attachment_count changed since create (the attachment was made after).
            assert_eq!(
                got,
                &with(&it.state, &[("attachment_count", Value::Number(1.0))]),
                "{}",
                it.address
            );
        } else {
            assert_eq!(got, &it.state, "{}", it.address);
        }
    }

    // The same answers per resource (below the threshold) for a sample.
    let p2 = provider().await;
    let sample = [
        items[0].clone(),
        items[1].clone(),
        items[2].clone(),
        items[3].clone(),
        items[12].clone(),
    ];
    let r2 = p2.refresh(&sample).await.unwrap();
    assert_eq!(
        r2,
        vec![
            r[0].clone(),
            r[1].clone(),
            r[2].clone(),
            r[3].clone(),
            r[12].clone()
        ]
    );

    // Pagination: small pages give the same answers with more list calls.
    let p3 = provider_with(|s| s.page_size = 7).await;
    let before = p3.call_counts();
    let r3 = p3.refresh(&items).await.unwrap();
    let d3 = delta(&before, &p3.call_counts());
    assert!(
        d3.get("iam:ListRoles").copied().unwrap_or(0) >= 3,
        "20+ roles in pages of 7: {d3:?}"
    );
    assert_eq!(r3, r);

    for role in &roles {
        p.delete(
            "aws_iam_role",
            &with(role, &[("force_detach_policies", Value::Bool(true))]),
        )
        .await
        .unwrap();
    }
    for pol in &policies {
        p.delete("aws_iam_policy", pol).await.unwrap();
    }
}
