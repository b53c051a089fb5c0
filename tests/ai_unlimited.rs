//! examples/ai-unlimited (issue 7), end to end with the real `aiu` binary.
//!
//! - Offline: the README's quick start (`aiu plan --offline`) in new-role and existing-role mode
//!   as snapshots; the permissions of the faithful variant equal the reference policies in
//!   `../shared/reference/ai-unlimited/` (action sets per policy, taken from `plan -json`).
//! - Against moto (one server per test binary, `support/moto.rs`; it fails, never skips, when
//!   moto cannot be installed or started): for each mode, apply from empty, check what exists
//!   with boto3 (a client that is not aiu) and compare the documents with the reference JSON,
//!   then Session Manager off and on, a cluster added, PassRole tightened (each plan exactly as
//!   expected, then applied), and destroy, which leaves nothing (and the pre-existing manager
//!   role of existing-role mode untouched).
//!
//! Every run works in a temporary copy of the example, with a clean environment.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::{json, Value};
use support::moto::{boto, endpoint, unique, ACCOUNT};
use support::{Out, Work};

const EXAMPLE: &str = "ai-unlimited";
/// The region the moto runs use (set in aiu.tfvars, read back through data.aws_region).
const REGION: &str = "us-east-1";

// ---------------------------------------------------------------------------------------------
// helpers

fn reference_dir() -> PathBuf {
    support::repo_root().join("../shared/reference/ai-unlimited")
}

/// A reference policy file, parsed. `<REGION>` / `<ACCOUNT_ID>` are filled in when given.
fn reference(name: &str, region_account: Option<(&str, &str)>) -> Value {
    let p = reference_dir().join(name);
    let mut text = std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("cannot read reference {}: {e}", p.display()));
    if let Some((region, account)) = region_account {
        text = text
            .replace("<REGION>", region)
            .replace("<ACCOUNT_ID>", account);
    }
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: not JSON: {e}"))
}

fn parse_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// A string or a list of strings, as a list.
fn str_list(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().expect("string in list").to_owned())
            .collect(),
        Value::Null => vec![],
        other => panic!("expected a string or a list of strings, got {other}"),
    }
}

/// Every action the Allow statements of a policy document grant, lower-cased.
fn action_set(doc: &Value) -> BTreeSet<String> {
    let statements = match &doc["Statement"] {
        Value::Array(a) => a.clone(),
        s @ Value::Object(_) => vec![s.clone()],
        other => panic!("no Statement in {other}"),
    };
    let mut out = BTreeSet::new();
    for s in statements {
        assert_eq!(s["Effect"], "Allow", "unexpected statement {s}");
        assert!(s.get("NotAction").is_none(), "unexpected NotAction in {s}");
        out.extend(
            str_list(&s["Action"])
                .into_iter()
                .map(|a| a.to_ascii_lowercase()),
        );
    }
    out
}

/// A policy document in a comparable form: Version, and the statements (sorted) with Action /
/// Resource as sorted lists (actions lower-cased), Sid dropped.
fn normalise(doc: &Value) -> Value {
    let statements = match &doc["Statement"] {
        Value::Array(a) => a.clone(),
        s @ Value::Object(_) => vec![s.clone()],
        other => panic!("no Statement in {other}"),
    };
    let mut out: Vec<Value> = statements
        .iter()
        .map(|s| {
            let mut actions: Vec<String> = str_list(&s["Action"])
                .into_iter()
                .map(|a| a.to_ascii_lowercase())
                .collect();
            actions.sort();
            actions.dedup();
            let mut resources = str_list(&s["Resource"]);
            resources.sort();
            resources.dedup();
            let mut n = json!({ "Effect": s["Effect"], "Action": actions, "Resource": resources });
            if let Some(c) = s.get("Condition") {
                n["Condition"] = c.clone();
            }
            if let Some(p) = s.get("Principal") {
                n["Principal"] = p.clone();
            }
            n
        })
        .collect();
    out.sort_by_key(|s| s.to_string());
    json!({ "Version": doc["Version"], "Statement": out })
}

#[track_caller]
fn assert_same_document(what: &str, actual: &Value, expected: &Value) {
    let (a, e) = (normalise(actual), normalise(expected));
    if a != e {
        let (aa, ea) = (action_set(actual), action_set(expected));
        panic!(
            "{what}: documents differ\nmissing actions: {:?}\nextra actions: {:?}\nactual:   {a}\nexpected: {e}",
            ea.difference(&aa).collect::<Vec<_>>(),
            aa.difference(&ea).collect::<Vec<_>>()
        );
    }
}

