//! End-to-end tests of the real `aiu` binary against moto's IAM/STS server.
//!
//! One moto_server per test binary (see `support/moto.rs`; `AIU_MOTO_ENDPOINT` selects a running
//! one). Tests share moto's single account, so every test uses unique names. Out-of-band changes
//! are made with boto3 from moto's venv: a client that is not aiu.

mod support;

use support::moto::{self, aiu, apply, boto, endpoint, unique, ACCOUNT};
use support::{Out, Work};

#[track_caller]
fn plan(w: &Work, code: i32) -> Out {
    let out = aiu(w, &["plan", "-detailed-exitcode"]);
    out.assert_code(code);
    if code == 0 {
        out.assert_stdout_contains("No changes. Your infrastructure matches the configuration.");
        out.assert_not_contains("Objects have changed outside of aiu");
    }
    out
}

/// examples/single-role with a unique `name` (set in aiu.tfvars), applied.
fn applied_single_role() -> (Work, String) {
    let w = Work::example("single-role");
    let name = unique("e2e-sr");
    w.write("aiu.tfvars", &format!("name = \"{name}\"\n"));
    let out = apply(&w, &[]);
    out.assert_stdout_contains("Apply complete! Resources: 5 added, 0 changed, 0 destroyed.");
    out.assert_stdout_contains(&format!(
        "role_arn = \"arn:aws:iam::{ACCOUNT}:role/{name}\""
    ));
    out.assert_stderr_contains("aws_iam_role.app: Creation complete after");
    (w, name)
}

fn state_json(w: &Work) -> serde_json::Value {
    serde_json::from_str(&w.read("state/default.aiustate.json")).expect("state is JSON")
}

/// The attributes of one instance in the state file.
fn state_attrs(w: &Work, type_name: &str, name: &str) -> serde_json::Value {
    let state = state_json(w);
    let r = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == type_name && r["name"] == name && r["mode"] == "managed")
        .unwrap_or_else(|| panic!("{type_name}.{name} not in state"));
    r["instances"][0]["attributes"].clone()
}

fn policy_arn(name: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:policy/{name}")
}

// ---------------------------------------------------------------------------------------------

#[test]
fn apply_then_plan_shows_no_changes() {
    let (w, name) = applied_single_role();
    assert!(moto::role_names().contains(&name));
    assert!(moto::policy_names().contains(&format!("{name}-logs")));
    assert!(moto::instance_profile_names().contains(&name));
    let attached = boto(&format!(
        "print(json.dumps([p['PolicyArn'] for p in iam.list_attached_role_policies(RoleName={name:?})['AttachedPolicies']]))"
    ));
    assert!(
        attached.contains(&policy_arn(&format!("{name}-logs"))),
        "{attached}"
    );
    let inline = boto(&format!(
        "print(json.dumps(iam.list_role_policies(RoleName={name:?})['PolicyNames']))"
    ));
    assert!(inline.contains(&format!("{name}-read-data")), "{inline}");

    plan(&w, 0);
    // A second apply has nothing to do.
    let again = apply(&w, &[]);
    again.assert_stdout_contains("Resources: 0 added, 0 changed, 0 destroyed.");
    for verb in ["Creating...", "Modifying...", "Destroying..."] {
        again.assert_not_contains(verb);
    }
    plan(&w, 0);
    let outputs = aiu(&w, &["output", "-raw", "role_arn"]);
    outputs.assert_code(0);
    assert_eq!(
        outputs.stdout.trim(),
        format!("arn:aws:iam::{ACCOUNT}:role/{name}")
    );
}

