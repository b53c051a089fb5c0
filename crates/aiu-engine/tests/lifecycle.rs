//! Lifecycle tests of plan + apply against the in-memory IAM double: apply converges, failures
//! and interruptions lose nothing and create nothing twice, replacements and destroys happen in
//! an order IAM accepts.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use aiu_engine::{ApplyEvent, ApplyOptions, ApplyReport, Persist};
use aiu_plan::{Plan, PlanInput};
use aiu_provider::memory::{Faults, MemoryIam};
use aiu_provider::{ErrorKind, Provider};
use aiu_state::State;

const CONFIG: &str = r#"
variable "role_name" {
  default = "app"
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "app" {
  name               = var.role_name
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

resource "aws_iam_policy" "logs" {
  name   = "logs"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "logs:PutLogEvents", Resource = "*" }] })
}

resource "aws_iam_role_policy_attachment" "logs" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.logs.arn
}

resource "aws_iam_instance_profile" "app" {
  name = aws_iam_role.app.name
  role = aws_iam_role.app.name
}
"#;

struct Fixture {
    dir: tempfile::TempDir,
    iam: Arc<MemoryIam>,
}

impl Fixture {
    fn new(config: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), config).unwrap();
        Fixture {
            dir,
            iam: Arc::new(MemoryIam::new()),
        }
    }

    fn set_config(&self, config: &str) {
        std::fs::write(self.dir.path().join("main.tf"), config).unwrap();
    }

    fn plan(&self, state: &State, destroy: bool) -> Plan {
        plan_in(self.dir.path(), self.iam.as_ref(), state, destroy)
    }

    /// Refresh + plan + apply, like `aiu apply -auto-approve`.
    async fn apply(&self, state: State, destroy: bool) -> (ApplyReport, State, Vec<String>) {
        self.apply_with_stop(state, destroy, None).await
    }

    /// Like [`Fixture::apply`]; with `stop_after = Some(n)` the stop flag (Ctrl-C) is raised
    /// when the n-th operation completes.
    async fn apply_with_stop(
        &self,
        state: State,
        destroy: bool,
        stop_after: Option<usize>,
    ) -> (ApplyReport, State, Vec<String>) {
        let refreshed = aiu_engine::refresh(self.iam.as_ref(), &state).await;
        assert!(
            refreshed.diagnostics.is_empty(),
            "{:?}",
            refreshed.diagnostics
        );
        let state = refreshed.state;
        let plan = self.plan(&state, destroy);
        let saved: Arc<Mutex<Vec<State>>> = Arc::default();
        let persist: Persist = {
            let saved = saved.clone();
            Arc::new(move |s: &mut State| {
                s.serial += 1;
                s.check_integrity().map_err(|e| e.to_string())?;
                saved.lock().unwrap().push(s.clone());
                Ok(())
            })
        };
        let events: Arc<Mutex<Vec<String>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let on_event = {
            let events = events.clone();
            let stop = stop.clone();
            Arc::new(move |e: ApplyEvent| {
                if let ApplyEvent::Completed { address, verb, .. } = e {
                    let mut events = events.lock().unwrap();
                    events.push(format!("{} {address}", verb.done()));
                    if stop_after.is_some_and(|n| events.len() >= n) {
                        stop.store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                }
            })
        };
        let dir = self.dir.path().to_owned();
        let iam = self.iam.clone();
        let mut replan = move |s: &State| Ok(plan_in(&dir, iam.as_ref(), s, destroy));
        let options = ApplyOptions {
            parallelism: 4,
            stop,
        };
        let provider: Arc<dyn Provider> = self.iam.clone();
        let (report, state) = aiu_engine::apply(
            provider,
            &plan,
            state,
            persist,
            &mut replan,
            &options,
            on_event,
        )
        .await;
        let events = events.lock().unwrap().clone();
        (report, state, events)
    }

    fn count(&self, type_name: &str) -> usize {
        self.iam.objects(type_name).len()
    }
}