#[track_caller]
fn assert_same_actions(what: &str, actual: &Value, expected: &Value) {
    let (a, e) = (action_set(actual), action_set(expected));
    assert!(
        a == e,
        "{what}: action sets differ\nmissing: {:?}\nextra: {:?}",
        e.difference(&a).collect::<Vec<_>>(),
        a.difference(&e).collect::<Vec<_>>()
    );
}

/// `plan -json` output: address -> `change.after.policy` (parsed), for every managed resource
/// whose policy is known.
fn planned_policies(out: &Out) -> BTreeMap<String, Value> {
    let doc = parse_json(&out.stdout);
    let mut map = BTreeMap::new();
    for c in doc["resource_changes"]
        .as_array()
        .expect("resource_changes")
    {
        if c["mode"] != "managed" {
            continue;
        }
        if let Some(p) = c["change"]["after"]["policy"].as_str() {
            map.insert(c["address"].as_str().unwrap().to_owned(), parse_json(p));
        }
    }
    map
}

#[track_caller]
fn policy_at<'a>(policies: &'a BTreeMap<String, Value>, address: &str) -> &'a Value {
    policies.get(address).unwrap_or_else(|| {
        panic!(
            "no known policy document for {address}; have: {:?}",
            policies.keys().collect::<Vec<_>>()
        )
    })
}

/// The `# ADDRESS will be ...` lines of a rendered plan: address -> action words.
fn plan_entries(out: &Out) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for line in out.stdout.lines() {
        let Some(rest) = line.strip_prefix("  # ") else {
            continue;
        };
        let Some((addr, action)) = rest
            .split_once(" will be ")
            .or_else(|| rest.split_once(" must be "))
        else {
            continue;
        };
        if addr.starts_with("data.") {
            continue;
        }
        map.insert(addr.to_owned(), action.to_owned());
    }
    map
}

/// Asserts a plan's summary line and exactly which resources it lists with which action.
#[track_caller]
fn assert_plan(out: &Out, summary: &str, expected: &[(&str, &str)]) {
    out.assert_code(2);
    out.assert_stdout_contains(summary);
    let actual = plan_entries(out);
    let expected: BTreeMap<String, String> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(
        actual,
        expected,
        "planned resources differ; output:\n{}",
        out.snapshot()
    );
}

// ---------------------------------------------------------------------------------------------
// offline

fn offline_plan(args: &[&str]) -> Out {
    let w = Work::example(EXAMPLE);
    let mut all = vec!["plan", "--offline"];
    all.extend_from_slice(args);
    let out = w.aiu(&all).run();
    assert!(
        !w.state_path().exists(),
        "plan --offline wrote a state file"
    );
    out
}

const EXISTING_OFFLINE: &[&str] = &[
    "-var",
    "create_manager_role=false",
    "-var",
    "existing_manager_role_name=ai-unlimited-iam-role",
];

/// The README's quick start: no input, no AWS access.
#[test]
fn offline_plan_new_role_mode() {
    let out = offline_plan(&["-detailed-exitcode"]);
    out.assert_code(2);
    out.assert_stdout_contains("Plan: 8 to add, 0 to change, 0 to destroy.");
    insta::assert_snapshot!("offline_plan_new_role_mode", out.snapshot());
}

#[test]
fn offline_plan_existing_role_mode() {
    let mut args = vec!["-detailed-exitcode"];
    args.extend_from_slice(EXISTING_OFFLINE);
    let out = offline_plan(&args);
    out.assert_code(2);
    out.assert_stdout_contains("Plan: 7 to add, 0 to change, 0 to destroy.");
    out.assert_not_contains("aws_iam_role.manager[0]");
    insta::assert_snapshot!("offline_plan_existing_role_mode", out.snapshot());
}

/// The README's sample variables file plans as it is.
#[test]
fn offline_plan_with_example_tfvars() {
    let out = offline_plan(&["-var-file=example.tfvars", "-detailed-exitcode"]);
    out.assert_code(2);
    out.assert_stdout_contains("Plan: 8 to add, 0 to change, 0 to destroy.");
    out.assert_stdout_contains("\"Owner\"     = \"data-platform\"");
}