#[test]
fn drift_role_description_and_tag_is_shown_and_fixed() {
    let (w, name) = applied_single_role();
    boto(&format!(
        "iam.update_role(RoleName={name:?}, Description='changed outside')\n\
         iam.tag_role(RoleName={name:?}, Tags=[{{'Key': 'Project', 'Value': 'hijacked'}}])"
    ));
    let out = plan(&w, 2);
    out.assert_stdout_contains("Objects have changed outside of aiu");
    out.assert_stdout_contains("# aws_iam_role.app has changed");
    out.assert_stdout_contains(&format!(
        "~ description = \"Application instances of {name}\" -> \"changed outside\""
    ));
    out.assert_stdout_contains("~ \"Project\" = \"aiu-examples\" -> \"hijacked\"");
    // The fix: back to the configuration.
    out.assert_stdout_contains("# aws_iam_role.app will be updated in-place");
    out.assert_stdout_contains(&format!(
        "~ description = \"changed outside\" -> \"Application instances of {name}\""
    ));
    out.assert_stdout_contains("~ \"Project\" = \"hijacked\" -> \"aiu-examples\"");
    out.assert_stdout_contains("Plan: 0 to add, 1 to change, 0 to destroy.");
    for other in [
        "aws_iam_policy.logs",
        "aws_iam_instance_profile.app",
        "aws_iam_role_policy.read_data",
    ] {
        out.assert_not_contains(&format!("# {other} has changed"));
        out.assert_not_contains(&format!("# {other} will be"));
    }

    // Without refresh, the drift is invisible.
    let no_refresh = aiu(&w, &["plan", "-refresh=false", "-detailed-exitcode"]);
    no_refresh.assert_code(0);

    let applied = apply(&w, &[]);
    applied.assert_stdout_contains("Resources: 0 added, 1 changed, 0 destroyed.");
    plan(&w, 0);
    let live = boto(&format!("r = iam.get_role(RoleName={name:?})['Role']\nprint(json.dumps([r.get('Description'), r.get('Tags')]))"));
    assert!(
        live.contains(&format!("Application instances of {name}")),
        "{live}"
    );
    assert!(
        live.contains("aiu-examples") && !live.contains("hijacked"),
        "{live}"
    );
}

#[test]
fn drift_policy_documents_is_shown_and_fixed() {
    let (w, name) = applied_single_role();
    let logs_arn = policy_arn(&format!("{name}-logs"));
    boto(&format!(
        "doc = json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Action': 's3:*', 'Resource': '*'}}]}})\n\
         iam.create_policy_version(PolicyArn={logs_arn:?}, PolicyDocument=doc, SetAsDefault=True)\n\
         iam.put_role_policy(RoleName={name:?}, PolicyName={inline:?}, PolicyDocument=doc)\n\
         trust = json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Action': 'sts:AssumeRole', 'Principal': {{'Service': 'lambda.amazonaws.com'}}}}]}})\n\
         iam.update_assume_role_policy(RoleName={name:?}, PolicyDocument=trust)",
        inline = format!("{name}-read-data")
    ));
    let out = plan(&w, 2);
    out.assert_stdout_contains("# aws_iam_policy.logs has changed");
    out.assert_stdout_contains("# aws_iam_role_policy.read_data has changed");
    out.assert_stdout_contains("# aws_iam_role.app has changed");
    out.assert_stdout_contains("lambda.amazonaws.com");
    out.assert_stdout_contains("s3:*");
    out.assert_stdout_contains("# aws_iam_policy.logs will be updated in-place");
    out.assert_stdout_contains("# aws_iam_role_policy.read_data will be updated in-place");
    out.assert_stdout_contains("# aws_iam_role.app will be updated in-place");
    out.assert_stdout_contains("Plan: 0 to add, 3 to change, 0 to destroy.");

    apply(&w, &[]).assert_stdout_contains("Resources: 0 added, 3 changed, 0 destroyed.");
    plan(&w, 0);
    let live = boto(&format!(
        "p = iam.get_policy(PolicyArn={logs_arn:?})['Policy']\n\
         v = iam.get_policy_version(PolicyArn={logs_arn:?}, VersionId=p['DefaultVersionId'])['PolicyVersion']\n\
         print(json.dumps(v['Document']))"
    ));
    assert!(
        live.contains("logs:PutLogEvents") && !live.contains("s3:*"),
        "default version not restored: {live}"
    );
}

#[test]
fn drift_detached_attachment_and_deleted_inline_policy_are_recreated() {
    let (w, name) = applied_single_role();
    let logs_arn = policy_arn(&format!("{name}-logs"));
    boto(&format!(
        "iam.detach_role_policy(RoleName={name:?}, PolicyArn={logs_arn:?})\n\
         iam.delete_role_policy(RoleName={name:?}, PolicyName={inline:?})",
        inline = format!("{name}-read-data")
    ));
    let out = plan(&w, 2);
    out.assert_stdout_contains("# aws_iam_role_policy_attachment.logs has been deleted");
    out.assert_stdout_contains("# aws_iam_role_policy.read_data has been deleted");
    out.assert_stdout_contains("# aws_iam_role_policy_attachment.logs will be created");
    out.assert_stdout_contains("# aws_iam_role_policy.read_data will be created");
    out.assert_stdout_contains("Plan: 2 to add, 0 to change, 0 to destroy.");
    out.assert_not_contains("# aws_iam_role.app has changed");

    apply(&w, &[]).assert_stdout_contains("Resources: 2 added, 0 changed, 0 destroyed.");
    plan(&w, 0);
    let attached = boto(&format!(
        "print(json.dumps([p['PolicyArn'] for p in iam.list_attached_role_policies(RoleName={name:?})['AttachedPolicies']]))"
    ));
    assert!(attached.contains(&logs_arn), "{attached}");
}

