//! Simulation benchmark (plain `main`, `harness = false`): 100,000 evaluations, each with its
//! full explanation, against a 50-statement policy set (three identity policies of 15 statements
//! with action and resource wildcards, NotAction / NotResource, conditions of several operator
//! families, policy variables, two Denies; a 5-statement permissions boundary). Issue 9 asks for
//! under one second.
//!
//! `cargo bench -p aiu-policy --bench simulate`

use std::hint::black_box;
use std::time::Instant;

use aiu_policy::eval::{evaluate, Outcome, PolicySet, Request, Simulator};
use aiu_policy::PolicyDocument;
use serde_json::{json, Value};

const SERVICES: [&str; 5] = ["s3", "ec2", "sqs", "dynamodb", "logs"];

fn statement(p: usize, i: usize) -> Value {
    let svc = SERVICES[(p * 15 + i) % SERVICES.len()];
    let n = p * 15 + i;
    match i % 5 {
        0 => {
            json!({"Sid": format!("S{n}"), "Effect": "Allow", "Action": [format!("{svc}:Get*"), format!("{svc}:List*"), format!("{svc}:Describe*")],
                    "Resource": format!("arn:aws:{svc}:*:111111111111:res-{n}/*")})
        }
        1 => {
            json!({"Sid": format!("S{n}"), "Effect": "Allow", "Action": [format!("{svc}:Put*"), format!("{svc}:Create?tem")],
                    "Resource": [format!("arn:aws:{svc}:us-east-1:111111111111:team/${{aws:PrincipalTag/team}}/*"), format!("arn:aws:{svc}:us-east-1:111111111111:shared-{n}")],
                    "Condition": {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}, "Bool": {"aws:SecureTransport": "true"}}})
        }
        2 => {
            json!({"Sid": format!("S{n}"), "Effect": "Allow", "NotAction": [format!("{svc}:Delete*"), "iam:*"],
                    "Resource": format!("arn:aws:{svc}:*:*:app-{n}-*"),
                    "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}, "ForAllValues:StringLike": {"aws:TagKeys": ["app-*", "env"]}}})
        }
        3 => {
            json!({"Sid": format!("S{n}"), "Effect": if n % 9 == 3 { "Deny" } else { "Allow" }, "Action": format!("{svc}:Delete*"),
                    "NotResource": format!("arn:aws:{svc}:*:111111111111:scratch-{n}/*"),
                    "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}, "NumericLessThanIfExists": {"s3:max-keys": "100"}}})
        }
        _ => json!({"Sid": format!("S{n}"), "Effect": "Allow", "Action": format!("{svc}:*"),
                    "Resource": format!("arn:aws:{svc}:*:111111111111:data-{n}/*"),
                    "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111111111111:*"}, "StringNotEqualsIfExists": {"aws:PrincipalTag/env": "sandbox"}}}),
    }
}

fn doc(statements: Vec<Value>) -> PolicyDocument {
    PolicyDocument::from_json(&json!({"Version": "2012-10-17", "Statement": statements})).unwrap()
}

fn main() {
    let identity: Vec<(String, PolicyDocument)> = (0..3)
        .map(|p| {
            (
                format!("policy-{p}"),
                doc((0..15).map(|i| statement(p, i)).collect()),
            )
        })
        .collect();
    let boundary = doc(vec![
        json!({"Effect": "Allow", "Action": ["s3:*", "sqs:*", "dynamodb:*", "logs:*"], "Resource": "*"}),
        json!({"Effect": "Allow", "Action": "ec2:Describe*", "Resource": "*"}),
        json!({"Effect": "Allow", "Action": "ec2:*", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}}),
        json!({"Effect": "Deny", "Action": "iam:*", "Resource": "*"}),
        json!({"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}),
    ]);
    let set = PolicySet {
        identity,
        boundary: Some(("boundary".to_owned(), boundary)),
    };
    let statements: usize = set
        .identity
        .iter()
        .map(|(_, d)| d.statements.len())
        .sum::<usize>()
        + 5;
    assert_eq!(statements, 50);

    let base = |action: &str, resource: &str| {
        Request::new("arn:aws:iam::111111111111:role/app", action, resource)
            .with("aws:RequestedRegion", "us-east-1")
            .with("aws:SecureTransport", "true")
            .with("aws:SourceIp", "10.1.2.3")
            .with("aws:PrincipalTag/team", "data")
            .with("aws:CurrentTime", "2025-06-01T12:00:00Z")
            .with("aws:TagKeys", "app-web")
            .with("aws:TagKeys", "env")
    };
    let requests = vec![
        base(
            "s3:GetObject",
            "arn:aws:s3:us-east-1:111111111111:res-0/key",
        ),
        base(
            "s3:PutObject",
            "arn:aws:s3:us-east-1:111111111111:team/data/file",
        ),
        base(
            "sqs:SendMessage",
            "arn:aws:sqs:us-east-1:111111111111:app-2-queue",
        ),
        base(
            "ec2:DeleteVolume",
            "arn:aws:ec2:us-east-1:111111111111:volume/vol-1",
        ),
        base(
            "dynamodb:Query",
            "arn:aws:dynamodb:us-east-1:111111111111:data-4/table",
        ),
        base(
            "logs:PutLogEvents",
            "arn:aws:logs:us-east-1:111111111111:log-group:x:log-stream:y",
        ),
        base("iam:PassRole", "arn:aws:iam::111111111111:role/admin"),
        base("ec2:DescribeInstances", "*"),
    ];

    // Warm up, and show what the requests decide.
    let mut counts = [0usize; 3];
    for r in &requests {
        let d = evaluate(&set, r);
        counts[d.outcome as usize] += 1;
    }
    const N: usize = 100_000;
    let run = |name: &str, eval: &dyn Fn(&Request) -> aiu_policy::Decision| {
        let start = Instant::now();
        let mut allowed = 0usize;
        let mut traces = 0usize;
        for i in 0..N {
            let d = eval(black_box(&requests[i % requests.len()]));
            if d.outcome == Outcome::Allowed {
                allowed += 1;
            }
            traces += d.explanation.len();
        }
        let elapsed = start.elapsed();
        println!(
            "simulate ({name}): {N} simulations against a {statements}-statement policy set, with explanations, in {:.3} s ({:.2} µs each; {allowed} allowed, {traces} statement traces)",
            elapsed.as_secs_f64(),
            elapsed.as_secs_f64() * 1e6 / N as f64,
        );
    };
    println!(
        "request mix: {} allowed / {} implicit deny / {} explicit deny",
        counts[0], counts[1], counts[2]
    );
    let sim = Simulator::new(&set);
    run("Simulator, prepared once", &|r| sim.evaluate(r));
    run("evaluate(), prepared per call", &|r| {
        evaluate(black_box(&set), r)
    });
}