/// Other switches plan offline with exactly the expected objects.
#[test]
fn offline_plan_variants() {
    let cases: &[(&[&str], &str, &[&str])] = &[
        (
            &["-var", "manager_policy_type=inline"],
            "Plan: 6 to add, 0 to change, 0 to destroy.",
            &[
                "aws_iam_instance_profile.manager",
                "aws_iam_role.engine",
                "aws_iam_role.manager[0]",
                "aws_iam_role_policy.engine_secrets[0]",
                "aws_iam_role_policy.session_manager[0]",
                "aws_iam_role_policy.workspaces[0]",
            ],
        ),
        (
            // Cluster-scoped engine policies replace the compute-engine/* one.
            &[
                "-var",
                "include_session_manager=false",
                "-var",
                "clusters=[\"sales\", \"fraud\"]",
            ],
            "Plan: 7 to add, 0 to change, 0 to destroy.",
            &[
                "aws_iam_instance_profile.manager",
                "aws_iam_policy.workspaces[0]",
                "aws_iam_role.engine",
                "aws_iam_role.manager[0]",
                "aws_iam_role_policy.engine_cluster[\"fraud\"]",
                "aws_iam_role_policy.engine_cluster[\"sales\"]",
                "aws_iam_role_policy_attachment.workspaces[0]",
            ],
        ),
        (
            &[
                "-var",
                "create_manager_role=false",
                "-var",
                "existing_manager_role_name=m",
                "-var",
                "include_session_manager=false",
            ],
            "Plan: 5 to add, 0 to change, 0 to destroy.",
            &[
                "aws_iam_instance_profile.manager",
                "aws_iam_policy.workspaces[0]",
                "aws_iam_role.engine",
                "aws_iam_role_policy.engine_secrets[0]",
                "aws_iam_role_policy_attachment.workspaces[0]",
            ],
        ),
    ];
    for (args, summary, addresses) in cases {
        let out = offline_plan(args);
        out.assert_code(0);
        out.assert_stdout_contains(summary);
        let actual: Vec<String> = plan_entries(&out).into_keys().collect();
        assert_eq!(
            actual,
            addresses.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            "{args:?}:\n{}",
            out.snapshot()
        );
    }
    let out = offline_plan(&["-var", "manager_policy_type=attached"]);
    out.assert_code(1);
    out.assert_stderr_contains("manager_policy_type must be \"managed\" or \"inline\".");
}

/// `aiu validate` explains what is wrong with the published manager policies, in both modes:
/// PassRole on any role, and the escalation paths (PutRolePolicy on any role, including the
/// manager's own; PassRole + RunInstances; PassRole + CreateStack).
#[test]
fn validate_explains_the_findings_of_the_published_policies() {
    for args in [&[][..], EXISTING_OFFLINE] {
        let w = Work::example(EXAMPLE);
        let mut all = vec!["validate"];
        all.extend_from_slice(args);
        let out = w.aiu(&all).run();
        // Warnings, not errors: the configuration is valid.
        out.assert_code(0);
        out.assert_stdout_contains("Success! The configuration is valid");
        for needle in [
            "PASS_ROLE_WITH_STAR_IN_RESOURCE",
            "iam:PassRole on \"*\" lets this identity pass any role",
            "privilege escalation (PutRolePolicy)",
            "privilege escalation (CreateEC2WithExistingInstanceProfile)",
            "privilege escalation (PassExistingRoleToCloudFormation)",
        ] {
            out.assert_contains(needle);
        }
    }
}

/// The faithful default grants exactly the published actions, per policy (compared as
/// case-insensitive sets, from `plan --offline -json`), in both modes and both policy types.
/// The engine policy needs the account id and region, which are unknown offline: its
/// document is compared in the moto tests (`moto_engine_policy_document_from_plan_json` and
/// the round trips).
#[test]
fn faithful_variant_grants_the_reference_actions() {
    let workspaces = reference("ai-unlimited-workspaces.json", None);
    let without = reference(
        "ai-unlimited-workspaces-without-iam-role-permissions.json",
        None,
    );
    let session = reference("session-manager.json", None);
    assert_eq!(action_set(&workspaces).len(), 99);
    assert_eq!(action_set(&without).len(), 96);

    for policy_type in ["managed", "inline"] {
        let (ws_addr, sm_addr) = if policy_type == "managed" {
            (
                "aws_iam_policy.workspaces[0]",
                "aws_iam_policy.session_manager[0]",
            )
        } else {
            (
                "aws_iam_role_policy.workspaces[0]",
                "aws_iam_role_policy.session_manager[0]",
            )
        };
        let type_var = format!("manager_policy_type={policy_type}");

        let out = offline_plan(&["-json", "-var", &type_var]);
        out.assert_code(0);
        let p = planned_policies(&out);
        assert_same_actions(
            &format!("new-role {policy_type} workspaces"),
            policy_at(&p, ws_addr),
            &workspaces,
        );
        assert_same_documents_offline(
            &format!("new-role {policy_type} workspaces"),
            policy_at(&p, ws_addr),
            &workspaces,
        );
        assert_same_actions(
            &format!("new-role {policy_type} session manager"),
            policy_at(&p, sm_addr),
            &session,
        );
        assert_same_documents_offline(
            &format!("new-role {policy_type} session manager"),
            policy_at(&p, sm_addr),
            &session,
        );

        let mut args = vec!["-json", "-var", &type_var];
        args.extend_from_slice(EXISTING_OFFLINE);
        let out = offline_plan(&args);
        out.assert_code(0);
        let p = planned_policies(&out);
        assert_same_actions(
            &format!("existing-role {policy_type} workspaces"),
            policy_at(&p, ws_addr),
            &without,
        );
        assert_same_actions(
            &format!("existing-role {policy_type} session manager"),
            policy_at(&p, sm_addr),
            &session,
        );

        // Mixed: an existing manager role that may still create engine roles.
        let mut args = vec![
            "-json",
            "-var",
            &type_var,
            "-var",
            "allow_engine_role_creation=true",
        ];
        args.extend_from_slice(EXISTING_OFFLINE);
        let p = planned_policies(&offline_plan(&args));
        assert_same_actions(
            &format!("existing-role {policy_type} with role creation"),
            policy_at(&p, ws_addr),
            &workspaces,
        );
    }
}