#[test]
fn instance_profile_deleted_out_of_band_is_recreated() {
    let (w, name) = applied_single_role();
    boto(&format!(
        "iam.remove_role_from_instance_profile(InstanceProfileName={name:?}, RoleName={name:?})\n\
         iam.delete_instance_profile(InstanceProfileName={name:?})"
    ));
    let out = plan(&w, 2);
    out.assert_stdout_contains("# aws_iam_instance_profile.app has been deleted");
    out.assert_stdout_contains("# aws_iam_instance_profile.app will be created");
    out.assert_stdout_contains("Plan: 1 to add, 0 to change, 0 to destroy.");
    apply(&w, &[]);
    plan(&w, 0);
    assert!(moto::instance_profile_names().contains(&name));
}

#[test]
fn destroy_removes_everything() {
    let (w, name) = applied_single_role();
    let p = aiu(&w, &["plan", "-destroy", "-detailed-exitcode"]);
    p.assert_code(2);
    p.assert_stdout_contains("Plan: 0 to add, 0 to change, 5 to destroy.");

    let out = aiu(&w, &["destroy", "-auto-approve"]);
    out.assert_code(0);
    out.assert_stdout_contains("Destroy complete! Resources: 0 added, 0 changed, 5 destroyed.");
    out.assert_stderr_contains("aws_iam_role.app: Destruction complete after");
    assert!(
        !moto::role_names().contains(&name),
        "role {name} still exists"
    );
    assert!(
        !moto::policy_names().contains(&format!("{name}-logs")),
        "policy still exists"
    );
    assert!(
        !moto::instance_profile_names().contains(&name),
        "instance profile still exists"
    );
    let list = aiu(&w, &["state", "list"]);
    list.assert_code(0);
    assert_eq!(list.stdout.trim(), "", "state still lists resources");
    // Nothing left to destroy; a plan would create everything again.
    aiu(&w, &["destroy", "-auto-approve"]).assert_code(0);
    let again = aiu(&w, &["plan", "-detailed-exitcode"]);
    again.assert_code(2);
    again.assert_stdout_contains("Plan: 5 to add, 0 to change, 0 to destroy.");
}

#[test]
fn apply_without_auto_approve_refuses_without_a_terminal() {
    let w = Work::example("single-role");
    let name = unique("e2e-noconfirm");
    w.write("aiu.tfvars", &format!("name = \"{name}\"\n"));
    for run in [w.aiu(["apply"]), w.aiu(["apply"]).stdin("yes\n")] {
        let out = run.aws(endpoint()).run();
        out.assert_code(1);
        out.assert_stderr_contains("-auto-approve");
        out.assert_stderr_contains("not a terminal");
        out.assert_stdout_contains("Plan: 5 to add");
        out.assert_not_contains("Creating...");
    }
    // Terraform scripts' -input=false is accepted: it asks nothing, so it needs -auto-approve.
    let out = w.aiu(["apply", "-input=false"]).aws(endpoint()).run();
    out.assert_code(1);
    out.assert_stderr_contains("-input=false: no confirmation is asked");
    out.assert_not_contains("Creating...");
    assert!(
        !moto::role_names().contains(&name),
        "apply created the role without confirmation"
    );
    assert!(!moto::policy_names().contains(&format!("{name}-logs")));
    let list = aiu(&w, &["state", "list"]);
    assert_eq!(list.stdout.trim(), "");

    // Same for destroy.
    apply(&w, &[]);
    let out = aiu(&w, &["destroy"]);
    out.assert_code(1);
    out.assert_stderr_contains("-auto-approve");
    assert!(
        moto::role_names().contains(&name),
        "destroy ran without confirmation"
    );
    aiu(&w, &["destroy", "-auto-approve"]).assert_code(0);
}

