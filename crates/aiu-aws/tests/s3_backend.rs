//! The S3 state backend against moto's S3: round trips, conditional writes that detect a
//! concurrent writer, the lock object, force-unlock, refusal of unreadable or foreign state
//! (left byte-for-byte untouched), serial rules, workspaces, and use from every kind of thread.

mod support;

use aiu_aws::{S3Backend, S3BackendSettings, StaticCredentials};
use aiu_model::InstanceAddress;
use aiu_state::{lock_with_timeout, LockInfo, State, StateBackend, StateError};
use serde_json::json;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use support::{endpoint, unique};

/// One runtime for the test's own raw S3 calls (creating buckets, planting objects).
fn rt() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    })
}

fn raw_s3() -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::new()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(endpoint())
        .force_path_style(true)
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// Runs `f` with the raw client on the test runtime (works from any thread).
fn raw<T: Send + 'static, F: std::future::Future<Output = T> + Send + 'static>(
    f: impl FnOnce(aws_sdk_s3::Client) -> F,
) -> T {
    let fut = f(raw_s3());
    let (tx, rx) = std::sync::mpsc::channel();
    rt().spawn(async move {
        let _ = tx.send(fut.await);
    });
    rx.recv().unwrap()
}

/// A new bucket (unique name), optionally versioned.
fn bucket(versioned: bool) -> String {
    let name = unique("aiu-state").to_ascii_lowercase();
    let b = name.clone();
    raw(move |c| async move {
        c.create_bucket()
            .bucket(&b)
            .send()
            .await
            .expect("create bucket");
        if versioned {
            c.put_bucket_versioning()
                .bucket(&b)
                .versioning_configuration(
                    aws_sdk_s3::types::VersioningConfiguration::builder()
                        .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                        .build(),
                )
                .send()
                .await
                .expect("enable versioning");
        }
    });
    name
}

fn settings(bucket: &str, key: &str) -> S3BackendSettings {
    S3BackendSettings {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        region: Some("us-east-1".into()),
        endpoint: Some(endpoint().to_owned()),
        use_path_style: true,
        credentials: Some(StaticCredentials::new("testing", "testing")),
        max_attempts: 2,
        initial_backoff: Duration::from_millis(50),
        ..S3BackendSettings::default()
    }
}

fn backend(bucket: &str, key: &str) -> S3Backend {
    S3Backend::connect(settings(bucket, key)).expect("connect")
}