/// Same statements too (one statement on "*" for workspaces, three for Session Manager).
#[track_caller]
fn assert_same_documents_offline(what: &str, actual: &Value, expected: &Value) {
    assert_same_document(what, actual, expected);
}

// ---------------------------------------------------------------------------------------------
// moto

fn aiu(w: &Work, args: &[&str]) -> Out {
    w.aiu(args).aws(endpoint()).run()
}

#[track_caller]
fn apply(w: &Work, expected: &str) -> Out {
    let out = aiu(w, &["apply", "-auto-approve"]);
    out.assert_code(0);
    out.assert_stdout_contains(expected);
    out
}

#[track_caller]
fn no_changes(w: &Work) {
    let out = aiu(w, &["plan", "-detailed-exitcode"]);
    out.assert_code(0);
    out.assert_stdout_contains("No changes. Your infrastructure matches the configuration.");
    out.assert_not_contains("Objects have changed outside of aiu");
}

/// What moto holds for the roles named in `roles`, the managed policies and instance profiles
/// whose names start with `prefix`: documents decoded by boto3.
fn account_view(prefix: &str, roles: &[&str]) -> Value {
    let script = format!(
        r#"
prefix = {prefix:?}
wanted = {roles}
out = {{"roles": {{}}, "policies": {{}}, "profiles": {{}}}}
all_roles = list_all(iam.list_roles, 'Roles')
for r in all_roles:
    n = r['RoleName']
    if n not in wanted and not n.startswith(prefix):
        continue
    full = iam.get_role(RoleName=n)['Role']
    inline = {{}}
    for pn in iam.list_role_policies(RoleName=n)['PolicyNames']:
        inline[pn] = iam.get_role_policy(RoleName=n, PolicyName=pn)['PolicyDocument']
    attached = sorted(a['PolicyArn'] for a in iam.list_attached_role_policies(RoleName=n)['AttachedPolicies'])
    out["roles"][n] = {{
        "path": full.get('Path'),
        "trust": full['AssumeRolePolicyDocument'],
        "boundary": (full.get('PermissionsBoundary') or {{}}).get('PermissionsBoundaryArn'),
        "tags": {{t['Key']: t['Value'] for t in full.get('Tags', [])}},
        "inline": inline,
        "attached": attached,
    }}
for p in list_all(iam.list_policies, 'Policies', Scope='Local'):
    if not p['PolicyName'].startswith(prefix):
        continue
    v = iam.get_policy_version(PolicyArn=p['Arn'], VersionId=p['DefaultVersionId'])['PolicyVersion']
    out["policies"][p['Arn']] = {{"name": p['PolicyName'], "path": p['Path'], "document": v['Document'],
        "attachments": p.get('AttachmentCount')}}
for ip in list_all(iam.list_instance_profiles, 'InstanceProfiles'):
    if not ip['InstanceProfileName'].startswith(prefix):
        continue
    out["profiles"][ip['InstanceProfileName']] = [r['RoleName'] for r in ip['Roles']]
print(json.dumps(out))
"#,
        roles = serde_json::to_string(roles).unwrap()
    );
    parse_json(boto(&script).trim())
}

fn doc_of(v: &Value) -> Value {
    // boto3 returns documents decoded; tolerate a string too.
    match v {
        Value::String(s) => parse_json(s),
        other => other.clone(),
    }
}

fn ec2_trust() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "ec2.amazonaws.com"}}]})
}

/// The modes a round trip covers.
#[derive(Clone, Copy, Debug)]
enum Mode {
    New,
    Existing,
}