#[test]
fn import_block_adopts_existing_role() {
    let name = unique("e2e-import-block");
    boto(&format!(
        "trust = json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Action': 'sts:AssumeRole', 'Principal': {{'Service': 'lambda.amazonaws.com'}}}}]}})\n\
         iam.create_role(RoleName={name:?}, AssumeRolePolicyDocument=trust, Description='created outside aiu', Tags=[{{'Key': 'Owner', 'Value': 'someone-else'}}])"
    ));
    let role_id = |n: &str| {
        boto(&format!(
            "print(iam.get_role(RoleName={n:?})['Role']['RoleId'])"
        ))
        .trim()
        .to_owned()
    };
    let id_before = role_id(&name);
    let w = Work::fixture_with("moto/import-role", &[("NAME", &name)]);

    let out = plan(&w, 2);
    out.assert_stdout_contains("# aws_iam_role.existing will be imported");
    out.assert_stdout_contains("Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.");
    out.assert_not_contains("will be created");

    let out = apply(&w, &[]);
    out.assert_stdout_contains("Resources: 1 imported, 0 added, 0 changed, 0 destroyed.");
    plan(&w, 0);
    assert_eq!(
        role_id(&name),
        id_before,
        "the role was re-created instead of imported"
    );
    assert_eq!(
        state_attrs(&w, "aws_iam_role", "existing")["unique_id"],
        id_before.as_str()
    );

    aiu(&w, &["destroy", "-auto-approve"]).assert_code(0);
    assert!(!moto::role_names().contains(&name));
}

#[test]
fn import_command_adopts_existing_role() {
    let name = unique("e2e-import-cmd");
    boto(&format!(
        "trust = json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Action': 'sts:AssumeRole', 'Principal': {{'Service': 'lambda.amazonaws.com'}}}}]}})\n\
         iam.create_role(RoleName={name:?}, AssumeRolePolicyDocument=trust, Description='created outside aiu', Tags=[{{'Key': 'Owner', 'Value': 'someone-else'}}])"
    ));
    let w = Work::fixture_with("moto/import-role", &[("NAME", &name)]);
    // The same configuration without the import block.
    let text = w.read("main.tf");
    let start = text.find("import {").unwrap();
    let end = text[start..].find("}\n").unwrap() + start + 2;
    w.write("main.tf", &format!("{}{}", &text[..start], &text[end..]));

    let before = aiu(&w, &["plan", "-detailed-exitcode"]);
    before.assert_code(2);
    before.assert_stdout_contains("# aws_iam_role.existing will be created");

    let out = aiu(&w, &["import", "aws_iam_role.existing", &name]);
    out.assert_code(0);
    out.assert_stdout_contains("Import successful!");
    plan(&w, 0);
    let list = aiu(&w, &["state", "list"]);
    assert_eq!(list.stdout, "aws_iam_role.existing\n");

    let again = aiu(&w, &["import", "aws_iam_role.existing", &name]);
    again.assert_code(1);
    again.assert_stderr_contains("already managed");

    let w2 = Work::fixture_with("moto/import-role", &[("NAME", &format!("{name}-missing"))]);
    let missing = aiu(
        &w2,
        &[
            "import",
            "aws_iam_role.existing",
            &format!("{name}-missing"),
        ],
    );
    missing.assert_code(1);
    missing.assert_stderr_contains("non-existent");
    assert_eq!(aiu(&w2, &["state", "list"]).stdout.trim(), "");
}

#[test]
fn equivalent_policy_rewrite_plans_no_changes() {
    let name = unique("e2e-equiv");
    let w = Work::fixture("moto/policy-equivalence-a");
    w.write("aiu.tfvars", &format!("name = \"{name}\"\n"));
    apply(&w, &[]).assert_stdout_contains("Resources: 4 added, 0 changed, 0 destroyed.");
    plan(&w, 0);
    let b = std::fs::read_to_string(support::fixture_path("moto/policy-equivalence-b/main.tf"))
        .unwrap();
    w.write("main.tf", &b);
    plan(&w, 0);
    // A real change is still seen.
    w.write(
        "main.tf",
        &b.replace(
            "[\"s3:PutObject\", \"s3:GetObject\"]",
            "[\"s3:PutObject\", \"s3:GetObject\", \"s3:DeleteObject\"]",
        ),
    );
    let out = plan(&w, 2);
    out.assert_stdout_contains("# aws_iam_role_policy.inline will be updated in-place");
    out.assert_stdout_contains("s3:DeleteObject");
    out.assert_stdout_contains("Plan: 0 to add, 1 to change, 0 to destroy.");
    aiu(&w, &["destroy", "-auto-approve"]).assert_code(0);
}