fn plan_in(dir: &Path, iam: &dyn Provider, state: &State, destroy: bool) -> Plan {
    let (config, diags) = aiu_config::load_dir(dir);
    assert!(!diags.has_errors(), "{diags:?}");
    let (variables, diags) =
        aiu_config::resolve_variables(&config, &aiu_config::VarInputs::default());
    assert!(!diags.has_errors(), "{diags:?}");
    let reader = aiu_engine::ProviderReader { provider: iam };
    let input = PlanInput {
        config: &config,
        variables: &variables,
        prior: state,
        reader: &reader,
        destroy,
        default_tags: BTreeMap::new(),
    };
    let (plan, diags) = aiu_plan::plan(&input);
    assert!(!diags.has_errors(), "{diags:?}");
    plan
}

fn addresses(state: &State) -> Vec<String> {
    state.instances().map(|(a, _)| a.to_string()).collect()
}

/// Applies again without faults: it must succeed, record every object and leave exactly one
/// of each in IAM (nothing created twice).
async fn apply_converges_with_one_of_each(f: &Fixture, state: State) -> State {
    let (report, state, _) = f.apply(state, false).await;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(addresses(&state), ALL);
    for t in TYPES {
        assert_eq!(f.count(t), 1, "exactly one {t} exists");
    }
    state
}

/// The resource types of CONFIG, one object each.
const TYPES: [&str; 4] = [
    "aws_iam_role",
    "aws_iam_policy",
    "aws_iam_role_policy_attachment",
    "aws_iam_instance_profile",
];