fn get_object(bucket: &str, key: &str) -> Option<Vec<u8>> {
    let (b, k) = (bucket.to_owned(), key.to_owned());
    raw(move |c| async move {
        match c.get_object().bucket(b).key(k).send().await {
            Ok(o) => Some(o.body.collect().await.unwrap().into_bytes().to_vec()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => None,
            Err(e) => panic!("raw GetObject: {e:?}"),
        }
    })
}

fn put_object(bucket: &str, key: &str, bytes: &[u8]) {
    let (b, k, body) = (bucket.to_owned(), key.to_owned(), bytes.to_vec());
    raw(move |c| async move {
        c.put_object()
            .bucket(b)
            .key(k)
            .body(body.into())
            .send()
            .await
            .expect("raw PutObject");
    });
}

fn with_role(mut s: State, name: &str) -> State {
    let addr: InstanceAddress = format!("aws_iam_role.{name}").parse().unwrap();
    s.set_instance(
        &addr,
        json!({ "name": name }).as_object().unwrap().clone(),
        vec![],
    );
    s
}

fn stored(bucket: &str, key: &str) -> State {
    let bytes = get_object(bucket, key).expect("state object exists");
    State::from_json_str(std::str::from_utf8(&bytes).unwrap(), "stored")
        .expect("stored state parses")
}

#[test]
fn round_trip_and_first_write() {
    let b = bucket(true);
    let be = backend(&b, "iam/terraform.tfstate");
    assert_eq!(be.describe(), format!("s3://{b}/iam/terraform.tfstate"));
    assert!(be.read().unwrap().is_none(), "no object yet");

    let mut s = with_role(State::new(), "a");
    be.write(&mut s).unwrap();
    assert_eq!(s.serial, 1, "a first write gets serial 1");
    assert_eq!(
        get_object(&b, "iam/terraform.tfstate").unwrap(),
        s.to_json_string().into_bytes()
    );

    // Another backend (another run) reads exactly what was written.
    let other = backend(&b, "iam/terraform.tfstate");
    assert_eq!(other.read().unwrap().unwrap(), s);

    // The writer continues from what it wrote (its remembered ETag is the written one).
    let mut s2 = with_role(s.clone(), "b");
    be.write(&mut s2).unwrap();
    assert_eq!(s2.serial, 2);
    assert_eq!(other.read().unwrap().unwrap(), s2);

    // Unchanged content: nothing written, serial kept.
    let mut same = s2.clone();
    be.write(&mut same).unwrap();
    assert_eq!(same.serial, 2);
    assert_eq!(stored(&b, "iam/terraform.tfstate").serial, 2);
}

#[test]
fn first_write_uses_if_none_match() {
    let b = bucket(false);
    let key = "first/state.json";
    // Two runs both saw no state; the first creates it, the second must not overwrite it.
    let one = backend(&b, key);
    let two = backend(&b, key);
    assert!(one.read().unwrap().is_none());
    assert!(two.read().unwrap().is_none());
    let mut s1 = with_role(State::new(), "one");
    one.write(&mut s1).unwrap();
    let before = get_object(&b, key).unwrap();

    let mut s2 = with_role(State::new(), "two");
    let err = two.write(&mut s2).unwrap_err();
    assert!(matches!(err, StateError::ConcurrentWrite { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("s3://{b}/{key}"))
            && msg.contains("nothing was overwritten")
            && msg.contains("plan again"),
        "{msg}"
    );
    assert_eq!(s2.serial, 0, "a refused write leaves the serial as it was");
    assert_eq!(
        get_object(&b, key).unwrap(),
        before,
        "the first write is kept"
    );
}

#[test]
fn concurrent_writer_is_detected_and_never_overwritten() {
    let b = bucket(true);
    let key = "concurrent.tfstate";
    let seed = backend(&b, key);
    let mut base = with_role(State::new(), "base");
    seed.write(&mut base).unwrap();

    // Both runs read the same state, both write a change.
    let a = backend(&b, key);
    let c = backend(&b, key);
    let mut sa = a.read().unwrap().unwrap();
    let mut sc = c.read().unwrap().unwrap();
    sa = with_role(sa, "from_a");
    sc = with_role(sc, "from_c");
    a.write(&mut sa).unwrap();
    let after_a = get_object(&b, key).unwrap();

    let err = c.write(&mut sc).unwrap_err();
    assert!(matches!(err, StateError::ConcurrentWrite { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&format!(
            "another aiu run wrote the state at s3://{b}/{key}"
        )),
        "{err}"
    );
    assert_eq!(
        get_object(&b, key).unwrap(),
        after_a,
        "the object holds the first write"
    );
    assert_eq!(stored(&b, key), sa);

    // After reading again, the second run can write (its serial continues past the first's).
    let mut fresh = with_role(c.read().unwrap().unwrap(), "from_c");
    c.write(&mut fresh).unwrap();
    assert_eq!(fresh.serial, sa.serial + 1);
}

#[test]
fn racing_writers_exactly_one_wins() {
    let b = bucket(false);
    for round in 0..4 {
        let key = format!("race-{round}.tfstate");
        let seed = backend(&b, &key);
        let mut base = with_role(State::new(), "base");
        if round % 2 == 0 {
            seed.write(&mut base).unwrap(); // race on If-Match; odd rounds race on If-None-Match
        }
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = ["x", "y"]
            .into_iter()
            .map(|who| {
                let (b, key, barrier, base) =
                    (b.clone(), key.clone(), barrier.clone(), base.clone());
                std::thread::spawn(move || {
                    let be = backend(&b, &key);
                    let read = be.read().unwrap();
                    let mut s = with_role(read.unwrap_or(base), who);
                    barrier.wait();
                    be.write(&mut s).map(|()| s)
                })
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let ok: Vec<&State> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(
            ok.len(),
            1,
            "round {round}: exactly one writer wins: {results:?}"
        );
        for r in &results {
            if let Err(e) = r {
                assert!(
                    matches!(e, StateError::ConcurrentWrite { .. }),
                    "round {round}: {e:?}"
                );
            }
        }
        assert_eq!(
            &stored(&b, &key),
            ok[0],
            "round {round}: the object holds the winner's write"
        );
    }
}

#[test]
fn lock_is_exclusive_names_the_holder_and_is_released_on_drop() {
    let b = bucket(true);
    let key = "locked.tfstate";
    let one = backend(&b, key);
    let two = backend(&b, key);
    let info = LockInfo::new("apply");
    let id = info.id.clone();
    let guard = one.lock(info).unwrap();
    assert_eq!(guard.info().path, format!("s3://{b}/{key}"));
    let stored_lock: LockInfo =
        serde_json::from_slice(&get_object(&b, &format!("{key}.tflock")).unwrap()).unwrap();
    assert_eq!(
        stored_lock.id, id,
        "the lock object holds the LockInfo JSON"
    );

    let err = two
        .lock(LockInfo::new("plan"))
        .err()
        .expect("second lock refused");
    match &err {
        StateError::Locked {
            what,
            holder: Some(h),
        } => {
            assert_eq!(what, &format!("state s3://{b}/{key}"));
            assert_eq!(h.id, id);
            assert_eq!(h.operation, "apply");
        }
        other => panic!("expected Locked with a holder, got {other:?}"),
    }
    assert!(err.to_string().contains(&id), "{err}");

    // lock_with_timeout gives up after the timeout while the lock is held...
    let start = Instant::now();
    assert!(matches!(
        lock_with_timeout(&two, LockInfo::new("plan"), Duration::from_millis(400)),
        Err(StateError::Locked { .. })
    ));
    assert!(start.elapsed() >= Duration::from_millis(300));

    // ...and gets it once the holder drops its guard.
    let waiter = {
        let two = backend(&b, key);
        std::thread::spawn(move || {
            lock_with_timeout(&two, LockInfo::new("apply"), Duration::from_secs(10))
                .map(|g| g.info().id.clone())
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    drop(guard);
    let waiter_id = waiter.join().unwrap().expect("lock taken after release");
    // The waiter's guard was dropped at the end of its thread: the lock object is gone.
    assert_ne!(waiter_id, id);
    assert!(
        get_object(&b, &format!("{key}.tflock")).is_none(),
        "released on drop"
    );
    two.lock(LockInfo::new("apply")).expect("free again");
}

#[test]
fn guard_does_not_delete_someone_elses_lock() {
    let b = bucket(false);
    let key = "stolen.tfstate";
    let be = backend(&b, key);
    let guard = be.lock(LockInfo::new("apply")).unwrap();
    // Someone force-unlocked us and another run took the lock.
    be.force_unlock(&guard.info().id.clone()).unwrap();
    let other = backend(&b, key);
    let theirs = other.lock(LockInfo::new("apply")).unwrap();
    drop(guard);
    let held: LockInfo =
        serde_json::from_slice(&get_object(&b, &format!("{key}.tflock")).unwrap()).unwrap();
    assert_eq!(
        held.id,
        theirs.info().id,
        "our guard left the other run's lock alone"
    );
}

#[test]
fn force_unlock_with_right_and_wrong_id() {
    let b = bucket(false);
    let key = "dead-run.tfstate";
    let be = backend(&b, key);
    let guard = be.lock(LockInfo::new("apply")).unwrap();
    let id = guard.info().id.clone();
    std::mem::forget(guard); // the run died and left its lock behind

    let err = be.force_unlock("not-the-id").unwrap_err();
    assert!(matches!(err, StateError::Unlock { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&id) && msg.contains("not-the-id"), "{msg}");
    assert!(
        get_object(&b, &format!("{key}.tflock")).is_some(),
        "a wrong ID removes nothing"
    );

    be.force_unlock(&id).unwrap();
    assert!(get_object(&b, &format!("{key}.tflock")).is_none());
    let err = be.force_unlock(&id).unwrap_err();
    assert!(err.to_string().contains("not locked"), "{err}");
    be.lock(LockInfo::new("apply")).expect("lockable again");
}

#[test]
fn unreadable_or_foreign_state_is_refused_and_left_untouched() {
    let b = bucket(true);
    let valid = with_role(State::new(), "r");
    let mut future: serde_json::Value = serde_json::from_str(&valid.to_json_string()).unwrap();
    future["format_version"] = json!(99);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("corrupt", b"{ this is not json".to_vec()),
        (
            "truncated",
            valid.to_json_string().as_bytes()[..40].to_vec(),
        ),
        ("not-utf8", vec![0xff, 0xfe, 0x00, 0x7b]),
        ("future", serde_json::to_vec_pretty(&future).unwrap()),
        ("duplicate", {
            let mut v: serde_json::Value = serde_json::from_str(&valid.to_json_string()).unwrap();
            let r = v["resources"][0].clone();
            v["resources"].as_array_mut().unwrap().push(r);
            serde_json::to_vec(&v).unwrap()
        }),
    ];
    for (name, bytes) in cases {
        let key = format!("{name}.tfstate");
        put_object(&b, &key, &bytes);
        let be = backend(&b, &key);
        let err = be.read().unwrap_err();
        assert!(
            err.to_string().contains(&format!("s3://{b}/{key}")),
            "{name}: {err}"
        );
        if name == "future" {
            assert!(
                matches!(err, StateError::NewerVersion { found: 99, .. }),
                "{err:?}"
            );
        }
        // A write (with or without the failed read before it) refuses to overwrite it.
        for be in [be, backend(&b, &key)] {
            let mut ours = with_role(State::new(), "mine");
            let err = be.write(&mut ours).unwrap_err();
            assert!(
                matches!(err, StateError::CorruptRemote { .. }),
                "{name}: {err:?}"
            );
            assert!(err.to_string().contains("refusing to overwrite"), "{err}");
        }
        assert_eq!(
            get_object(&b, &key).unwrap(),
            bytes,
            "{name}: left byte-for-byte untouched"
        );
    }

    // Another lineage: readable, but never overwritten by this state.
    let key = "foreign.tfstate";
    let foreign = backend(&b, key);
    let mut theirs = with_role(State::new(), "theirs");
    foreign.write(&mut theirs).unwrap();
    let before = get_object(&b, key).unwrap();
    let be = backend(&b, key);
    assert_eq!(be.read().unwrap().unwrap().lineage, theirs.lineage);
    let mut ours = with_role(State::new(), "ours");
    ours.serial = 10;
    let err = be.write(&mut ours).unwrap_err();
    assert!(matches!(err, StateError::LineageMismatch { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&format!("s3://{b}/{key}")),
        "{err}"
    );
    assert_eq!(get_object(&b, key).unwrap(), before);
    assert_eq!(ours.serial, 10);
}

#[test]
fn serial_never_decreases() {
    let b = bucket(true);
    let key = "serial.tfstate";
    let be = backend(&b, key);
    let mut s = with_role(State::new(), "a");
    s.serial = 5;
    be.write(&mut s).unwrap();
    assert_eq!(
        stored(&b, key).serial,
        5,
        "a first write keeps a higher serial"
    );

    let mut last = 5;
    for name in ["b", "c", "d"] {
        s = with_role(s, name);
        be.write(&mut s).unwrap();
        let now = stored(&b, key).serial;
        assert_eq!(now, last + 1);
        last = now;
    }

    // A stale state (lower serial) from the same lineage is refused, even after a fresh read
    // (so the ETag precondition holds and only the serial rule stops it).
    let other = backend(&b, key);
    let mut stale = other.read().unwrap().unwrap();
    stale.serial = 3;
    stale = with_role(stale, "late");
    let before = get_object(&b, key).unwrap();
    let err = other.write(&mut stale).unwrap_err();
    assert!(
        matches!(
            err,
            StateError::StaleSerial {
                on_disk: 8,
                ours: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(get_object(&b, key).unwrap(), before);
    assert_eq!(stored(&b, key).serial, 8);

    // A higher serial from the caller is kept.
    let mut ahead = other.read().unwrap().unwrap();
    ahead.serial = 20;
    ahead = with_role(ahead, "ahead");
    other.write(&mut ahead).unwrap();
    assert_eq!(stored(&b, key).serial, 20);
}

#[test]
fn force_write_replaces_another_lineage() {
    let b = bucket(true);
    let key = "push.tfstate";
    let be = backend(&b, key);
    let mut theirs = with_role(State::new(), "theirs");
    be.write(&mut theirs).unwrap();
    let mut ours = with_role(State::new(), "ours");
    assert!(matches!(
        be.write(&mut ours),
        Err(StateError::LineageMismatch { .. })
    ));
    be.write_force(&mut ours).unwrap();
    assert_eq!(stored(&b, key), ours);
}

#[test]
fn workspaces_use_terraform_keys() {
    let b = bucket(false);
    let be = backend(&b, "app/state.json");
    let prod = be.for_workspace("prod").unwrap();
    assert_eq!(prod.key(), "env:/prod/app/state.json");
    assert_eq!(
        prod.describe(),
        format!("s3://{b}/env:/prod/app/state.json")
    );
    let mut s = with_role(State::new(), "p");
    prod.write(&mut s).unwrap();
    assert!(get_object(&b, "env:/prod/app/state.json").is_some());
    assert!(
        be.read().unwrap().is_none(),
        "the default workspace is separate"
    );
    let dev = be.for_workspace("dev").unwrap();
    let mut d = with_role(State::new(), "d");
    dev.write(&mut d).unwrap();
    // A lock on one workspace does not lock another.
    let _g = prod.lock(LockInfo::new("apply")).unwrap();
    let _h = dev.lock(LockInfo::new("apply")).unwrap();
    assert_eq!(be.workspaces().unwrap(), ["default", "dev", "prod"]);
    dev.delete_state().unwrap();
    assert_eq!(be.workspaces().unwrap(), ["default", "prod"]);
    assert!(be.for_workspace("a/b").is_err());

    let custom = S3Backend::connect(S3BackendSettings {
        workspace_key_prefix: "workspaces".into(),
        ..settings(&b, "k.json")
    })
    .unwrap();
    assert_eq!(
        custom.for_workspace("qa").unwrap().key(),
        "workspaces/qa/k.json"
    );
    assert_eq!(custom.for_workspace("default").unwrap().key(), "k.json");
}

#[test]
fn check_bucket_warns_without_versioning() {
    let versioned = bucket(true);
    assert_eq!(backend(&versioned, "k").check_bucket().unwrap(), None);
    let plain = bucket(false);
    let warning = backend(&plain, "k")
        .check_bucket()
        .unwrap()
        .expect("a warning");
    assert!(
        warning.contains(&plain) && warning.contains("versioning"),
        "{warning}"
    );

    let missing = backend(&format!("{plain}-missing"), "k");
    let err = missing.check_bucket().unwrap_err();
    assert!(matches!(err, StateError::Remote { .. }), "{err:?}");
    assert!(err.to_string().contains("NoSuchBucket"), "{err}");
    let err = missing.read().unwrap_err();
    assert!(
        err.to_string().contains("does not exist"),
        "a missing bucket is an error, not an empty state: {err}"
    );
}

#[test]
fn unreachable_endpoint_is_a_clear_error() {
    let be = S3Backend::connect(S3BackendSettings {
        endpoint: Some("http://127.0.0.1:9".into()),
        max_attempts: 1,
        connect_timeout: Duration::from_secs(2),
        ..settings("b", "k")
    })
    .unwrap();
    let err = be.read().unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("s3:GetObject on s3://b/k") && msg.contains("127.0.0.1:9"),
        "{msg}"
    );
}

/// The binary calls the backend from inside a multi-thread runtime, on worker threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_inside_a_multi_thread_runtime() {
    let b = tokio::task::spawn_blocking(|| bucket(false)).await.unwrap();
    let be = Arc::new(backend(&b, "mt.tfstate"));
    let be2 = be.clone();
    tokio::spawn(async move {
        let guard = be2.lock(LockInfo::new("apply")).unwrap();
        assert!(be2.read().unwrap().is_none());
        let mut s = with_role(State::new(), "mt");
        be2.write(&mut s).unwrap();
        drop(guard);
    })
    .await
    .unwrap();
    assert_eq!(be.read().unwrap().unwrap().serial, 1);
    // Dropping the backend inside the runtime is fine too.
    drop(be);
}

#[tokio::test(flavor = "current_thread")]
async fn works_inside_a_current_thread_runtime() {
    let b = std::thread::spawn(|| bucket(false)).join().unwrap();
    let be = backend(&b, "ct.tfstate");
    let _guard = be.lock(LockInfo::new("apply")).unwrap();
    let mut s = with_role(State::new(), "ct");
    be.write(&mut s).unwrap();
    assert_eq!(be.read().unwrap().unwrap(), s);
}

/// The server semantics the backend relies on: a conditional PutObject whose precondition
/// fails is refused with 412 and changes nothing (so the racing tests above are meaningful).
#[test]
fn server_refuses_failed_preconditions_with_412() {
    let b = bucket(false);
    put_object(&b, "k", b"first");
    let bb = b.clone();
    let (none_match, wrong_match) = raw(move |c| async move {
        let status = |e: &aws_sdk_s3::error::SdkError<
            aws_sdk_s3::operation::put_object::PutObjectError,
            _,
        >| {
            e.raw_response().map(
                |r: &aws_smithy_runtime_api::client::orchestrator::HttpResponse| {
                    r.status().as_u16()
                },
            )
        };
        let a = c
            .put_object()
            .bucket(&bb)
            .key("k")
            .if_none_match("*")
            .body(b"second".to_vec().into())
            .send()
            .await;
        let m = c
            .put_object()
            .bucket(&bb)
            .key("k")
            .if_match("\"not-the-etag\"")
            .body(b"third".to_vec().into())
            .send()
            .await;
        (
            a.err().as_ref().and_then(status),
            m.err().as_ref().and_then(status),
        )
    });
    assert_eq!((none_match, wrong_match), (Some(412), Some(412)));
    assert_eq!(get_object(&b, "k").unwrap(), b"first");
}

#[test]
fn settings_are_checked_and_workspace_keys_follow_terraform() {
    use aiu_aws::s3_backend::workspace_key;
    assert_eq!(
        workspace_key("env:", "iam/state.json", "default"),
        "iam/state.json"
    );
    assert_eq!(
        workspace_key("env:", "iam/state.json", "prod"),
        "env:/prod/iam/state.json"
    );
    let base = settings("b", "k");
    for (bad, needle) in [
        (
            S3BackendSettings {
                bucket: String::new(),
                ..base.clone()
            },
            "`bucket` is required",
        ),
        (
            S3BackendSettings {
                key: String::new(),
                ..base.clone()
            },
            "`key` is required",
        ),
        (
            S3BackendSettings {
                key: "k/".into(),
                ..base.clone()
            },
            "must not start or end",
        ),
        (
            S3BackendSettings {
                endpoint: Some("localhost:9000".into()),
                ..base.clone()
            },
            "not an http",
        ),
        (
            S3BackendSettings {
                max_attempts: 0,
                ..base.clone()
            },
            "max_attempts",
        ),
    ] {
        let err = S3Backend::connect(bad).unwrap_err();
        assert!(
            matches!(err, StateError::Remote { .. }) && err.to_string().contains(needle),
            "{err}"
        );
    }
    assert_eq!(S3BackendSettings::default().workspace_key_prefix, "env:");
}