#[test]
fn refresh_only_accepts_live_values_then_plan_changes_them_back() {
    let (w, name) = applied_single_role();
    boto(&format!(
        "iam.update_role(RoleName={name:?}, Description='changed outside')"
    ));

    let p = aiu(&w, &["plan", "-refresh-only", "-detailed-exitcode"]);
    p.assert_code(2);
    p.assert_stdout_contains("# aws_iam_role.app has changed");
    p.assert_not_contains("will be updated in-place");
    let before = w.read("state/default.aiustate.json");

    let out = aiu(&w, &["apply", "-refresh-only", "-auto-approve"]);
    out.assert_code(0);
    out.assert_stdout_contains("# aws_iam_role.app has changed");
    out.assert_stdout_contains("Apply complete! Resources: 0 added, 0 changed, 0 destroyed.");
    assert_ne!(
        w.read("state/default.aiustate.json"),
        before,
        "refresh-only did not write state"
    );
    assert_eq!(
        state_attrs(&w, "aws_iam_role", "app")["description"],
        "changed outside"
    );
    // AWS was not touched.
    let live = boto(&format!(
        "print(iam.get_role(RoleName={name:?})['Role'].get('Description'))"
    ));
    assert_eq!(live.trim(), "changed outside");

    // State now holds the live value; the configuration still has the old one: a plain update,
    // with no "changed outside" note any more.
    let out = plan(&w, 2);
    out.assert_not_contains("Objects have changed outside of aiu");
    out.assert_stdout_contains("# aws_iam_role.app will be updated in-place");
    out.assert_stdout_contains(&format!(
        "~ description = \"changed outside\" -> \"Application instances of {name}\""
    ));
    out.assert_stdout_contains("Plan: 0 to add, 1 to change, 0 to destroy.");
    // A second refresh-only finds nothing to accept.
    aiu(&w, &["plan", "-refresh-only", "-detailed-exitcode"]).assert_code(0);
    apply(&w, &[]);
    plan(&w, 0);
}

#[test]
fn allowed_and_forbidden_account_ids_are_enforced_before_anything_else() {
    for (fixture, words) in [
        (
            "moto/allowed-accounts",
            &["111111111111", ACCOUNT, "allowed_account_ids"][..],
        ),
        (
            "moto/forbidden-accounts",
            &[ACCOUNT, "forbidden_account_ids"][..],
        ),
    ] {
        let name = unique("e2e-guard");
        let w = Work::fixture(fixture);
        w.write("aiu.tfvars", &format!("name = \"{name}\"\n"));
        for args in [
            &["plan"][..],
            &["apply", "-auto-approve"],
            &["import", "aws_iam_role.app", &name],
        ] {
            let out = aiu(&w, args);
            out.assert_code(1);
            for word in words {
                out.assert_stderr_contains(word);
            }
            out.assert_not_contains("Creating...");
            assert!(
                !w.state_path().exists(),
                "{fixture} {args:?}: a state file was written"
            );
        }
        assert!(
            !moto::role_names().contains(&name),
            "{fixture}: the role was created"
        );
    }
}

#[test]
fn for_each_example_round_trip() {
    let w = Work::example("for-each-roles");
    let prefix = unique("e2e-fe");
    // No AWS managed ReadOnlyAccess policy: moto only has those when started with
    // MOTO_IAM_LOAD_MANAGED_POLICIES=true, which an external AIU_MOTO_ENDPOINT may not be.
    w.write(
        "aiu.tfvars",
        &format!("prefix = \"{prefix}\"\nread_only_roles = []\n"),
    );
    let out = apply(&w, &[]);
    out.assert_stdout_contains("Resources: 7 added, 0 changed, 0 destroyed.");
    plan(&w, 0);
    let list = aiu(&w, &["state", "list"]);
    list.assert_stdout_contains("aws_iam_role.service[\"api\"]");
    // Removing one key destroys exactly that role and what hangs off it.
    let out = aiu(
        &w,
        &[
            "plan",
            "-detailed-exitcode",
            "-var",
            "services={api = \"ecs-tasks.amazonaws.com\", worker = \"ec2.amazonaws.com\"}",
        ],
    );
    out.assert_code(2);
    out.assert_stdout_contains("# aws_iam_role.service[\"batch\"] will be destroyed");
    out.assert_not_contains("# aws_iam_role.service[\"api\"] will be destroyed");
    let out = aiu(&w, &["destroy", "-auto-approve"]);
    out.assert_code(0);
    out.assert_stdout_contains("Destroy complete! Resources: 0 added, 0 changed, 7 destroyed.");
    let roles = moto::role_names();
    assert!(
        !roles.iter().any(|r| r.starts_with(&prefix)),
        "left over: {roles:?}"
    );
}

