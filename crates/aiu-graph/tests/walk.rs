//! Walk tests: dependency order, the parallelism bound, failures, reverse walks, stop flag.

use aiu_graph::{Dag, NodeOutcome, NotRunReason, WalkOptions};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn dag(edges: &[(&'static str, &'static str)]) -> Dag<&'static str> {
    let mut d = Dag::new();
    for (a, b) in edges {
        d.add_edge(*a, *b);
    }
    d
}

/// Index of `n` in `log`.
fn pos(log: &[&str], n: &str) -> usize {
    log.iter()
        .position(|x| *x == n)
        .unwrap_or_else(|| panic!("{n} not in {log:?}"))
}

#[tokio::test]
async fn walk_runs_each_node_once_after_its_dependencies() {
    let d = dag(&[
        ("att", "role"),
        ("att", "pol"),
        ("role", "doc"),
        ("user", "doc"),
        ("other", "x"),
    ]);
    let started = Mutex::new(Vec::new());
    let finished = Mutex::new(Vec::new());
    let report = d
        .walk(4, |n| {
            let (started, finished) = (&started, &finished);
            async move {
                started.lock().unwrap().push(n);
                tokio::time::sleep(Duration::from_millis(if n == "doc" { 20 } else { 2 })).await;
                finished.lock().unwrap().push(n);
                Ok::<(), String>(())
            }
        })
        .await;
    assert!(report.is_success(), "{report:?}");
    let started = started.into_inner().unwrap();
    let finished = finished.into_inner().unwrap();
    assert_eq!(started.len(), 7);
    for (a, b) in d.edges() {
        assert!(
            pos(&finished, b) < pos(&started, a),
            "{a} started before {b} finished: {started:?} {finished:?}"
        );
    }
    assert_eq!(report.completed, finished);
}

#[tokio::test]
async fn walk_with_parallelism_one_follows_topological_order() {
    let d = dag(&[
        ("att", "role"),
        ("att", "pol"),
        ("role", "doc"),
        ("zeta", "doc"),
        ("b_user", "doc"),
    ]);
    let log = Mutex::new(Vec::new());
    let report = d
        .walk(1, |n| {
            let log = &log;
            async move {
                log.lock().unwrap().push(n);
                Ok::<(), ()>(())
            }
        })
        .await;
    assert!(report.is_success());
    assert_eq!(log.into_inner().unwrap(), d.topological_order().unwrap());
}

#[tokio::test]
async fn parallelism_bound_is_respected() {
    let mut d = Dag::new();
    for i in 0..20 {
        d.add_node(format!("n{i:02}"));
    }
    d.add_edge("n19".to_string(), "n00".to_string());
    for bound in [1usize, 3, 8] {
        let current = AtomicUsize::new(0);
        let max_seen = AtomicUsize::new(0);
        let report = d
            .walk(bound, |_n| {
                let (current, max_seen) = (&current, &max_seen);
                async move {
                    let now = current.fetch_add(1, Ordering::SeqCst) + 1;
                    max_seen.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(3)).await;
                    current.fetch_sub(1, Ordering::SeqCst);
                    Ok::<(), ()>(())
                }
            })
            .await;
        assert!(report.is_success());
        assert_eq!(max_seen.load(Ordering::SeqCst), bound, "bound {bound}");
    }
}

#[tokio::test]
async fn failure_skips_dependents_but_not_independent_nodes() {
    // role fails: att (direct) and att_log (transitive) are skipped; pol, user, user_att run.
    let d = dag(&[
        ("att", "role"),
        ("att", "pol"),
        ("att_log", "att"),
        ("user_att", "user"),
        ("user_att", "pol"),
    ]);
    let ran = Mutex::new(Vec::new());
    let report = d
        .walk(2, |n| {
            let ran = &ran;
            async move {
                ran.lock().unwrap().push(n);
                if n == "role" {
                    Err(format!("{n}: access denied"))
                } else {
                    Ok(())
                }
            }
        })
        .await;
    let mut ran = ran.into_inner().unwrap();
    ran.sort();
    assert_eq!(ran, ["pol", "role", "user", "user_att"]);
    assert!(!report.is_success());
    assert_eq!(
        report.failed(),
        [(&"role", &"role: access denied".to_string())]
    );
    assert_eq!(report.skipped(), [&"att", &"att_log"]);
    assert_eq!(
        report.outcome(&"att_log"),
        Some(&NodeOutcome::Skipped {
            failed: vec!["role"]
        })
    );
    assert_eq!(report.succeeded(), [&"pol", &"user", &"user_att"]);
    assert!(report.not_run().is_empty());
    assert!(!report.stopped);
}

