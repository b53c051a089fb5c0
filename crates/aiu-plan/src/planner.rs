//! The planner: walks the configuration's dependency graph in order, evaluates every block with
//! the values known so far, and compares each resource instance with the prior state.
//!
//! Values of resources that already exist (and are not replaced) come from the prior state, so
//! computed attributes such as `arn` are known in plans after the first apply; values of objects
//! still to be created are `Unknown` ("known after apply").

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aiu_config::{Config, NodeId, ResourceBlock};
use aiu_graph::Dag;
use aiu_lang::EvalContext;
use aiu_model::{
    Diagnostic, Diagnostics, InstanceAddress, InstanceKey, Presence, ResourceAddress, ResourceMode,
    ResourceSchema, Span, Value,
};
use aiu_state::State;

use crate::compare::attribute_changed;
use crate::model::{Action, ChangeReason, OutputChange, Plan, ResourceChange};

/// Reads data sources that need the cloud (everything but `aws_iam_policy_document`) and looks
/// up objects to import. Implemented by the engine over a provider; offline planning passes
/// [`Offline`].
pub trait DataSourceReader {
    /// `Ok(None)` when the value cannot be read now (offline): it is planned as unknown.
    fn read(&self, type_name: &str, args: &Value) -> Result<Option<Value>, String>;

    /// Looks up an object for an `import` block. `Ok(None)` when offline or not found.
    fn import(&self, type_name: &str, id: &str) -> Result<Option<Value>, String>;

    /// Whether this reader can reach the cloud (decides the offline warning).
    fn is_online(&self) -> bool;
}

/// A reader for `--offline`: nothing can be read.
pub struct Offline;

impl DataSourceReader for Offline {
    fn read(&self, _: &str, _: &Value) -> Result<Option<Value>, String> {
        Ok(None)
    }
    fn import(&self, _: &str, _: &str) -> Result<Option<Value>, String> {
        Ok(None)
    }
    fn is_online(&self) -> bool {
        false
    }
}

/// What a plan is made from.
pub struct PlanInput<'a> {
    pub config: &'a Config,
    /// Resolved input variables (`aiu_config::resolve_variables`).
    pub variables: &'a BTreeMap<String, Value>,
    /// The prior state, already refreshed when refresh ran.
    pub prior: &'a State,
    pub reader: &'a dyn DataSourceReader,
    /// `plan -destroy`: every managed instance in state is deleted.
    pub destroy: bool,
    /// Tags from `provider "aws" { default_tags { tags = ... } }`, merged into `tags_all`.
    pub default_tags: BTreeMap<String, String>,
}

/// Builds the dependency graph of a configuration. Cycles are reported by the caller via
/// [`Dag::cycles`].
pub fn dependency_graph(config: &Config) -> Dag<NodeId> {
    let mut dag = Dag::new();
    let mut nodes: Vec<NodeId> = Vec::new();
    nodes.extend(
        config
            .variables
            .iter()
            .map(|v| NodeId::Variable(v.name.clone())),
    );
    nodes.extend(config.locals.iter().map(|l| NodeId::Local(l.name.clone())));
    nodes.extend(
        config
            .resources
            .iter()
            .map(|r| NodeId::Resource(r.addr.clone())),
    );
    nodes.extend(
        config
            .outputs
            .iter()
            .map(|o| NodeId::Output(o.name.clone())),
    );
    for node in &nodes {
        dag.add_node(node.clone());
    }
    for node in &nodes {
        for dep in config.dependencies(node) {
            dag.add_edge(node.clone(), dep);
        }
    }
    dag
}

/// Sets `root.a.b.c = value` for `path = [a, b, c]`, creating objects on the way.
fn insert_path(root: &mut BTreeMap<String, Value>, path: &[&str], value: Value) {
    let Some((last, init)) = path.split_last() else {
        return;
    };
    let mut table = root;
    for key in init {
        let entry = table
            .entry((*key).to_owned())
            .or_insert_with(|| Value::Object(BTreeMap::new()));
        let Value::Object(inner) = entry else { return };
        table = inner;
    }
    table.insert((*last).to_owned(), value);
}

/// Plans a configuration against a prior state. Never panics; every problem is a diagnostic.
pub fn plan(input: &PlanInput<'_>) -> (Plan, Diagnostics) {
    Planner::new(input).run()
}