#[test]
fn ai_unlimited_example_round_trip() {
    let w = Work::example("ai-unlimited");
    let prefix = unique("e2e-aiu");
    w.write("aiu.tfvars", &format!("name_prefix = \"{prefix}\"\n"));
    let out = apply(&w, &[]);
    out.assert_stdout_contains("Resources: 8 added, 0 changed, 0 destroyed.");
    plan(&w, 0);
    let list = aiu(&w, &["state", "list"]);
    list.assert_stdout_contains("aws_iam_role.manager[0]");
    list.assert_stdout_contains("aws_iam_instance_profile.manager");
    // (Not destroyed here: `aiu destroy` of this example destroys everything but then exits 1
    // with "Invalid index" while re-planning; reported as a bug.)
}

/// A loopback TCP proxy to moto that runs `hook` once, when the first connection arrives
/// (before forwarding it). Returns its endpoint. Threads live until the test process ends.
fn proxy_with_hook(hook: impl FnOnce() + Send + 'static) -> String {
    use std::io::copy;
    use std::net::{TcpListener, TcpStream};
    let upstream = endpoint()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut hook = Some(hook);
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            if let Some(h) = hook.take() {
                h();
            }
            let Ok(server) = TcpStream::connect(&upstream) else {
                continue;
            };
            let (mut c1, mut s1) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (mut c2, mut s2) = (client, server);
            std::thread::spawn(move || {
                let _ = copy(&mut c1, &mut s1);
                let _ = s1.shutdown(std::net::Shutdown::Write);
            });
            std::thread::spawn(move || {
                let _ = copy(&mut s2, &mut c2);
                let _ = c2.shutdown(std::net::Shutdown::Write);
            });
        }
    });
    format!("http://127.0.0.1:{port}")
}

/// The state file is replaced by one of another lineage after aiu read it (while it talks to
/// AWS): aiu must refuse to overwrite it, say why, and exit 1.
#[test]
fn state_of_another_lineage_is_never_overwritten() {
    let (w, name) = applied_single_role();
    let edited = w.read("main.tf").replace(
        "\"Application instances of ${var.name}\"",
        "\"Edited ${var.name}\"",
    );
    w.write("main.tf", &edited);
    let original = w.read("state/default.aiustate.json");
    let lineage = state_json(&w)["lineage"].as_str().unwrap().to_owned();
    let foreign = original.replace(&lineage, "11111111-2222-4333-8444-555555555555");
    assert_ne!(foreign, original);
    let state_path = w.state_path();
    let foreign_for_hook = foreign.clone();
    let proxy = proxy_with_hook(move || std::fs::write(&state_path, &foreign_for_hook).unwrap());

    let out = w.aiu(["apply", "-auto-approve"]).aws(&proxy).run();
    out.assert_code(1);
    out.assert_stderr_contains("lineage");
    out.assert_stderr_contains("11111111-2222-4333-8444-555555555555");
    assert_eq!(
        w.read("state/default.aiustate.json"),
        foreign,
        "the foreign state file was overwritten"
    );
    // The change reached AWS before the refusal (state is read before the lock is taken and
    // its lineage is only checked on write); the message says so.
    out.assert_stderr_contains("was changed in AWS but state could not be saved");
    let live = boto(&format!(
        "print(iam.get_role(RoleName={name:?})['Role'].get('Description'))"
    ));
    assert_eq!(live.trim(), format!("Edited {name}"));
}

