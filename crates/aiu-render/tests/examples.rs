//! The configurations in `examples/` load, take every variable from its default and plan
//! offline (no AWS call) without errors; their plans render and serialize.

use aiu_plan::planner::{plan, Offline, PlanInput};
use aiu_render::{plan_json, render_diagnostics, render_plan, RenderOptions};
use std::path::Path;

/// Plans one example offline with default variables; returns the rendered plan.
fn plan_example(name: &str) -> (aiu_plan::Plan, String) {
    plan_example_with(name, &[])
}

/// Plans one example offline with `-var name=value` settings.
fn plan_example_with(name: &str, vars: &[&str]) -> (aiu_plan::Plan, String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name);
    let (config, mut diags) = aiu_config::load_dir(&dir);
    let inputs = aiu_config::VarInputs {
        cli_vars: vars.iter().map(|v| v.to_string()).collect(),
        ..Default::default()
    };
    let (variables, var_diags) = aiu_config::resolve_variables(&config, &inputs);
    diags.extend(var_diags);
    let prior = aiu_state::State::new();
    let input = PlanInput {
        config: &config,
        variables: &variables,
        prior: &prior,
        reader: &Offline,
        destroy: false,
        default_tags: Default::default(),
    };
    let (planned, plan_diags) = plan(&input);
    diags.extend(plan_diags);
    let sources = |p: &Path| config.source(p).map(str::to_owned);
    assert!(
        !diags.has_errors(),
        "examples/{name}:\n{}",
        render_diagnostics(&diags, &sources, false)
    );
    let text = render_plan(&planned, &RenderOptions::default());
    (planned, text)
}

fn adds(plan: &aiu_plan::Plan) -> usize {
    plan.counts().add
}

#[test]
fn single_role_plans_offline() {
    let (plan, text) = plan_example("single-role");
    assert_eq!(adds(&plan), 5, "{text}");
    assert!(
        text.contains("# aws_iam_instance_profile.app will be created"),
        "{text}"
    );
    assert!(
        text.contains("Plan: 5 to add, 0 to change, 0 to destroy."),
        "{text}"
    );
    assert!(
        plan_json(&plan)["resource_changes"]
            .as_array()
            .unwrap()
            .len()
            >= 5
    );
}

#[test]
fn for_each_roles_plans_offline() {
    let (plan, text) = plan_example("for-each-roles");
    // 3 roles, 1 shared policy, 3 shared attachments, 1 read-only attachment.
    assert_eq!(adds(&plan), 8, "{text}");
    for key in ["api", "batch", "worker"] {
        assert!(
            text.contains(&format!(
                "# aws_iam_role.service[\"{key}\"] will be created"
            )),
            "{text}"
        );
    }
    assert!(
        text.contains("# aws_iam_role_policy_attachment.shared[2] will be created"),
        "{text}"
    );
}

#[test]
fn ai_unlimited_plans_offline_with_defaults() {
    let (plan, text) = plan_example("ai-unlimited");
    // manager role, workspaces policy + attachment, session policy + attachment, instance
    // profile, engine role + inline policy.
    assert_eq!(adds(&plan), 8, "{text}");
    for needle in [
        "# aws_iam_role.manager[0] will be created",
        "# aws_iam_role.engine will be created",
        "# aws_iam_role_policy.engine_secrets[0] will be created",
        "# aws_iam_instance_profile.manager will be created",
        "\"iam:CreateRole\"",
        "\"route53:GetChange\"",
        "\"ec2messages:SendReply\"",
    ] {
        assert!(text.contains(needle), "missing {needle}:\n{text}");
    }
}

#[test]
fn ai_unlimited_with_an_existing_manager_role() {
    let (plan, text) = plan_example_with(
        "ai-unlimited",
        &[
            "create_manager_role=false",
            "existing_manager_role_name=my-manager",
            "include_session_manager=false",
        ],
    );
    // workspaces policy + attachment, instance profile, engine role + inline policy.
    assert_eq!(adds(&plan), 5, "{text}");
    assert!(!text.contains("aws_iam_role.manager[0]"), "{text}");
    assert!(!text.contains("\"iam:CreateRole\""), "{text}");
    assert!(text.contains("\"iam:PutRolePolicy\""), "{text}");
    assert!(
        text.contains("ai-unlimited-workspaces-without-iam-role-permissions"),
        "{text}"
    );
}