#[tokio::test]
async fn skipped_nodes_name_every_failed_ancestor() {
    let d = dag(&[("c", "a"), ("c", "b")]);
    let report = d
        .walk(2, |n| async move {
            if n == "c" {
                Ok(())
            } else {
                Err(n)
            }
        })
        .await;
    assert_eq!(
        report.outcome(&"c"),
        Some(&NodeOutcome::Skipped {
            failed: vec!["a", "b"]
        })
    );
}

#[tokio::test]
async fn reverse_walk_runs_dependents_first_and_skips_dependencies_on_failure() {
    let d = dag(&[("att", "role"), ("att", "pol"), ("role", "doc")]);
    let log = Mutex::new(Vec::new());
    let report = d
        .walk_reverse(1, |n| {
            let log = &log;
            async move {
                log.lock().unwrap().push(n);
                Ok::<(), ()>(())
            }
        })
        .await;
    assert!(report.is_success());
    assert_eq!(
        log.into_inner().unwrap(),
        d.reverse_topological_order().unwrap()
    );

    // Deleting the role fails: its dependency doc is kept (skipped); pol is independent.
    let report = d
        .walk_reverse(3, |n| async move {
            if n == "role" {
                Err("in use")
            } else {
                Ok(())
            }
        })
        .await;
    assert_eq!(report.succeeded(), [&"att", &"pol"]);
    assert_eq!(report.skipped(), [&"doc"]);
}

#[tokio::test]
async fn stop_flag_lets_running_nodes_finish_and_reports_the_rest_as_not_run() {
    let mut d = Dag::new();
    for n in ["a", "b", "c", "d", "e"] {
        d.add_node(n);
    }
    d.add_edge("e", "a");
    let stop = Arc::new(AtomicBool::new(false));
    let finished = Mutex::new(Vec::new());
    let report = d
        .walk_with(WalkOptions::new(2).stop_flag(stop.clone()), |n| {
            let (stop, finished) = (&stop, &finished);
            async move {
                if n == "a" {
                    stop.store(true, Ordering::SeqCst);
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
                finished.lock().unwrap().push(n);
                Ok::<(), ()>(())
            }
        })
        .await;
    // a and b started together; a set the flag; both finished; nothing else started.
    let mut finished = finished.into_inner().unwrap();
    finished.sort();
    assert_eq!(finished, ["a", "b"]);
    assert!(report.stopped);
    assert_eq!(report.succeeded(), [&"a", &"b"]);
    assert_eq!(report.not_run(), [&"c", &"d", &"e"]);
    assert_eq!(
        report.outcome(&"e"),
        Some(&NodeOutcome::NotRun(NotRunReason::Stopped))
    );
}

#[tokio::test]
async fn stop_flag_set_before_the_walk_runs_nothing() {
    let d = dag(&[("a", "b")]);
    let stop = Arc::new(AtomicBool::new(true));
    let report = d
        .walk_with(WalkOptions::default().stop_flag(stop), |_n| async move {
            panic!("must not run") as Result<(), ()>
        })
        .await;
    assert!(report.stopped);
    assert_eq!(report.not_run(), [&"a", &"b"]);
}

#[tokio::test]
async fn cyclic_graph_runs_nothing() {
    let d = dag(&[("a", "b"), ("b", "a"), ("c", "d")]);
    let report = d
        .walk(
            4,
            |_n| async move { panic!("must not run") as Result<(), ()> },
        )
        .await;
    assert_eq!(
        report.cycle.as_ref().unwrap().to_string(),
        "Dependency cycle: a -> b -> a"
    );
    assert_eq!(report.not_run().len(), 4);
    assert_eq!(
        report.outcome(&"c"),
        Some(&NodeOutcome::NotRun(NotRunReason::Cycle))
    );
}

#[tokio::test]
async fn walk_works_with_borrowed_non_static_data() {
    let names = vec!["x".to_string(), "y".to_string()];
    let mut d = Dag::new();
    d.add_edge(&names[1], &names[0]);
    let count = AtomicUsize::new(0);
    let report = d
        .walk(2, |_n: &String| {
            count.fetch_add(1, Ordering::SeqCst);
            async { Ok::<(), ()>(()) }
        })
        .await;
    assert!(report.is_success());
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walk_future_is_send() {
    let d = dag(&[("a", "b")]);
    let handle = tokio::spawn(async move {
        d.walk(2, |_n| async { Ok::<(), ()>(()) })
            .await
            .is_success()
    });
    assert!(handle.await.unwrap());
}