/// A state file that cannot be read stops apply before any AWS change, and is kept as it was.
#[test]
fn unreadable_state_stops_apply_before_any_change() {
    let w = Work::example("single-role");
    let name = unique("e2e-badstate");
    w.write("aiu.tfvars", &format!("name = \"{name}\"\n"));
    for bad in [
        "{\"format_version\": 1, \"lineage\": ",
        "{\"format_version\": 99, \"lineage\": \"x\", \"serial\": 1}\n",
    ] {
        w.write("state/default.aiustate.json", bad);
        let out = aiu(&w, &["apply", "-auto-approve"]);
        out.assert_code(1);
        out.assert_stderr_contains("default.aiustate.json");
        out.assert_not_contains("Creating...");
        assert_eq!(w.read("state/default.aiustate.json"), bad);
    }
    assert!(!moto::role_names().contains(&name));
}

/// A name taken by a role aiu does not manage: a clear error naming the resource and what
/// AWS said; what did succeed is saved in state, and a later apply converges.
#[test]
fn name_taken_by_unmanaged_role_fails_clearly_and_keeps_the_rest() {
    let w = Work::example("single-role");
    let name = unique("e2e-taken");
    w.write("aiu.tfvars", &format!("name = \"{name}\"\n"));
    boto(&format!(
        "iam.create_role(RoleName={name:?}, AssumeRolePolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': []}}))"
    ));
    let out = aiu(&w, &["apply", "-auto-approve"]);
    out.assert_code(1);
    out.assert_stderr_contains("aws_iam_role.app");
    out.assert_stderr_contains("EntityAlreadyExists");
    // The managed policy does not depend on the role: it was created and recorded.
    let list = aiu(&w, &["state", "list"]);
    assert_eq!(list.stdout, "aws_iam_policy.logs\n", "{}", list.snapshot());
    // Remove the squatter; the next apply creates the rest without duplicating the policy.
    boto(&format!("iam.delete_role(RoleName={name:?})"));
    apply(&w, &[]).assert_stdout_contains("Resources: 4 added, 0 changed, 0 destroyed.");
    plan(&w, 0);
    let policies: Vec<_> = moto::policy_names()
        .into_iter()
        .filter(|p| p.starts_with(&name))
        .collect();
    assert_eq!(policies, vec![format!("{name}-logs")]);
    aiu(&w, &["destroy", "-auto-approve"]).assert_code(0);
}

#[test]
fn import_blocks_with_for_each_adopt_every_instance() {
    let prefix = unique("e2e-import-each");
    let mut script = String::from(
        "trust = json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 'sts:AssumeRole', 'Principal': {'Service': 'ec2.amazonaws.com'}}]})\n",
    );
    for team in ["api", "web"] {
        script.push_str(&format!(
            "doc = json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Action': 's3:ListBucket', 'Resource': 'arn:aws:s3:::{prefix}-{team}'}}]}})\n\
             iam.create_role(RoleName='{prefix}-{team}', AssumeRolePolicyDocument=trust)\n\
             arn = iam.create_policy(PolicyName='{prefix}-{team}', PolicyDocument=doc)['Policy']['Arn']\n\
             iam.attach_role_policy(RoleName='{prefix}-{team}', PolicyArn=arn)\n"
        ));
    }
    boto(&script);
    let roles_before = moto::role_names()
        .into_iter()
        .filter(|n| n.starts_with(&prefix))
        .count();
    let w = Work::fixture_with("moto/import-for-each", &[("PREFIX", &prefix)]);

    let out = plan(&w, 2);
    for address in [
        "aws_iam_role.team[\"api\"]",
        "aws_iam_role.team[\"web\"]",
        "aws_iam_policy.team[\"api\"]",
        "aws_iam_role_policy_attachment.team[\"web\"]",
    ] {
        out.assert_stdout_contains(&format!("# {address} will be imported"));
    }
    out.assert_stdout_contains("Plan: 6 to import, 0 to add, 0 to change, 0 to destroy.");

    let out = apply(&w, &[]);
    out.assert_stdout_contains("Resources: 6 imported, 0 added, 0 changed, 0 destroyed.");
    plan(&w, 0);
    assert_eq!(roles_before, 2);
    assert_eq!(
        moto::role_names()
            .into_iter()
            .filter(|n| n.starts_with(&prefix))
            .count(),
        2,
        "nothing was created twice"
    );

    aiu(&w, &["destroy", "-auto-approve"]).assert_code(0);
    assert!(!moto::role_names().iter().any(|n| n.starts_with(&prefix)));
    assert!(!moto::policy_names().iter().any(|n| n.starts_with(&prefix)));
}