const ALL: [&str; 4] = [
    "aws_iam_instance_profile.app",
    "aws_iam_policy.logs",
    "aws_iam_role.app",
    "aws_iam_role_policy_attachment.logs",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_creates_everything_and_a_second_plan_has_no_changes() {
    let f = Fixture::new(CONFIG);
    let (report, state, _) = f.apply(State::new(), false).await;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.counts.added, 4);
    assert_eq!(addresses(&state), ALL);
    assert!(state.pending.is_empty());
    let again = f.plan(&state, false);
    assert!(!again.has_changes(), "{:?}", again.changes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_call_keeps_what_succeeded_and_the_next_apply_converges_without_duplicates() {
    let f = Fixture::new(CONFIG);
    // The first wave creates the role and the policy (2 calls); fail the policy or the role.
    f.iam.set_faults(Faults {
        fail_calls: [2].into(),
        fail_kind: Some(ErrorKind::Throttled),
        ..Faults::default()
    });
    let (report, state, _) = f.apply(State::new(), false).await;
    assert_eq!(report.failures.len(), 1, "{:?}", report.failures);
    assert_eq!(
        state.instances().count(),
        1,
        "only the call that succeeded is recorded: {:?}",
        addresses(&state)
    );
    assert!(
        state.pending.is_empty(),
        "a failed create leaves no pending record"
    );

    f.iam.set_faults(Faults::default());
    let state = apply_converges_with_one_of_each(&f, state).await;
    assert!(!f.plan(&state, false).has_changes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_apply_is_finished_by_the_next_one() {
    let f = Fixture::new(CONFIG);
    // After 3 successful calls the "network" goes away, as if the process had lost its link.
    f.iam.set_faults(Faults {
        stop_after: Some(3),
        ..Faults::default()
    });
    let (report, state, _) = f.apply(State::new(), false).await;
    assert!(!report.failures.is_empty());
    assert_eq!(state.instances().count(), 3);

    f.iam.set_faults(Faults::default());
    let (report, state, _) = f.apply(state, false).await;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(addresses(&state), ALL);
    assert_eq!(f.count("aws_iam_role_policy_attachment"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renaming_a_role_detaches_before_deleting_and_reattaches_after_creating() {
    let f = Fixture::new(CONFIG);
    let (_, state, _) = f.apply(State::new(), false).await;
    f.set_config(&CONFIG.replace("default = \"app\"", "default = \"app2\""));
    let plan = f.plan(&state, false);
    let role = plan
        .changes
        .iter()
        .find(|c| c.address.to_string() == "aws_iam_role.app")
        .unwrap();
    assert_eq!(role.action, aiu_plan::Action::Replace);
    assert_eq!(role.replace_paths, ["name"]);

    // MemoryIam refuses to delete a role that still has attachments, like IAM.
    let (report, state, events) = f.apply(state, false).await;
    assert!(
        report.failures.is_empty(),
        "{:?}\n{events:?}",
        report.failures
    );
    let pos = |e: &str| {
        events
            .iter()
            .position(|x| x == e)
            .unwrap_or_else(|| panic!("{e} missing from {events:?}"))
    };
    assert!(
        pos("Destruction complete aws_iam_role_policy_attachment.logs")
            < pos("Destruction complete aws_iam_role.app")
    );
    assert!(
        pos("Creation complete aws_iam_role.app")
            < pos("Creation complete aws_iam_role_policy_attachment.logs")
    );
    let roles = f.iam.objects("aws_iam_role");
    assert_eq!(roles.keys().collect::<Vec<_>>(), ["app2"]);
    assert!(!f.plan(&state, false).has_changes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_removes_everything_dependents_first() {
    let f = Fixture::new(CONFIG);
    let (_, state, _) = f.apply(State::new(), false).await;
    let (report, state, events) = f.apply(state, true).await;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.counts.destroyed, 4);
    assert!(addresses(&state).is_empty());
    for t in TYPES {
        assert_eq!(f.count(t), 0, "{t} left behind");
    }
    let pos = |e: &str| events.iter().position(|x| x == e).unwrap();
    assert!(
        pos("Destruction complete aws_iam_role_policy_attachment.logs")
            < pos("Destruction complete aws_iam_policy.logs")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_deleted_outside_aiu_are_recreated() {
    let f = Fixture::new(CONFIG);
    let (_, state, _) = f.apply(State::new(), false).await;
    assert!(f.iam.delete_out_of_band("aws_iam_instance_profile", "app"));
    let refreshed = aiu_engine::refresh(f.iam.as_ref(), &state).await;
    assert_eq!(refreshed.drift.len(), 1);
    assert!(refreshed.drift[0].after.is_none());
    let plan = f.plan(&refreshed.state, false);
    let profile = plan
        .changes
        .iter()
        .find(|c| c.address.to_string() == "aws_iam_instance_profile.app")
        .unwrap();
    assert_eq!(profile.action, aiu_plan::Action::Create);
    let (report, _, _) = f.apply(state, false).await;
    assert_eq!(report.counts.added, 1);
    assert_eq!(f.count("aws_iam_instance_profile"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_in_an_argument_is_reported_and_planned_back() {
    let f = Fixture::new(CONFIG);
    let (_, state, _) = f.apply(State::new(), false).await;
    assert!(f.iam.edit_out_of_band(
        "aws_iam_role",
        "app",
        "description",
        "changed by hand".into()
    ));
    let refreshed = aiu_engine::refresh(f.iam.as_ref(), &state).await;
    assert_eq!(refreshed.drift.len(), 1);
    let plan = f.plan(&refreshed.state, false);
    let role = plan
        .changes
        .iter()
        .find(|c| c.address.to_string() == "aws_iam_role.app")
        .unwrap();
    assert_eq!(role.action, aiu_plan::Action::Update);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_that_happened_before_a_crash_is_adopted_and_one_that_did_not_is_dropped() {
    use aiu_state::{PendingOperation, PendingOperationKind};
    let f = Fixture::new(CONFIG);
    // The role was created in AWS, but the process died before recording it.
    let planned = aiu_model::Value::object([
        ("name", "app".into()),
        ("assume_role_policy", "{}".into()),
        ("arn", aiu_model::Value::Unknown),
        ("id", aiu_model::Value::Unknown),
    ]);
    f.iam.create("aws_iam_role", &planned).await.unwrap();
    let mut state = State::new();
    let attrs = |v: &aiu_model::Value| match v.to_json() {
        serde_json::Value::Object(m) => m,
        _ => unreachable!(),
    };
    state.add_pending(
        PendingOperation::started_now(
            "aws_iam_role.app".parse().unwrap(),
            PendingOperationKind::Create,
            Some("app".into()),
        )
        .with_planned(attrs(&planned), vec![]),
    );
    let never = aiu_model::Value::object([
        ("name", "logs".into()),
        ("path", "/".into()),
        ("policy", "{}".into()),
    ]);
    state.add_pending(
        PendingOperation::started_now(
            "aws_iam_policy.logs".parse().unwrap(),
            PendingOperationKind::Create,
            Some("logs".into()),
        )
        .with_planned(attrs(&never), vec![]),
    );

    let (resolved, done) = aiu_engine::resolve_pending(f.iam.as_ref(), &state)
        .await
        .unwrap();
    // Pending records are resolved in address order.
    assert_eq!(
        done,
        [
            aiu_engine::Resolution::Dropped("aws_iam_policy.logs".into()),
            aiu_engine::Resolution::Adopted("aws_iam_role.app".into())
        ]
    );
    assert!(resolved.pending.is_empty());
    assert_eq!(addresses(&resolved), ["aws_iam_role.app"]);

    // The next apply creates the rest and does not create the role again.
    let (report, state, _) = f.apply(resolved, false).await;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(addresses(&state), ALL);
    assert_eq!(f.count("aws_iam_role"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_new_operations_saves_what_completed_and_the_next_apply_finishes() {
    let f = Fixture::new(CONFIG);
    // Slow calls, so the stop flag is raised while work remains.
    f.iam.set_faults(Faults {
        delay: Some(std::time::Duration::from_millis(20)),
        ..Faults::default()
    });
    let (report, state, events) = f.apply_with_stop(State::new(), false, Some(1)).await;
    assert!(report.interrupted, "{report:?}");
    assert!(
        report.failures.is_empty(),
        "an interruption is not a failure: {:?}",
        report.failures
    );
    assert!(
        !events.is_empty() && events.len() < 4,
        "some but not all operations ran: {events:?}"
    );
    assert_eq!(
        state.instances().count(),
        events.len(),
        "every completed operation is in state"
    );
    assert!(state.pending.is_empty(), "no create is left half-recorded");

    f.iam.set_faults(Faults::default());
    apply_converges_with_one_of_each(&f, state).await;
}

/// Delegates to the in-memory IAM and, before every create, checks that the last state saved
/// holds that create's pending record (same planned attributes). A create whose record was not
/// saved yet would be orphaned by a crash at that moment.
struct SavedBeforeCreate {
    iam: Arc<MemoryIam>,
    saved: Arc<Mutex<Vec<State>>>,
    creates: Mutex<usize>,
    unsaved: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl Provider for SavedBeforeCreate {
    async fn caller_identity(
        &self,
    ) -> Result<aiu_provider::CallerIdentity, aiu_provider::ProviderError> {
        self.iam.caller_identity().await
    }
    fn region(&self) -> String {
        self.iam.region()
    }
    async fn read_data_source(
        &self,
        t: &str,
        args: &aiu_model::Value,
    ) -> Result<aiu_model::Value, aiu_provider::ProviderError> {
        self.iam.read_data_source(t, args).await
    }
    async fn refresh(
        &self,
        items: &[aiu_provider::RefreshItem],
    ) -> Result<
        Vec<Result<Option<aiu_model::Value>, aiu_provider::ProviderError>>,
        aiu_provider::ProviderError,
    > {
        self.iam.refresh(items).await
    }
    async fn create(
        &self,
        t: &str,
        planned: &aiu_model::Value,
    ) -> Result<aiu_model::Value, aiu_provider::ProviderError> {
        let sent = match planned.to_json() {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        let recorded = self.saved.lock().unwrap().last().is_some_and(|s| {
            s.pending
                .iter()
                .any(|p| p.planned_attributes.as_ref() == Some(&sent))
        });
        if !recorded {
            self.unsaved.lock().unwrap().push(format!(
                "{t} {}",
                planned
                    .get("name")
                    .and_then(aiu_model::Value::as_str)
                    .unwrap_or("")
            ));
        }
        *self.creates.lock().unwrap() += 1;
        // Let other creates run meanwhile, as real calls do.
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        self.iam.create(t, planned).await
    }
    async fn update(
        &self,
        t: &str,
        prior: &aiu_model::Value,
        planned: &aiu_model::Value,
    ) -> Result<aiu_model::Value, aiu_provider::ProviderError> {
        self.iam.update(t, prior, planned).await
    }
    async fn delete(
        &self,
        t: &str,
        prior: &aiu_model::Value,
    ) -> Result<(), aiu_provider::ProviderError> {
        self.iam.delete(t, prior).await
    }
    async fn import(
        &self,
        t: &str,
        id: &str,
    ) -> Result<Option<aiu_model::Value>, aiu_provider::ProviderError> {
        self.iam.import(t, id).await
    }
    async fn find_by_name(
        &self,
        t: &str,
        planned: &aiu_model::Value,
    ) -> Result<Option<aiu_model::Value>, aiu_provider::ProviderError> {
        self.iam.find_by_name(t, planned).await
    }
    fn call_counts(&self) -> aiu_provider::CallCounts {
        self.iam.call_counts()
    }
}

/// Applies the fixture's plan from empty through [`SavedBeforeCreate`], with `persist`
/// recording into `saved`; returns the report, the final state and the checking provider.
async fn apply_checking_creates(
    f: &Fixture,
    persist: Persist,
    saved: Arc<Mutex<Vec<State>>>,
    parallelism: usize,
) -> (ApplyReport, State, Arc<SavedBeforeCreate>) {
    let checked = Arc::new(SavedBeforeCreate {
        iam: f.iam.clone(),
        saved,
        creates: Mutex::new(0),
        unsaved: Mutex::new(Vec::new()),
    });
    let plan = f.plan(&State::new(), false);
    let dir = f.dir.path().to_owned();
    let iam = f.iam.clone();
    let mut replan = move |s: &State| Ok(plan_in(&dir, iam.as_ref(), s, false));
    let options = ApplyOptions {
        parallelism,
        stop: Arc::new(AtomicBool::new(false)),
    };
    let provider: Arc<dyn Provider> = checked.clone();
    let (report, state) = aiu_engine::apply(
        provider,
        &plan,
        State::new(),
        persist,
        &mut replan,
        &options,
        Arc::new(|_| {}),
    )
    .await;
    (report, state, checked)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_create_starts_after_its_pending_record_is_saved_and_changes_share_writes() {
    let f = Fixture::new(
        r#"
resource "aws_iam_role" "r" {
  count              = 40
  name               = "r${count.index}"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })
}

resource "aws_iam_instance_profile" "p" {
  count = 40
  name  = "p${count.index}"
  role  = aws_iam_role.r[count.index].name
}
"#,
    );
    let saved: Arc<Mutex<Vec<State>>> = Arc::default();
    let persist: Persist = {
        let saved = saved.clone();
        Arc::new(move |s: &mut State| {
            // A slow disk: writes are what concurrent changes must share.
            std::thread::sleep(std::time::Duration::from_millis(3));
            s.serial += 1;
            s.check_integrity().map_err(|e| e.to_string())?;
            saved.lock().unwrap().push(s.clone());
            Ok(())
        })
    };
    let (report, state, checked) = apply_checking_creates(&f, persist, saved.clone(), 10).await;

    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.counts.added, 80);
    assert_eq!(*checked.creates.lock().unwrap(), 80);
    assert_eq!(
        *checked.unsaved.lock().unwrap(),
        Vec::<String>::new(),
        "creates started before their pending record was saved"
    );
    let saved = saved.lock().unwrap();
    let last = saved.last().expect("state was saved");
    assert_eq!(
        last.instances().count(),
        80,
        "the last write holds every created object"
    );
    assert!(last.pending.is_empty());
    assert_eq!(last, &state, "apply returns the state it saved last");
    // 80 creates = 160 changes (record, then result). Alone each would be one write; at
    // parallelism 10 a write carries up to 10 (measured: 28-29 writes).
    assert!(
        saved.len() <= 64,
        "{} writes for 160 changes at parallelism 10: concurrent changes must share writes",
        saved.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_create_runs_when_its_pending_record_cannot_be_saved() {
    let f = Fixture::new(CONFIG);
    let saved: Arc<Mutex<Vec<State>>> = Arc::default();
    let persist: Persist = Arc::new(|_: &mut State| Err("disk full".to_owned()));
    let (report, state, checked) = apply_checking_creates(&f, persist, saved, 4).await;

    assert_eq!(
        *checked.creates.lock().unwrap(),
        0,
        "a create ran without its pending record on disk"
    );
    assert!(!report.failures.is_empty());
    for failure in &report.failures {
        assert!(
            failure
                .error
                .contains("could not save state before creating"),
            "{}",
            failure.error
        );
        assert!(failure.error.contains("disk full"), "{}", failure.error);
    }
    assert!(
        state.pending.is_empty(),
        "records of creates that never ran are taken back: {:?}",
        state.pending
    );
    assert_eq!(f.count("aws_iam_role"), 0);
}

const COUNTED: &str = r#"
variable "n" {
  default = 300
}

resource "aws_iam_role" "r" {
  count              = var.n
  name               = "r${count.index}"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })
}

resource "aws_iam_policy" "p" {
  count  = var.n
  name   = "p${count.index}"
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:ListBucket", Resource = "*" }] })
}

resource "aws_iam_role_policy_attachment" "a" {
  count      = var.n
  role       = aws_iam_role.r[count.index].name
  policy_arn = aws_iam_policy.p[count.index].arn
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apply_graph_grows_linearly_with_the_instances_of_counted_resources() {
    let f = Fixture::new(COUNTED);
    let (report, state, _) = f.apply(State::new(), false).await;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(state.instances().count(), 900);

    // Destroying: 300 attachments depend on 300 roles and 300 policies. Instance to instance
    // that is 180,000 edges; through one barrier per resource it is 4 x 300.
    let destroy = f.plan(&state, true);
    let ops = aiu_engine::apply::ready_ops(&destroy, &std::collections::BTreeSet::new());
    assert_eq!(
        ops.len(),
        900 + 2,
        "900 deletes and one barrier for each resource attachments depend on"
    );
    assert!(ops.edges().len() <= 4 * 300, "{} edges", ops.edges().len());

    let (report, state, events) = f.apply(state, true).await;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(state.instances().count(), 0);
    assert_eq!(
        f.count("aws_iam_role")
            + f.count("aws_iam_policy")
            + f.count("aws_iam_role_policy_attachment"),
        0
    );
    // Every attachment went before any role or policy.
    let first_role_or_policy = events
        .iter()
        .position(|e| !e.contains("attachment"))
        .unwrap();
    let last_attachment = events
        .iter()
        .rposition(|e| e.contains("attachment"))
        .unwrap();
    assert!(
        last_attachment < first_role_or_policy,
        "a role or policy was deleted while attached"
    );
}