/// Full life of the example in one mode: apply, verify, no changes, Session Manager off and on,
/// a cluster added, PassRole tightened, destroy.
fn round_trip(mode: Mode, managed: bool) {
    let prefix = unique("aiu7");
    let w = Work::example(EXAMPLE);
    let manager = format!("{prefix}-manager");
    let engine = format!("{prefix}-engine");
    let existing = format!("{prefix}-byo-manager");
    let tfvars_base = {
        let mut s = format!("name_prefix = \"{prefix}\"\nregion = \"{REGION}\"\n");
        if !managed {
            s.push_str("manager_policy_type = \"inline\"\n");
        }
        if let Mode::Existing = mode {
            s.push_str(&format!(
                "create_manager_role = false\nexisting_manager_role_name = \"{existing}\"\n"
            ));
        }
        s
    };
    let set_vars = |extra: &str| w.write("aiu.tfvars", &format!("{tfvars_base}{extra}"));
    set_vars("");

    // Existing-role mode: the manager role exists before aiu runs, created by someone else.
    let existing_trust = ec2_trust();
    if let Mode::Existing = mode {
        boto(&format!(
            "iam.create_role(RoleName={existing:?}, Path='/', AssumeRolePolicyDocument=json.dumps({trust}), Tags=[{{'Key': 'Owner', 'Value': 'cloud-admin'}}])",
            trust = existing_trust
        ));
    }
    let manager_role = match mode {
        Mode::New => manager.clone(),
        Mode::Existing => existing.clone(),
    };
    let workspaces_name = match mode {
        Mode::New => format!("{prefix}-workspaces"),
        Mode::Existing => format!("{prefix}-workspaces-without-iam-role-permissions"),
    };
    let session_name = format!("{prefix}-session-manager");
    let policy_arn = |name: &str| format!("arn:aws:iam::{ACCOUNT}:policy/{name}");

    let workspaces_ref = match mode {
        Mode::New => reference("ai-unlimited-workspaces.json", None),
        Mode::Existing => reference(
            "ai-unlimited-workspaces-without-iam-role-permissions.json",
            None,
        ),
    };
    let session_ref = reference("session-manager.json", None);
    let engine_ref = reference("ai-unlimited-engine.json", Some((REGION, ACCOUNT)));

    // ---- apply from empty
    let (n_mgr_role, n_per_policy) = (
        matches!(mode, Mode::New) as usize,
        if managed { 2 } else { 1 },
    );
    // manager role?, workspaces, session, instance profile, engine role, engine secrets
    let total = n_mgr_role + 2 * n_per_policy + 3;
    let out = apply(
        &w,
        &format!("Apply complete! Resources: {total} added, 0 changed, 0 destroyed."),
    );
    out.assert_contains("PASS_ROLE_WITH_STAR_IN_RESOURCE");
    out.assert_stdout_contains(&format!("engine_role_name = \"{engine}\""));
    out.assert_stdout_contains(&format!("manager_role_name = \"{manager_role}\""));
    out.assert_stdout_contains(&format!("manager_instance_profile_name = \"{manager}\""));

    let view = account_view(&prefix, &[&existing]);
    let roles = view["roles"].as_object().unwrap();
    let mut expected_roles = vec![engine.clone(), manager_role.clone()];
    expected_roles.sort();
    assert_eq!(
        roles.keys().cloned().collect::<Vec<_>>(),
        expected_roles,
        "{view:#}"
    );
    let mgr = &roles[&manager_role];
    let eng = &roles[&engine];
    // Both roles are trusted by EC2 only.
    assert_same_document("manager trust", &doc_of(&mgr["trust"]), &ec2_trust());
    assert_same_document("engine trust", &doc_of(&eng["trust"]), &ec2_trust());
    assert_eq!(eng["path"], "/");
    assert_eq!(
        eng["tags"],
        json!({"Project": "ai-unlimited", "ManagedBy": "aiu", "Component": "engine"}),
        "{view:#}"
    );
    match mode {
        Mode::New => assert_eq!(
            mgr["tags"],
            json!({"Project": "ai-unlimited", "ManagedBy": "aiu", "Component": "manager"}),
            "{view:#}"
        ),
        Mode::Existing => assert_eq!(
            mgr["tags"],
            json!({"Owner": "cloud-admin"}),
            "existing role's tags changed: {view:#}"
        ),
    }
    // Manager permissions.
    let check_manager = |view: &Value, session_on: bool, scoped: bool| {
        let roles = &view["roles"];
        let mgr = &roles[&manager_role];
        let policies = view["policies"].as_object().unwrap();
        let (ws_doc, sm_doc) = if managed {
            let mut want_attached = vec![policy_arn(&workspaces_name)];
            if session_on {
                want_attached.push(policy_arn(&session_name));
            }
            want_attached.sort();
            assert_eq!(mgr["attached"], json!(want_attached), "{view:#}");
            assert_eq!(mgr["inline"], json!({}), "{view:#}");
            assert_eq!(policies.len(), want_attached.len(), "{view:#}");
            let ws = doc_of(&policies[&policy_arn(&workspaces_name)]["document"]);
            let sm = session_on.then(|| doc_of(&policies[&policy_arn(&session_name)]["document"]));
            (ws, sm)
        } else {
            assert_eq!(mgr["attached"], json!([]), "{view:#}");
            assert!(policies.is_empty(), "{view:#}");
            let inline = mgr["inline"].as_object().unwrap();
            let mut names: Vec<&String> = inline.keys().collect();
            names.sort();
            let mut want = vec![&workspaces_name];
            if session_on {
                want.push(&session_name);
            }
            want.sort();
            assert_eq!(names, want, "{view:#}");
            (
                doc_of(&inline[&workspaces_name]),
                session_on.then(|| doc_of(&inline[&session_name])),
            )
        };
        if scoped {
            assert_scoped(&ws_doc, &workspaces_ref, mode, &engine);
        } else {
            assert_same_document("workspaces policy", &ws_doc, &workspaces_ref);
        }
        if let Some(sm) = sm_doc {
            assert_same_document("session manager policy", &sm, &session_ref);
        }
    };
    check_manager(&view, true, false);
    // Engine permissions: ai-unlimited-engine.json with region and account filled in.
    let inline = eng["inline"].as_object().unwrap();
    assert_eq!(
        inline.keys().cloned().collect::<Vec<_>>(),
        vec![format!("{prefix}-engine-secrets")],
        "{view:#}"
    );
    assert_same_document(
        "engine secrets policy",
        &doc_of(&inline[&format!("{prefix}-engine-secrets")]),
        &engine_ref,
    );
    assert_eq!(eng["attached"], json!([]));
    // The instance profile holds the manager role.
    assert_eq!(
        view["profiles"],
        json!({ manager.clone(): [manager_role.clone()] }),
        "{view:#}"
    );

    no_changes(&w);

    // ---- Session Manager off ...
    let (sm_policy, sm_attachment) = if managed {
        (
            "aws_iam_policy.session_manager[0]",
            Some("aws_iam_role_policy_attachment.session_manager[0]"),
        )
    } else {
        ("aws_iam_role_policy.session_manager[0]", None)
    };
    let mut sm_addresses = vec![sm_policy];
    sm_addresses.extend(sm_attachment);
    set_vars("include_session_manager = false\n");
    let out = aiu(&w, &["plan", "-detailed-exitcode"]);
    let n = sm_addresses.len();
    let destroyed: Vec<(&str, &str)> = sm_addresses.iter().map(|a| (*a, "destroyed")).collect();
    assert_plan(
        &out,
        &format!("Plan: 0 to add, 0 to change, {n} to destroy."),
        &destroyed,
    );
    apply(
        &w,
        &format!("Apply complete! Resources: 0 added, 0 changed, {n} destroyed."),
    );
    check_manager(&account_view(&prefix, &[&existing]), false, false);
    no_changes(&w);

    // ---- ... and on again.
    set_vars("");
    let out = aiu(&w, &["plan", "-detailed-exitcode"]);
    let created: Vec<(&str, &str)> = sm_addresses.iter().map(|a| (*a, "created")).collect();
    assert_plan(
        &out,
        &format!("Plan: {n} to add, 0 to change, 0 to destroy."),
        &created,
    );
    apply(
        &w,
        &format!("Apply complete! Resources: {n} added, 0 changed, 0 destroyed."),
    );
    check_manager(&account_view(&prefix, &[&existing]), true, false);
    no_changes(&w);

    // ---- a cluster-scoped engine policy, instead of compute-engine/*
    set_vars("clusters = [\"sales\"]\n");
    let out = aiu(&w, &["plan", "-detailed-exitcode"]);
    assert_plan(
        &out,
        "Plan: 1 to add, 0 to change, 1 to destroy.",
        &[
            ("aws_iam_role_policy.engine_cluster[\"sales\"]", "created"),
            ("aws_iam_role_policy.engine_secrets[0]", "destroyed"),
        ],
    );
    apply(
        &w,
        "Apply complete! Resources: 1 added, 0 changed, 1 destroyed.",
    );
    let view = account_view(&prefix, &[&existing]);
    let cluster_policy = format!("{prefix}-engine-cluster-sales");
    let inline = view["roles"][&engine]["inline"].as_object().unwrap();
    assert_eq!(
        inline.keys().collect::<Vec<_>>(),
        vec![&cluster_policy],
        "{view:#}"
    );
    let want = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
        "Resource": format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:compute-engine/sales/*")}]});
    assert_same_document("cluster policy", &doc_of(&inline[&cluster_policy]), &want);
    no_changes(&w);
    // A second cluster: one more policy, nothing else.
    set_vars("clusters = [\"sales\", \"fraud\"]\n");
    let out = aiu(&w, &["plan", "-detailed-exitcode"]);
    assert_plan(
        &out,
        "Plan: 1 to add, 0 to change, 0 to destroy.",
        &[("aws_iam_role_policy.engine_cluster[\"fraud\"]", "created")],
    );
    apply(
        &w,
        "Apply complete! Resources: 1 added, 0 changed, 0 destroyed.",
    );
    no_changes(&w);

    // ---- PassRole / PutRolePolicy tightened
    set_vars("clusters = [\"sales\", \"fraud\"]\nleast_privilege = true\n");
    let out = aiu(&w, &["plan", "-detailed-exitcode"]);
    let ws_addr = if managed {
        "aws_iam_policy.workspaces[0]"
    } else {
        "aws_iam_role_policy.workspaces[0]"
    };
    assert_plan(
        &out,
        "Plan: 0 to add, 1 to change, 0 to destroy.",
        &[(ws_addr, "updated in-place")],
    );
    out.assert_stdout_contains(&format!(
        "+ resource \"arn:aws:iam::{ACCOUNT}:role/{engine}\""
    ));
    // The published policy is flagged for PassRole on "*" (seen at the first apply); this one is not.
    out.assert_not_contains("PASS_ROLE_WITH_STAR_IN_RESOURCE");
    // Nor any privilege-escalation path: the role-writing actions reach only the engine role.
    out.assert_not_contains("PRIVILEGE_ESCALATION");
    // The reviewed document, as plan -json shows it, no longer lets the manager pass any role.
    let json_out = aiu(&w, &["plan", "-json"]);
    json_out.assert_code(0);
    let planned = policy_at(&planned_policies(&json_out), ws_addr).clone();
    assert_scoped(&planned, &workspaces_ref, mode, &engine);
    apply(
        &w,
        "Apply complete! Resources: 0 added, 1 changed, 0 destroyed.",
    );
    check_manager(&account_view(&prefix, &[&existing]), true, true);
    no_changes(&w);

    // ---- destroy
    let out = aiu(&w, &["destroy", "-auto-approve"]);
    out.assert_code(0);
    out.assert_stdout_contains(&format!(
        "Destroy complete! Resources: 0 added, 0 changed, {} destroyed.",
        total + 1
    ));
    let view = account_view(&prefix, &[&existing]);
    assert_eq!(view["policies"], json!({}), "left over: {view:#}");
    assert_eq!(view["profiles"], json!({}), "left over: {view:#}");
    match mode {
        Mode::New => assert_eq!(view["roles"], json!({}), "left over: {view:#}"),
        Mode::Existing => {
            let roles = view["roles"].as_object().unwrap();
            assert_eq!(
                roles.keys().collect::<Vec<_>>(),
                vec![&existing],
                "{view:#}"
            );
            let r = &roles[&existing];
            assert_eq!(r["attached"], json!([]), "{view:#}");
            assert_eq!(r["inline"], json!({}), "{view:#}");
            assert_eq!(r["tags"], json!({"Owner": "cloud-admin"}), "{view:#}");
            assert_same_document(
                "existing role trust after destroy",
                &doc_of(&r["trust"]),
                &existing_trust,
            );
            boto(&format!("iam.delete_role(RoleName={existing:?})"));
        }
    }
    let out = aiu(&w, &["state", "list"]);
    assert!(
        out.stdout.trim().is_empty() || !out.stdout.contains("aws_iam_"),
        "state not empty:\n{}",
        out.snapshot()
    );
}

/// The least-privilege workspaces document: the same actions as the reference, but the
/// role-writing ones only on the engine role (and the engine role prefix when the manager may
/// create roles); the validator no longer reports iam:PassRole on "*".
#[track_caller]
fn assert_scoped(doc: &Value, reference: &Value, mode: Mode, engine: &str) {
    assert_same_actions("least-privilege workspaces", doc, reference);
    let statements = doc["Statement"].as_array().expect("statements");
    assert_eq!(statements.len(), 2, "{doc:#}");
    let scoped = statements
        .iter()
        .find(|s| s["Sid"] == "EngineRolesOnly")
        .unwrap_or_else(|| panic!("{doc:#}"));
    let mut actions: Vec<String> = str_list(&scoped["Action"]);
    actions.sort();
    let mut resources = str_list(&scoped["Resource"]);
    resources.sort();
    let engine_arn = format!("arn:aws:iam::{ACCOUNT}:role/{engine}");
    match mode {
        Mode::New => {
            assert_eq!(
                actions,
                [
                    "iam:CreateRole",
                    "iam:DeleteRole",
                    "iam:DeleteRolePolicy",
                    "iam:PassRole",
                    "iam:PutRolePolicy"
                ],
                "{doc:#}"
            );
            assert_eq!(
                resources,
                [engine_arn.clone(), format!("{engine_arn}-*")],
                "{doc:#}"
            );
        }
        Mode::Existing => {
            assert_eq!(actions, ["iam:PassRole", "iam:PutRolePolicy"], "{doc:#}");
            assert_eq!(resources, [engine_arn], "{doc:#}");
        }
    }
    let star = statements
        .iter()
        .find(|s| s["Sid"] != "EngineRolesOnly")
        .unwrap();
    assert_eq!(star["Resource"], "*");
    for a in str_list(&star["Action"]) {
        assert!(!actions.contains(&a), "{a} still on \"*\": {doc:#}");
    }
    let text = doc.to_string();
    let findings = aiu_policy::validate_policy(
        &text,
        aiu_policy::PolicyKind::Identity,
        &aiu_policy::ValidateOptions::default(),
    );
    assert!(
        !findings.iter().any(
            |f| f.code == "PASS_ROLE_WITH_STAR_IN_RESOURCE" || f.code == "PRIVILEGE_ESCALATION"
        ),
        "validator still reports PassRole on * or an escalation path: {findings:#?}"
    );
    let faithful = aiu_policy::validate_policy(
        &reference.to_string(),
        aiu_policy::PolicyKind::Identity,
        &aiu_policy::ValidateOptions::default(),
    );
    assert!(
        faithful
            .iter()
            .any(|f| f.code == "PASS_ROLE_WITH_STAR_IN_RESOURCE"),
        "{faithful:#?}"
    );
}

#[test]
fn moto_new_role_mode_managed_policies() {
    round_trip(Mode::New, true);
}

#[test]
fn moto_new_role_mode_inline_policies() {
    round_trip(Mode::New, false);
}

#[test]
fn moto_existing_role_mode_managed_policies() {
    round_trip(Mode::Existing, true);
}

/// The engine policy, as `plan -json` renders it with the account and region read from the
/// provider, is ai-unlimited-engine.json with the placeholders filled in (the offline plan
/// cannot know them); with `clusters`, one policy per cluster on compute-engine/CLUSTER/*
/// replaces it. Nothing is applied.
#[test]
fn moto_engine_policy_documents_from_plan_json() {
    let w = Work::example(EXAMPLE);
    let base = format!(
        "name_prefix = \"{}\"\nregion = \"{REGION}\"\n",
        unique("aiu7p")
    );
    w.write("aiu.tfvars", &base);
    let out = aiu(&w, &["plan", "-json"]);
    out.assert_code(0);
    let p = planned_policies(&out);
    let engine_ref = reference("ai-unlimited-engine.json", Some((REGION, ACCOUNT)));
    let engine = policy_at(&p, "aws_iam_role_policy.engine_secrets[0]");
    assert_same_actions("engine secrets", engine, &engine_ref);
    assert_same_document("engine secrets", engine, &engine_ref);
    // The workspaces and Session Manager documents are the same online as offline.
    assert_same_document(
        "workspaces",
        policy_at(&p, "aws_iam_policy.workspaces[0]"),
        &reference("ai-unlimited-workspaces.json", None),
    );
    assert_same_document(
        "session manager",
        policy_at(&p, "aws_iam_policy.session_manager[0]"),
        &reference("session-manager.json", None),
    );

    w.write(
        "aiu.tfvars",
        &format!("{base}clusters = [\"c1\", \"c2\"]\n"),
    );
    let out = aiu(&w, &["plan", "-json"]);
    out.assert_code(0);
    let p = planned_policies(&out);
    assert!(
        !p.contains_key("aws_iam_role_policy.engine_secrets[0]"),
        "{:?}",
        p.keys()
    );
    for c in ["c1", "c2"] {
        let cluster = policy_at(&p, &format!("aws_iam_role_policy.engine_cluster[\"{c}\"]"));
        assert_same_actions(c, cluster, &engine_ref);
        let want = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
            "Resource": format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:compute-engine/{c}/*")}]});
        assert_same_document(c, cluster, &want);
    }
}