struct Planner<'a> {
    input: &'a PlanInput<'a>,
    diags: Diagnostics,
    /// Names visible to every expression: `path`, `terraform`.
    base_root: BTreeMap<String, Value>,
    /// The value of every local and resource evaluated so far (a resource's value is an object,
    /// or a list for `count`, or an object of instances for `for_each`).
    values: HashMap<NodeId, Value>,
    /// Each node's direct dependencies: an expression sees only what its node references, so
    /// building its context costs what it uses, not the size of the whole configuration.
    direct_deps: HashMap<NodeId, Vec<NodeId>>,
    /// Resource blocks by address (the config's own lookup is linear).
    blocks: HashMap<ResourceAddress, &'a ResourceBlock>,
    changes: Vec<ResourceChange>,
    /// Prior instances by address (the state's own lookup is linear), and by resource.
    prior: HashMap<InstanceAddress, (Value, Vec<String>)>,
    prior_by_resource: HashMap<ResourceAddress, Vec<InstanceAddress>>,
    /// Managed resource dependencies (transitive through locals, variables and data), by node.
    resource_deps: HashMap<NodeId, BTreeSet<String>>,
    /// Data sources that could not be read offline, for one warning.
    unread_data: Vec<String>,
    /// Import ids by target instance, with the span of their import block.
    import_ids: HashMap<InstanceAddress, (String, Span)>,
}

impl<'a> Planner<'a> {
    fn new(input: &'a PlanInput<'a>) -> Self {
        let prior = input
            .prior
            .instances()
            .map(|(addr, inst)| (addr, (inst.value(), inst.dependencies.clone())))
            .collect::<HashMap<InstanceAddress, (Value, Vec<String>)>>();
        let mut prior_by_resource: HashMap<ResourceAddress, Vec<InstanceAddress>> = HashMap::new();
        for addr in prior.keys() {
            prior_by_resource
                .entry(addr.resource.clone())
                .or_default()
                .push(addr.clone());
        }
        for list in prior_by_resource.values_mut() {
            list.sort();
        }
        Planner {
            input,
            diags: Diagnostics::new(),
            base_root: BTreeMap::new(),
            values: HashMap::new(),
            direct_deps: HashMap::new(),
            blocks: input
                .config
                .resources
                .iter()
                .map(|r| (r.addr.clone(), r))
                .collect(),
            changes: Vec::new(),
            prior,
            prior_by_resource,
            resource_deps: HashMap::new(),
            unread_data: Vec::new(),
            import_ids: HashMap::new(),
        }
    }

    fn config(&self) -> &'a Config {
        self.input.config
    }

    fn run(mut self) -> (Plan, Diagnostics) {
        let config = self.config();
        let dir = config.dir.display().to_string();
        self.base_root.insert(
            "path".into(),
            Value::object([
                ("module", Value::from(dir.clone())),
                ("root", Value::from(dir.clone())),
                ("cwd", Value::from(dir)),
            ]),
        );
        self.base_root.insert(
            "terraform".into(),
            Value::object([("workspace", Value::from("default"))]),
        );
        for (name, value) in self.input.variables {
            self.values
                .insert(NodeId::Variable(name.clone()), value.clone());
        }

        let dag = dependency_graph(config);
        self.direct_deps = dag
            .nodes()
            .map(|n| (n.clone(), dag.dependencies_of(n)))
            .collect();
        let order = match dag.topological_order() {
            Ok(order) => order,
            Err(_) => {
                for cycle in dag.cycles() {
                    let names: Vec<String> = cycle.iter().map(ToString::to_string).collect();
                    let span = cycle.first().and_then(|n| self.node_span(n));
                    self.diags.push(
                        Diagnostic::error(
                            "Dependency cycle",
                            format!(
                                "These objects refer to each other in a loop: {} -> {}. Break the cycle by removing one of the references (or a `depends_on`).",
                                names.join(" -> "),
                                names[0]
                            ),
                        )
                        .with_span(span),
                    );
                }
                return (Plan::default(), self.diags);
            }
        };
        let mut outputs = Vec::new();
        for node in &order {
            self.record_resource_deps(node, &dag);
            match node {
                NodeId::Variable(_) => {}
                // A destroy plan evaluates nothing but what state holds: locals and data
                // sources may refer to instances that are already gone.
                NodeId::Local(name) if self.input.destroy => {
                    self.values
                        .insert(NodeId::Local(name.clone()), Value::Unknown);
                }
                NodeId::Local(name) => self.plan_local(name),
                NodeId::Resource(addr) => {
                    if let Some(block) = self.blocks.get(addr).copied() {
                        match addr.mode {
                            ResourceMode::Managed => self.plan_resource(block, node),
                            ResourceMode::Data if self.input.destroy => {
                                self.publish_unknown(addr, block)
                            }
                            ResourceMode::Data => self.plan_data(block),
                        }
                    }
                }
                NodeId::Output(name) => {
                    if let Some(change) = self.plan_output(name) {
                        outputs.push(change);
                    }
                }
            }
        }
        self.plan_orphans();
        self.plan_removed_outputs(&mut outputs);
        let access_assertions = if self.input.destroy {
            Vec::new()
        } else {
            self.plan_access_assertions()
        };

        if !self.unread_data.is_empty() && !self.input.reader.is_online() {
            self.unread_data.sort();
            self.diags.push(Diagnostic::warning(
                "Data sources not read (offline)",
                format!(
                    "These data sources need the AWS API and were not read because the plan ran offline; their values show as (known after apply): {}. Run the plan without --offline to read them.",
                    self.unread_data.join(", ")
                ),
            ));
        }

        self.changes.sort_by(|a, b| a.address.cmp(&b.address));
        outputs.sort_by(|a, b| a.name.cmp(&b.name));
        let warnings: Vec<Diagnostic> = self
            .diags
            .iter()
            .filter(|d| !d.is_error())
            .cloned()
            .collect();
        let plan = Plan {
            changes: self.changes,
            outputs,
            drift: Vec::new(),
            diagnostics: Diagnostics(warnings),
            prior_lineage: self.input.prior.lineage.clone(),
            prior_serial: self.input.prior.serial,
            destroy: self.input.destroy,
            access_assertions,
        };
        (plan, self.diags)
    }

    /// Evaluates the arguments of every `assert_access` block with the values of every node.
    fn plan_access_assertions(&mut self) -> Vec<crate::access::PlannedAssertion> {
        let config = self.config();
        if config.checks.iter().all(|c| c.access.is_empty()) {
            return Vec::new();
        }
        let mut root = self.base_root.clone();
        for name in ["var", "local", "data"] {
            root.insert(name.to_owned(), Value::Object(BTreeMap::new()));
        }
        for (node, value) in &self.values {
            let path: Vec<&str> = match node {
                NodeId::Variable(name) => vec!["var", name],
                NodeId::Local(name) => vec!["local", name],
                NodeId::Resource(addr) if addr.mode == ResourceMode::Data => {
                    vec!["data", &addr.type_name, &addr.name]
                }
                NodeId::Resource(addr) => vec![&addr.type_name, &addr.name],
                NodeId::Output(_) => continue,
            };
            insert_path(&mut root, &path, value.clone());
        }
        let ctx = EvalContext {
            root,
            base_dir: config.dir.clone(),
        };
        let mut out = Vec::new();
        for check in &config.checks {
            for a in &check.access {
                let source = config.source(&a.span.file);
                if let Some(p) =
                    crate::access::plan_assertion(check, a, &ctx, source, &mut self.diags)
                {
                    out.push(p);
                }
            }
        }
        out
    }

    fn node_span(&self, node: &NodeId) -> Option<aiu_model::Span> {
        let config = self.config();
        match node {
            NodeId::Variable(n) => config.variable(n).map(|v| v.span.clone()),
            NodeId::Local(n) => config.local(n).map(|l| l.expr.span.clone()),
            NodeId::Resource(a) => config.resource(a).map(|r| r.span.clone()),
            NodeId::Output(n) => config.output(n).map(|o| o.span.clone()),
        }
    }

    /// The managed resources a node depends on, directly or through locals, variables and data
    /// sources: the edges of the apply graph.
    fn record_resource_deps(&mut self, node: &NodeId, dag: &Dag<NodeId>) {
        let mut deps = BTreeSet::new();
        for dep in dag.dependencies_of(node) {
            match &dep {
                NodeId::Resource(addr) if addr.mode == ResourceMode::Managed => {
                    deps.insert(addr.to_string());
                }
                other => {
                    if let Some(inner) = self.resource_deps.get(other) {
                        deps.extend(inner.iter().cloned());
                    }
                }
            }
        }
        self.resource_deps.insert(node.clone(), deps);
    }

    /// The context for one node's expressions: `path`, `terraform`, and exactly the variables,
    /// locals, data sources and resources the node references.
    fn eval_context(
        &self,
        node: Option<&NodeId>,
        each: Option<&aiu_config::EachOrCount>,
    ) -> EvalContext {
        let mut root = self.base_root.clone();
        let mut insert = |path: &[&str], value: Value| {
            let mut table = &mut root;
            for key in &path[..path.len() - 1] {
                let entry = table
                    .entry((*key).to_owned())
                    .or_insert_with(|| Value::Object(BTreeMap::new()));
                let Value::Object(inner) = entry else { return };
                table = inner;
            }
            table.insert(path[path.len() - 1].to_owned(), value);
        };
        for dep in node
            .and_then(|n| self.direct_deps.get(n))
            .into_iter()
            .flatten()
        {
            let value = self.values.get(dep).cloned().unwrap_or(Value::Unknown);
            match dep {
                NodeId::Variable(name) => insert(&["var", name], value),
                NodeId::Local(name) => insert(&["local", name], value),
                NodeId::Resource(addr) if addr.mode == ResourceMode::Data => {
                    insert(&["data", &addr.type_name, &addr.name], value)
                }
                NodeId::Resource(addr) => insert(&[&addr.type_name, &addr.name], value),
                NodeId::Output(_) => {}
            }
        }
        for name in ["var", "local", "data"] {
            root.entry(name.to_owned())
                .or_insert_with(|| Value::Object(BTreeMap::new()));
        }
        let mut ctx = EvalContext {
            root,
            base_dir: self.config().dir.clone(),
        };
        if let Some(each) = each {
            each.bind(&mut ctx);
        }
        ctx
    }

    fn plan_local(&mut self, name: &str) {
        let Some(local) = self.config().local(name) else {
            return;
        };
        let value = match aiu_lang::eval(
            &local.expr.expr,
            &self.eval_context(Some(&NodeId::Local(name.to_owned())), None),
        ) {
            Ok(v) => v,
            Err(e) => {
                self.diags.push(
                    Diagnostic::error(e.summary, e.detail).with_span(Some(local.expr.span.clone())),
                );
                Value::Unknown
            }
        };
        self.values.insert(NodeId::Local(name.to_owned()), value);
    }

    fn plan_output(&mut self, name: &str) -> Option<OutputChange> {
        let output = self.config().output(name)?;
        let after = if self.input.destroy {
            None
        } else {
            match aiu_lang::eval(
                &output.value.expr,
                &self.eval_context(Some(&NodeId::Output(name.to_owned())), None),
            ) {
                Ok(v) => Some(v),
                Err(e) => {
                    self.diags.push(
                        Diagnostic::error(e.summary, e.detail)
                            .with_span(Some(output.value.span.clone())),
                    );
                    return None;
                }
            }
        };
        let before = self
            .input
            .prior
            .outputs
            .get(name)
            .map(|o| Value::from_json(&o.value));
        let action = match (&before, &after) {
            (None, Some(_)) => Action::Create,
            (Some(_), None) => Action::Delete,
            (Some(b), Some(a)) if b != a => Action::Update,
            _ => Action::NoOp,
        };
        Some(OutputChange {
            name: name.to_owned(),
            action,
            before,
            after,
            sensitive: output.sensitive,
        })
    }

    fn plan_removed_outputs(&mut self, outputs: &mut Vec<OutputChange>) {
        for (name, prior) in &self.input.prior.outputs {
            if self.config().output(name).is_none() {
                outputs.push(OutputChange {
                    name: name.clone(),
                    action: Action::Delete,
                    before: Some(Value::from_json(&prior.value)),
                    after: None,
                    sensitive: prior.sensitive,
                });
            }
        }
    }

    /// Publishes the values of a resource's instances to expressions: a single object, a list
    /// for `count`, an object for `for_each`.
    fn publish(
        &mut self,
        addr: &ResourceAddress,
        block: &ResourceBlock,
        instances: Vec<(InstanceKey, Value)>,
    ) {
        let value = if block.count.is_some() {
            Value::List(instances.into_iter().map(|(_, v)| v).collect())
        } else if block.for_each.is_some() {
            Value::Object(
                instances
                    .into_iter()
                    .map(|(k, v)| match k {
                        InstanceKey::Str(s) => (s, v),
                        other => (other.to_string(), v),
                    })
                    .collect(),
            )
        } else {
            instances
                .into_iter()
                .next()
                .map(|(_, v)| v)
                .unwrap_or(Value::Unknown)
        };
        self.values.insert(NodeId::Resource(addr.clone()), value);
    }

    /// Evaluates the instances of a block: each key with its evaluated arguments.
    fn evaluate_instances(&mut self, block: &ResourceBlock) -> Option<Vec<(InstanceKey, Value)>> {
        let mut ctx = self.eval_context(Some(&NodeId::Resource(block.addr.clone())), None);
        let keys = match aiu_config::expand_instances(block, &ctx) {
            Ok(keys) => keys,
            Err(d) => {
                self.diags.push(d);
                return None;
            }
        };
        let mut out = Vec::with_capacity(keys.len());
        for (key, each) in keys {
            // One context per block; only `count`/`each` change between instances.
            if let Some(each) = &each {
                each.bind(&mut ctx);
            }
            let (value, diags) = aiu_config::evaluate_body(
                &block.body,
                block.schema.attributes,
                block.schema.blocks,
                &ctx,
            );
            let failed = diags.has_errors();
            self.diags.extend(diags);
            if failed {
                return None;
            }
            out.push((key, value));
        }
        Some(out)
    }

    fn plan_data(&mut self, block: &ResourceBlock) {
        let addr = block.addr.clone();
        let Some(instances) = self.evaluate_instances(block) else {
            self.publish_unknown(&addr, block);
            return;
        };
        let mut published = Vec::new();
        for (key, args) in instances {
            let address = addr.instance(key.clone());
            let (value, deferred) = self.read_data(block, &address, args);
            if deferred {
                self.changes.push(ResourceChange {
                    address,
                    action: Action::Read,
                    before: None,
                    after: Some(value.clone()),
                    replace_paths: Vec::new(),
                    reason: Some(ChangeReason::ReadDeferred),
                    dependencies: Vec::new(),
                    import_id: None,
                });
            }
            published.push((key, value));
        }
        self.publish(&addr, block, published);
    }

    fn publish_unknown(&mut self, addr: &ResourceAddress, block: &ResourceBlock) {
        let unknown = if block.count.is_some() || block.for_each.is_some() {
            Value::Unknown
        } else {
            with_unknown_computed(block.schema, Value::Object(BTreeMap::new()))
        };
        self.values.insert(NodeId::Resource(addr.clone()), unknown);
    }

    /// Reads one data source instance. Returns its value and whether the read is deferred to
    /// apply (arguments unknown).
    fn read_data(
        &mut self,
        block: &ResourceBlock,
        address: &InstanceAddress,
        args: Value,
    ) -> (Value, bool) {
        if args.contains_unknown() {
            return (with_unknown_computed(block.schema, args), true);
        }
        if block.addr.type_name == "aws_iam_policy_document" {
            return match aiu_policy::policy_document::build_policy_document(&args) {
                Ok(doc) => {
                    let mut map = args.as_object().cloned().unwrap_or_default();
                    map.insert("id".into(), Value::from(short_digest(&doc.minified_json)));
                    map.insert("json".into(), Value::from(doc.json));
                    map.insert("minified_json".into(), Value::from(doc.minified_json));
                    (Value::Object(map), false)
                }
                Err(e) => {
                    self.diags.push(
                        Diagnostic::error("Invalid policy document", format!("{address}: {e}"))
                            .with_span(Some(block.span.clone())),
                    );
                    (with_unknown_computed(block.schema, args), false)
                }
            };
        }
        match self.input.reader.read(&block.addr.type_name, &args) {
            Ok(Some(value)) => (value, false),
            Ok(None) => {
                self.unread_data.push(address.to_string());
                (with_unknown_computed(block.schema, args), false)
            }
            Err(message) => {
                self.diags.push(
                    Diagnostic::error(
                        "Failed to read data source",
                        format!("{address}: {message}"),
                    )
                    .with_span(Some(block.span.clone())),
                );
                (with_unknown_computed(block.schema, args), false)
            }
        }
    }

    fn plan_resource(&mut self, block: &ResourceBlock, node: &NodeId) {
        let addr = block.addr.clone();
        let dependencies: Vec<String> = self
            .resource_deps
            .get(node)
            .map(|d| d.iter().cloned().collect())
            .unwrap_or_default();
        if self.input.destroy {
            let mut published = Vec::new();
            for (address, (prior, deps)) in self.prior_instances_of(&addr) {
                published.push((address.key.clone(), prior.clone()));
                self.push_delete(
                    address,
                    prior,
                    deps,
                    ChangeReason::DestroyRequested,
                    Some(block),
                );
            }
            self.publish(&addr, block, published);
            return;
        }
        self.evaluate_imports(&addr, node);
        let Some(instances) = self.evaluate_instances(block) else {
            self.publish_unknown(&addr, block);
            return;
        };
        let planned_keys: BTreeSet<InstanceKey> =
            instances.iter().map(|(k, _)| k.clone()).collect();
        self.check_import_targets(&addr, &planned_keys);
        let mut published = Vec::new();
        for (key, config_value) in instances {
            let address = addr.instance(key.clone());
            let change = self.plan_instance(block, address, config_value, dependencies.clone());
            published.push((key, change.after.clone().unwrap_or(Value::Unknown)));
            self.changes.push(change);
        }
        let orphans: Vec<InstanceAddress> = self
            .prior_by_resource
            .get(&addr)
            .into_iter()
            .flatten()
            .filter(|a| !planned_keys.contains(&a.key))
            .cloned()
            .collect();
        for address in orphans {
            if let Some((prior, deps)) = self.prior.get(&address).cloned() {
                self.push_delete(
                    address,
                    prior,
                    deps,
                    ChangeReason::KeyNotInConfig,
                    Some(block),
                );
            }
        }
        self.publish(&addr, block, published);
    }

    /// Evaluates the import blocks into `addr` (their references are dependencies of its node),
    /// one id per instance; with `for_each`, one per element.
    fn evaluate_imports(&mut self, addr: &ResourceAddress, node: &NodeId) {
        let config = self.config();
        for block in config.imports.iter().filter(|i| &i.to.resource == addr) {
            let ctx = self.eval_context(Some(node), None);
            let elements = match &block.for_each {
                None => vec![None],
                Some(e) => match aiu_config::import_for_each(e, &ctx) {
                    Ok(each) => each.into_iter().map(Some).collect(),
                    Err(d) => {
                        self.diags.push(d);
                        continue;
                    }
                },
            };
            for each in elements {
                let mut ctx = ctx.clone();
                if let Some(each) = &each {
                    each.bind(&mut ctx);
                }
                let Some(target) = self.import_target(block, &ctx) else {
                    continue;
                };
                let id = match aiu_lang::eval(&block.id.expr, &ctx) {
                    Ok(Value::String(id)) => id,
                    Ok(other) => {
                        self.diags.push(
                            Diagnostic::error(
                                "Invalid import id",
                                format!(
                                    "The `id` of an import block must be a known string, got {}.",
                                    other.type_name()
                                ),
                            )
                            .with_span(Some(block.id.span.clone())),
                        );
                        continue;
                    }
                    Err(e) => {
                        self.diags.push(
                            Diagnostic::error(e.summary, e.detail)
                                .with_span(Some(block.id.span.clone())),
                        );
                        continue;
                    }
                };
                match self.import_ids.get(&target) {
                    Some((other, _)) => self.diags.push(
                        Diagnostic::error(
                            "Duplicate import configuration",
                            format!("{target} is imported more than once (ids `{other}` and `{id}`). An instance can be the target of one import only: remove the other import."),
                        )
                        .with_span(Some(block.span.clone())),
                    ),
                    _ => {
                        self.import_ids.insert(target, (id, block.span.clone()));
                    }
                }
            }
        }
    }

    /// The instance an import block targets, for one `each` binding.
    fn import_target(
        &mut self,
        block: &aiu_config::ImportBlock,
        ctx: &EvalContext,
    ) -> Option<InstanceAddress> {
        let Some(key_expr) = &block.to_key else {
            return Some(block.to.clone());
        };
        let key = match aiu_lang::eval(&key_expr.expr, ctx) {
            Ok(Value::String(k)) => InstanceKey::Str(k),
            Ok(Value::Number(n)) if n.fract() == 0.0 && n >= 0.0 => InstanceKey::Int(n as i64),
            Ok(other) => {
                self.diags.push(
                    Diagnostic::error(
                        "Invalid import address",
                        format!(
                            "The instance key in `to` must be a string or a whole number, got {}.",
                            other.type_name()
                        ),
                    )
                    .with_span(Some(key_expr.span.clone())),
                );
                return None;
            }
            Err(e) => {
                self.diags.push(
                    Diagnostic::error(e.summary, e.detail).with_span(Some(key_expr.span.clone())),
                );
                return None;
            }
        };
        Some(block.to.resource.instance(key))
    }

    /// Every import target of `addr` must be an instance the configuration declares.
    fn check_import_targets(&mut self, addr: &ResourceAddress, planned: &BTreeSet<InstanceKey>) {
        let mut missing: Vec<(InstanceAddress, Span)> = self
            .import_ids
            .iter()
            .filter(|(a, _)| &a.resource == addr && !planned.contains(&a.key))
            .map(|(a, (_, span))| (a.clone(), span.clone()))
            .collect();
        missing.sort_by(|a, b| a.0.cmp(&b.0));
        for (target, span) in missing {
            let declared: Vec<String> = planned
                .iter()
                .map(|k| addr.instance(k.clone()).to_string())
                .collect();
            self.diags.push(
                Diagnostic::error(
                    "Configuration for import target does not exist",
                    format!(
                        "The configuration has no instance {target} to import into; it declares {}. Import into one of those, or change the resource's count or for_each.",
                        if declared.is_empty() { "no instances".to_owned() } else { declared.join(", ") }
                    ),
                )
                .with_span(Some(span)),
            );
        }
    }

    fn prior_instances_of(
        &self,
        addr: &ResourceAddress,
    ) -> Vec<(InstanceAddress, (Value, Vec<String>))> {
        self.prior_by_resource
            .get(addr)
            .into_iter()
            .flatten()
            .filter_map(|a| self.prior.get(a).map(|v| (a.clone(), v.clone())))
            .collect()
    }

    fn push_delete(
        &mut self,
        address: InstanceAddress,
        prior: Value,
        dependencies: Vec<String>,
        reason: ChangeReason,
        block: Option<&ResourceBlock>,
    ) {
        if let Some(block) = block.filter(|b| b.lifecycle.prevent_destroy) {
            self.diags.push(
                Diagnostic::error(
                    "Instance cannot be destroyed",
                    format!(
                        "{address} has lifecycle.prevent_destroy set, but the plan calls for it to be destroyed. To destroy it, remove prevent_destroy first; to keep it, change the plan (for example keep its key in count/for_each)."
                    ),
                )
                .with_span(Some(block.span.clone())),
            );
        }
        self.changes.push(ResourceChange {
            address,
            action: Action::Delete,
            before: Some(prior),
            after: None,
            replace_paths: Vec::new(),
            reason: Some(reason),
            dependencies,
            import_id: None,
        });
    }

    /// Resources in state whose block is gone from the configuration.
    fn plan_orphans(&mut self) {
        let mut orphans: Vec<(InstanceAddress, (Value, Vec<String>))> = self
            .prior
            .iter()
            .filter(|(a, _)| {
                a.resource.mode == ResourceMode::Managed && !self.blocks.contains_key(&a.resource)
            })
            .map(|(a, v)| (a.clone(), v.clone()))
            .collect();
        orphans.sort_by(|a, b| a.0.cmp(&b.0));
        let reason = if self.input.destroy {
            ChangeReason::DestroyRequested
        } else {
            ChangeReason::NotInConfig
        };
        for (address, (prior, deps)) in orphans {
            self.push_delete(address, prior, deps, reason.clone(), None);
        }
    }

    fn plan_instance(
        &mut self,
        block: &ResourceBlock,
        address: InstanceAddress,
        config_value: Value,
        dependencies: Vec<String>,
    ) -> ResourceChange {
        let schema = block.schema;
        let mut config_value = self.with_tags_all(schema, config_value);
        let mut import_id = None;
        // Each instance is planned once: take its prior value instead of copying it.
        let prior = match self.prior.remove(&address) {
            Some((prior, _)) => Some(prior),
            None => match self.import_ids.get(&address).map(|(id, _)| id.clone()) {
                Some(id) => match self.input.reader.import(&schema.type_name, &id) {
                    Ok(Some(found)) => {
                        import_id = Some(id);
                        Some(found)
                    }
                    Ok(None) if self.input.reader.is_online() => {
                        self.diags.push(Diagnostic::error(
                            "Cannot import non-existent remote object",
                            format!("The import block for {address} names id `{id}`, which does not exist in the account. Check the id, or remove the import block to create the object instead."),
                        ));
                        None
                    }
                    Ok(None) => {
                        import_id = Some(id);
                        None
                    }
                    Err(message) => {
                        self.diags.push(Diagnostic::error(
                            "Import failed",
                            format!("{address}: {message}"),
                        ));
                        None
                    }
                },
                None => None,
            },
        };
        let Some(prior) = prior else {
            let after = with_unknown_computed(schema, config_value);
            return ResourceChange {
                address,
                action: if import_id.is_some() {
                    Action::Import
                } else {
                    Action::Create
                },
                before: None,
                after: Some(after),
                replace_paths: Vec::new(),
                reason: None,
                dependencies,
                import_id,
            };
        };

        // Attributes the config leaves to the provider keep their prior value.
        let ignore = &block.lifecycle.ignore_changes;
        let mut replace_paths = Vec::new();
        let mut changed = false;
        if let Value::Object(cfg) = &mut config_value {
            for attr in schema.attributes {
                if attr.presence == Presence::Computed {
                    continue;
                }
                let prior_attr = prior.get(attr.name).cloned().unwrap_or(Value::Null);
                let keep_prior = ignore.ignores(attr.name)
                    || (attr.presence == Presence::OptionalComputed
                        && cfg.get(attr.name).is_none_or(Value::is_null))
                    || (attr.name == "name_prefix"
                        && cfg.get("name").is_some_and(|n| !n.is_null()));
                if keep_prior {
                    cfg.insert(attr.name.to_owned(), prior_attr);
                    continue;
                }
                let wanted = cfg.get(attr.name).cloned().unwrap_or(Value::Null);
                if attribute_changed(attr.ty, &prior_attr, &wanted) {
                    changed = true;
                    if attr.force_new {
                        replace_paths.push(attr.name.to_owned());
                    }
                } else {
                    // Equivalent: keep exactly what was applied (no perpetual diff).
                    cfg.insert(attr.name.to_owned(), prior_attr);
                }
            }
        }
        let (action, after, reason) = if !replace_paths.is_empty() {
            // A replaced object gets new computed values, and a new generated name.
            let mut fresh = config_value;
            if let Value::Object(map) = &mut fresh {
                if block.body.attributes.get("name").is_none() {
                    map.insert("name".into(), Value::Unknown);
                }
            }
            (
                Action::Replace,
                with_unknown_computed(schema, fresh),
                Some(ChangeReason::ReplaceAttributes),
            )
        } else {
            let mut merged = prior.as_object().cloned().unwrap_or_default();
            if let Value::Object(cfg) = config_value {
                merged.extend(cfg);
            }
            let action = match (changed, import_id.is_some()) {
                (true, _) => Action::Update,
                (false, true) => Action::Import,
                (false, false) => Action::NoOp,
            };
            (action, Value::Object(merged), None)
        };
        if action == Action::Replace {
            if block.lifecycle.prevent_destroy {
                self.diags.push(
                    Diagnostic::error(
                        "Instance cannot be destroyed",
                        format!("{address} must be replaced (changed: {}), but lifecycle.prevent_destroy is set. Revert those arguments or remove prevent_destroy.", replace_paths.join(", ")),
                    )
                    .with_span(Some(block.span.clone())),
                );
            }
        }
        ResourceChange {
            address,
            action,
            before: Some(prior),
            after: Some(after),
            replace_paths,
            reason,
            dependencies,
            import_id,
        }
    }

    /// `tags_all` = provider default tags merged with the resource's own tags.
    fn with_tags_all(&self, schema: &ResourceSchema, value: Value) -> Value {
        if schema.attribute("tags_all").is_none() {
            return value;
        }
        let Value::Object(mut map) = value else {
            return value;
        };
        let tags = map.get("tags").cloned().unwrap_or(Value::Null);
        let tags_all = match tags {
            Value::Unknown => Value::Unknown,
            Value::Object(own) => {
                let mut all: BTreeMap<String, Value> = self
                    .input
                    .default_tags
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                    .collect();
                all.extend(own);
                Value::Object(all)
            }
            _ => Value::Object(
                self.input
                    .default_tags
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.clone())))
                    .collect(),
            ),
        };
        map.insert("tags_all".into(), tags_all);
        Value::Object(map)
    }
}

/// Adds every computed attribute the value lacks, as unknown.
pub fn with_unknown_computed(schema: &ResourceSchema, value: Value) -> Value {
    let mut map = match value {
        Value::Object(map) => map,
        _ => BTreeMap::new(),
    };
    for attr in schema.attributes {
        let missing = map.get(attr.name).is_none_or(Value::is_null);
        if missing
            && matches!(
                attr.presence,
                Presence::Computed | Presence::OptionalComputed
            )
            && attr.name != "tags_all"
        {
            map.insert(attr.name.to_owned(), Value::Unknown);
        }
    }
    Value::Object(map)
}

/// A short stable digest used as the `id` of local data sources.
fn short_digest(text: &str) -> String {
    // FNV-1a: stable across runs and platforms, no dependency needed for an identifier.
    let mut hash: u64 = 0xcbf29ce484222325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x100000001b3);
    }
    format!("{hash}")
}
