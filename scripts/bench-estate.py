"""bench-estate.py: aiu vs Terraform on generated IAM estates, against moto behind aiu-netproxy.

Run through scripts/bench-estate (it installs moto and picks the venv's Python).

Scenarios (issue 8):
  plan   An estate of N roles (trust policy, one inline policy, one attached managed policy, an
         instance profile) + N managed policies = 5N resources, populated directly against moto
         (no latency) by aiu apply. Terraform gets the same objects as its state file written
         from aiu's (--tf-adopt=state, the default) or by applying `import` blocks
         (--tf-adopt=import; unfinished after 23 minutes at 5,000 roles).
         Then, through the proxy at --latency-ms (+/- --jitter-ms), `plan` of the unchanged
         estate (refresh included): wall time and API calls (proxy counts), median of --runs.
         A Terraform plan still running after --plan-time-limit seconds (default an hour) is
         stopped; its time and calls are reported as lower bounds ("over ...").
  apply  From empty, --apply-n roles + policies + attachments through the proxy limited to
         --rate requests/s (burst = rate) at the same latency: wall time, failures, and the
         floor = calls forwarded / rate. A fresh moto per run.
  chaos  --chaos-n roles with all extras (5 resources each) applied through the proxy with 30%
         random throttling and 5% injected 5xx: failures, then a plan must show no changes.
  The offline 10k-resource plan is `cargo bench -p aiu-engine --bench plan_scale` (see
  BENCHMARKS.md); this script does not rerun it.

Terraform runs only when `terraform` is on PATH and `terraform init` of hashicorp/aws works
offline (filesystem mirror found in the usual places, or --tf-mirror); otherwise the Terraform
column says why and nothing is faked.
"""

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "123456789012"  # moto's default account
PREFIX = "bench"


def log(msg):
    print(f"[bench-estate {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes


class Moto:
    def __init__(self):
        out = subprocess.run([str(ROOT / "scripts/moto.sh"), "start"], check=True, capture_output=True, text=True).stdout.split()
        self.port, self.pid = int(out[0]), int(out[1])
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        subprocess.run([str(ROOT / "scripts/moto.sh"), "stop", str(self.pid)], check=False)


class NetProxy:
    def __init__(self, binary, upstream, stats_file, **conds):
        args = [str(binary), "--listen", "127.0.0.1:0", "--upstream", upstream, "--stats-file", str(stats_file)]
        for k, v in conds.items():
            if v is not None:
                args += [f"--{k.replace('_', '-')}", str(v)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        self.port = int(line.strip())
        self.url = f"http://127.0.0.1:{self.port}"

    def reset(self):
        urllib.request.urlopen(urllib.request.Request(self.url + "/__reset", method="POST", data=b""), timeout=10).read()

    def stats(self):
        return json.loads(urllib.request.urlopen(self.url + "/__stats", timeout=10).read())

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def clean_env(home):
    env = {k: v for k, v in os.environ.items() if not (k.startswith("AWS_") or k.startswith("AIU_") or k.startswith("TF_"))}
    env.update(
        {
            "NO_COLOR": "1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(home / ".no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / ".no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "CHECKPOINT_DISABLE": "1",
            "TF_IN_AUTOMATION": "1",
        }
    )
    return env


STOPPED = "stopped"  # the exit "code" of a command stopped at its time limit


def run_cmd(args, cwd, env, log_path, timeout=7200):
    """Runs a command, output to log_path; returns (exit code, seconds, output text). A command
    still running after `timeout` seconds is stopped (SIGINT, then killed) and its exit code
    is STOPPED."""
    t0 = time.monotonic()
    with open(log_path, "w") as f:
        p = subprocess.Popen(args, cwd=cwd, env=env, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            code = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGINT)
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            code = STOPPED
    dt = time.monotonic() - t0
    return code, dt, Path(log_path).read_text(errors="replace")


# ---------------------------------------------------------------- configurations

ESTATE_TF = """\
# Generated by scripts/bench-estate.py: N roles (+ inline policy + instance profile when
# with_extras) + N managed policies + N attachments.
variable "n" {
  type = number
}

variable "with_extras" {
  type    = bool
  default = true
}

variable "prefix" {
  type    = string
  default = "bench"
}

locals {
  trust = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }]
  })
}

resource "aws_iam_role" "r" {
  count              = var.n
  name               = "${var.prefix}-role-${count.index}"
  assume_role_policy = local.trust
}

resource "aws_iam_policy" "p" {
  count       = var.n
  name        = "${var.prefix}-policy-${count.index}"
  description = "bench policy ${count.index}"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:ListBucket"]
      Resource = ["arn:aws:s3:::${var.prefix}-bucket-${count.index}", "arn:aws:s3:::${var.prefix}-bucket-${count.index}/*"]
    }]
  })
}

resource "aws_iam_role_policy_attachment" "a" {
  count      = var.n
  role       = aws_iam_role.r[count.index].name
  policy_arn = aws_iam_policy.p[count.index].arn
}

resource "aws_iam_role_policy" "i" {
  count = var.with_extras ? var.n : 0
  name  = "inline"
  role  = aws_iam_role.r[count.index].id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "logs:PutLogEvents", Resource = "*" }]
  })
}

resource "aws_iam_instance_profile" "ip" {
  count = var.with_extras ? var.n : 0
  name  = "${var.prefix}-profile-${count.index}"
  role  = aws_iam_role.r[count.index].name
}
"""

AIU_PROVIDER_TF = """\
provider "aws" {
  region = "us-east-1"
}
"""

TF_PROVIDER_TF = """\
terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

variable "endpoint" {
  type = string
}

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {
    iam = var.endpoint
    sts = var.endpoint
  }
}
"""

TF_IMPORTS_TF = """\
# Generated: adopts the objects aiu created (same names) into Terraform's state.
locals {
  # range() makes at most 1024 values in Terraform: build 0..n-1 from blocks of 1000.
  idx = { for i in flatten([for b in range(ceil(var.n / 1000)) : range(b * 1000, min(var.n, (b + 1) * 1000))]) : tostring(i) => i }
  ext = var.with_extras ? local.idx : {}
}

import {
  for_each = local.idx
  to       = aws_iam_role.r[each.value]
  id       = "${var.prefix}-role-${each.value}"
}

import {
  for_each = local.idx
  to       = aws_iam_policy.p[each.value]
  id       = "arn:aws:iam::%(account)s:policy/${var.prefix}-policy-${each.value}"
}

import {
  for_each = local.idx
  to       = aws_iam_role_policy_attachment.a[each.value]
  id       = "${var.prefix}-role-${each.value}/arn:aws:iam::%(account)s:policy/${var.prefix}-policy-${each.value}"
}

import {
  for_each = local.ext
  to       = aws_iam_role_policy.i[each.value]
  id       = "${var.prefix}-role-${each.value}:inline"
}

import {
  for_each = local.ext
  to       = aws_iam_instance_profile.ip[each.value]
  id       = "${var.prefix}-profile-${each.value}"
}
""" % {"account": ACCOUNT}


# What the provider (terraform-plugin-sdk v2) keeps in an instance's `private`: base64 of
# {"schema_version":"0"}, as in the states its import writes.
TF_SDK_PRIVATE = "eyJzY2hlbWFfdmVyc2lvbiI6IjAifQ=="


def tf_state_from_aiu(aiu_state_path, terraform_version):
    """Terraform's state (format 4) for the objects aiu's state holds, so that Terraform can
    plan the estate without first importing it (an import of 25,000 resources did not finish in
    23 minutes). The attributes are aiu's, in the shapes Terraform's import stores (`""` and
    `{}` for unset strings and tags, whole seconds, the attachment's `role-arn` id); the role's
    `inline_policy` and `managed_policy_arns` are left for Terraform's refresh to fill. Every
    measured plan refreshes every object anyway, and its exit code (0 = no changes) shows that
    the state matches what an import would have made."""
    state = json.loads(Path(aiu_state_path).read_text())
    empty_strings = ("name_prefix", "description", "permissions_boundary")
    resources = []
    for r in state["resources"]:
        if r["mode"] != "managed":
            continue
        instances = []
        for inst in r["instances"]:
            attrs = dict(inst["attributes"])
            for k in empty_strings:
                if k in attrs and attrs[k] is None:
                    attrs[k] = ""
            if "tags" in attrs and attrs["tags"] is None:
                attrs["tags"] = {}
            if isinstance(attrs.get("create_date"), str):
                attrs["create_date"] = re.sub(r"\.\d+Z$", "Z", attrs["create_date"])
            if r["type"] == "aws_iam_role_policy_attachment":
                attrs["id"] = f"{attrs['role']}-{attrs['policy_arn']}"
            out = {"schema_version": 0, "attributes": attrs, "sensitive_attributes": [], "private": TF_SDK_PRIVATE}
            if "index_key" in inst:
                out = {"index_key": inst["index_key"], **out}
            if inst.get("dependencies"):
                out["dependencies"] = inst["dependencies"]
            instances.append(out)
        resources.append({"mode": "managed", "type": r["type"], "name": r["name"], "provider": 'provider["registry.terraform.io/hashicorp/aws"]', "instances": instances})
    return {
        "version": 4,
        "terraform_version": terraform_version,
        "serial": 1,
        "lineage": str(uuid.uuid4()),
        "outputs": {},
        "resources": resources,
        "check_results": None,
    }


def write_estate(d, n, extras, tool):
    d.mkdir(parents=True, exist_ok=True)
    (d / "estate.tf").write_text(ESTATE_TF)
    (d / "terraform.tfvars").write_text(f"n = {n}\nwith_extras = {'true' if extras else 'false'}\nprefix = \"{PREFIX}\"\n")
    (d / ("provider.tf")).write_text(AIU_PROVIDER_TF if tool == "aiu" else TF_PROVIDER_TF)


def resources(n, extras):
    return n * (5 if extras else 3)


# ---------------------------------------------------------------- terraform


def find_tf_mirror(explicit):
    cands = []
    if explicit:
        cands.append(Path(explicit))
    for var in ("TF_PLUGIN_CACHE_DIR", "AIU_BENCH_TF_MIRROR"):
        if os.environ.get(var):
            cands.append(Path(os.environ[var]))
    home = Path.home()
    cands += [
        home / ".terraform.d/plugins",
        home / ".terraform.d/plugin-cache",
        home / ".local/share/terraform/plugins",
        Path("/usr/local/share/terraform/plugins"),
        Path("/usr/share/terraform/plugins"),
        Path("/opt/tf-plugins"),
        Path("/opt/terraform/plugins"),
    ]
    for c in cands:
        if list(c.glob("registry.terraform.io/hashicorp/aws/*/linux_amd64/terraform-provider-aws*")):
            return c
    return None


class Terraform:
    """`terraform` with a CLI config that installs hashicorp/aws from a local mirror only."""

    def __init__(self, workdir, mirror_flag):
        self.ok = False
        self.why = ""
        self.version = ""
        self.provider_version = ""
        exe = shutil.which("terraform")
        if not exe:
            self.why = "Terraform: no `terraform` on PATH"
            return
        self.exe = exe
        self.version = subprocess.run([exe, "version"], capture_output=True, text=True).stdout.splitlines()[0]
        self.version_number = self.version.removeprefix("Terraform v")
        mirror = find_tf_mirror(mirror_flag)
        self.rc = workdir / "terraformrc"
        if mirror:
            self.rc.write_text(
                'disable_checkpoint = true\nprovider_installation {\n  filesystem_mirror {\n'
                f'    path    = "{mirror}"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }}\n'
                '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n'
            )
        else:
            # No mirror: try anyway with the network disabled for the provider (fails offline).
            self.rc.write_text('disable_checkpoint = true\nprovider_installation {\n  direct {}\n}\n')
        probe = workdir / "tf-probe"
        write_estate(probe, 1, False, "tf")
        code, _, out = self.run(probe, ["init", "-input=false", "-no-color"], workdir / "tf-probe-init.log", timeout=300)
        if code != 0:
            self.why = "Terraform: provider not installable offline"
            log(f"terraform init failed (see {workdir / 'tf-probe-init.log'}); Terraform column skipped")
            return
        m = re.search(r"hashicorp/aws v([0-9]+(?:\.[0-9]+)*)", out)
        self.provider_version = m.group(1) if m else "?"
        self.mirror = mirror
        self.ok = True

    def env(self, d):
        env = clean_env(d)
        env["TF_CLI_CONFIG_FILE"] = str(self.rc)
        return env

    def run(self, d, args, log_path, timeout=7200):
        return run_cmd([self.exe] + args, d, self.env(d), log_path, timeout)


# ---------------------------------------------------------------- aiu runs


def aiu(bin_aiu, d, args, endpoint, log_path, timeout=7200):
    env = clean_env(d)
    env["AWS_ENDPOINT_URL"] = endpoint
    return run_cmd([str(bin_aiu)] + args, d, env, log_path, timeout)


def count_failures_aiu(out):
    return len(re.findall(r"^Error: .* failed$", out, re.M))


def count_failures_tf(out):
    return len(re.findall(r"^Error: ", out, re.M))


def calls_of(stats):
    return {k: v for k, v in sorted(stats["calls"].items())}


def median(xs):
    return statistics.median(xs) if xs else None


# ---------------------------------------------------------------- scenarios


def scenario_plan(a, n, bins, tf, wd, results):
    extras = True
    res = resources(n, extras)
    d = wd / f"plan-{n}"
    row = {"scenario": "plan", "n": n, "resources": res, "aiu": {}, "terraform": {}}
    results.append(row)
    moto = Moto()
    log(f"plan N={n}: moto on {moto.port}; populating {res} resources with aiu apply (no proxy)")
    try:
        write_estate(d / "aiu", n, extras, "aiu")
        code, dt, out = aiu(bins["aiu"], d / "aiu", ["apply", "-auto-approve", f"-parallelism={a.populate_parallelism}"], moto.url, d / "aiu-populate.log")
        row["aiu"]["populate_seconds"] = round(dt, 2)
        if code != 0:
            row["aiu"]["error"] = f"populate failed (exit {code}, {count_failures_aiu(out)} failures; {d / 'aiu-populate.log'})"
            log(row["aiu"]["error"])
            return
        code, dt, _ = aiu(bins["aiu"], d / "aiu", ["plan", "-detailed-exitcode"], moto.url, d / "aiu-plan-direct.log")
        row["aiu"]["direct_plan_exit"] = code
        row["aiu"]["direct_plan_seconds"] = round(dt, 2)
        if tf.ok:
            write_estate(d / "tf", n, extras, "tf")
            tf.run(d / "tf", ["init", "-input=false", "-no-color"], d / "tf-init.log", timeout=600)
            row["terraform"]["adopted_by"] = a.tf_adopt
            if a.tf_adopt == "import":
                (d / "tf" / "imports.tf").write_text(TF_IMPORTS_TF)
                log(f"plan N={n}: terraform import of {res} resources (no proxy)")
                code, dt, out = tf.run(
                    d / "tf",
                    ["apply", "-auto-approve", "-input=false", "-no-color", f"-parallelism={a.populate_parallelism}", f"-var=endpoint={moto.url}"],
                    d / "tf-populate.log",
                )
                row["terraform"]["populate_seconds"] = round(dt, 2)
                (d / "tf" / "imports.tf").unlink()
            else:
                log(f"plan N={n}: terraform state of {res} resources written from aiu's state")
                tf_state = tf_state_from_aiu(d / "aiu" / "state" / "default.aiustate.json", tf.version_number)
                (d / "tf" / "terraform.tfstate").write_text(json.dumps(tf_state, indent=2) + "\n")
                code = 0
            if code != 0:
                row["terraform"]["error"] = f"import failed (exit {code}; {d / 'tf-populate.log'})"
                log(row["terraform"]["error"])
            elif n < a.large:
                # Informational (Terraform's own cost without latency); at the large size it
                # would add as long as a measured plan, so it is skipped there.
                code, dt, _ = tf.run(d / "tf", ["plan", "-detailed-exitcode", "-input=false", "-no-color", "-lock=false", f"-var=endpoint={moto.url}"], d / "tf-plan-direct.log")
                row["terraform"]["direct_plan_exit"] = code
                row["terraform"]["direct_plan_seconds"] = round(dt, 2)
        proxy = NetProxy(bins["proxy"], moto.url, d / "proxy-stats.json", latency_ms=a.latency_ms, jitter_ms=a.jitter_ms, seed=1)
        try:
            runs = a.runs if n < a.large else a.runs_large
            tools = [("aiu", row["aiu"])] + ([("terraform", row["terraform"])] if tf.ok and "error" not in row["terraform"] else [])
            for tool, r in tools:
                r["runs"] = []
                for i in range(runs):
                    proxy.reset()
                    lp = d / f"{tool}-plan-{i}.log"
                    if tool == "aiu":
                        code, dt, out = aiu(bins["aiu"], d / "aiu", ["plan", "-detailed-exitcode", f"-parallelism={a.parallelism}"], proxy.url, lp)
                    else:
                        code, dt, out = tf.run(
                            d / "tf",
                            ["plan", "-detailed-exitcode", "-input=false", "-no-color", "-lock=false", f"-parallelism={a.parallelism}", f"-var=endpoint={proxy.url}"],
                            lp,
                            timeout=a.plan_time_limit,
                        )
                    st = proxy.stats()
                    if code == STOPPED:
                        # Unfinished at the limit: the limit is what is known (stopping took longer).
                        dt = a.plan_time_limit
                    r["runs"].append({"seconds": round(dt, 3), "exit": code, "calls": st["totals"]["requests"], "by_action": calls_of(st), "throttled": st["totals"]["throttled_rate"] + st["totals"]["throttled_random"]})
                    log(f"plan N={n} {tool} run {i + 1}/{runs}: {dt:.2f} s, {st['totals']['requests']} calls, exit {code}")
                    if code == STOPPED:
                        # Its time is only a lower bound; another run would say the same.
                        r["stopped_after"] = round(dt, 1)
                        log(f"plan N={n} {tool}: stopped at the --plan-time-limit of {a.plan_time_limit} s; no further runs")
                        break
                r["seconds"] = median([x["seconds"] for x in r["runs"]])
                r["calls"] = median([x["calls"] for x in r["runs"]])
                r["exit_codes"] = sorted({x["exit"] for x in r["runs"]}, key=str)
                r["by_action"] = r["runs"][-1]["by_action"]
        finally:
            proxy.stop()
    finally:
        moto.stop()
    if row["terraform"].get("seconds") and row["aiu"].get("seconds"):
        row["ratio_time"] = row["terraform"]["seconds"] / row["aiu"]["seconds"]
        row["ratio_calls"] = row["terraform"]["calls"] / max(row["aiu"]["calls"], 1)
        # A stopped plan's time and calls are lower bounds, and so are the ratios.
        row["ratios_are_lower_bounds"] = "stopped_after" in row["terraform"]


def scenario_apply(a, bins, tf, wd, results):
    n = a.apply_n
    res = resources(n, False)
    row = {"scenario": "apply", "n": n, "resources": res, "rate": a.rate, "aiu": {"runs": []}, "terraform": {"runs": []}}
    results.append(row)
    tools = ["aiu"] + (["terraform"] if tf.ok else [])
    for tool in tools:
        runs = a.apply_runs if tool == "aiu" else a.tf_apply_runs
        for i in range(runs):
            d = wd / f"apply-{n}" / f"{tool}-{i}"
            moto = Moto()
            try:
                write_estate(d, n, False, "aiu" if tool == "aiu" else "tf")
                if tool == "terraform":
                    tf.run(d, ["init", "-input=false", "-no-color"], d / "init.log", timeout=600)
                proxy = NetProxy(
                    bins["proxy"], moto.url, d / "proxy-stats.json", latency_ms=a.latency_ms, jitter_ms=a.jitter_ms, rate=a.rate, burst=a.rate, seed=i + 1
                )
                try:
                    log(f"apply {res} resources, {tool} run {i + 1}/{runs} at {a.rate}/s")
                    if tool == "aiu":
                        code, dt, out = aiu(bins["aiu"], d, ["apply", "-auto-approve", f"-parallelism={a.parallelism}"], proxy.url, d / "apply.log")
                        fails = count_failures_aiu(out)
                    else:
                        code, dt, out = tf.run(
                            d, ["apply", "-auto-approve", "-input=false", "-no-color", f"-parallelism={a.parallelism}", f"-var=endpoint={proxy.url}"], d / "apply.log"
                        )
                        fails = count_failures_tf(out)
                    st = proxy.stats()
                finally:
                    proxy.stop()
                # Converged? A plan straight against moto must show no changes.
                if tool == "aiu":
                    pc, _, _ = aiu(bins["aiu"], d, ["plan", "-detailed-exitcode"], moto.url, d / "plan-after.log")
                else:
                    pc, _, _ = tf.run(d, ["plan", "-detailed-exitcode", "-input=false", "-no-color", f"-var=endpoint={moto.url}"], d / "plan-after.log")
            finally:
                moto.stop()
            t = st["totals"]
            forwarded = t["forwarded"]
            floor = forwarded / a.rate
            run = {
                "seconds": round(dt, 3),
                "exit": code,
                "failures": fails,
                "plan_after_exit": pc,
                "requests": t["requests"],
                "forwarded": forwarded,
                "throttled": t["throttled_rate"],
                "floor_seconds": round(floor, 2),
                "ratio_to_floor": round(dt / floor, 3) if floor else None,
                "by_action": calls_of(st),
                "forwarded_by_action": {k: v["forwarded"] for k, v in sorted(st["actions"].items())},
            }
            row[tool]["runs"].append(run)
            log(f"apply {tool} run {i + 1}: {dt:.1f} s, exit {code}, {fails} failures, {t['requests']} requests ({forwarded} forwarded, {t['throttled_rate']} throttled), floor {floor:.1f} s, plan after exit {pc}")
    for tool in tools:
        r = row[tool]
        if r["runs"]:
            r["seconds"] = median([x["seconds"] for x in r["runs"]])
            r["floor_seconds"] = median([x["floor_seconds"] for x in r["runs"]])
            r["ratio_to_floor"] = median([x["ratio_to_floor"] for x in r["runs"]])
            r["forwarded"] = median([x["forwarded"] for x in r["runs"]])
            r["requests"] = median([x["requests"] for x in r["runs"]])
            r["failures"] = max(x["failures"] for x in r["runs"])
            r["exit_codes"] = sorted({x["exit"] for x in r["runs"]})
            r["plan_after_exits"] = sorted({x["plan_after_exit"] for x in r["runs"]})
    if row["terraform"].get("seconds") and row["aiu"].get("seconds"):
        row["ratio_time"] = row["terraform"]["seconds"] / row["aiu"]["seconds"]


def scenario_chaos(a, bins, wd, results):
    n = a.chaos_n
    res = resources(n, True)
    d = wd / f"chaos-{n}"
    write_estate(d, n, True, "aiu")
    row = {"scenario": "chaos", "n": n, "resources": res, "aiu": {}}
    results.append(row)
    moto = Moto()
    try:
        proxy = NetProxy(bins["proxy"], moto.url, d / "proxy-stats.json", latency_ms=a.latency_ms, jitter_ms=a.jitter_ms, throttle_rate=0.3, error_rate=0.05, seed=7)
        try:
            log(f"chaos: apply {res} resources at 30% throttling + 5% 5xx")
            code, dt, out = aiu(bins["aiu"], d, ["apply", "-auto-approve", f"-parallelism={a.parallelism}"], proxy.url, d / "apply.log")
            st = proxy.stats()
            proxy.reset()
            pc, pdt, _ = aiu(bins["aiu"], d, ["plan", "-detailed-exitcode"], proxy.url, d / "plan-after.log")
            st2 = proxy.stats()
        finally:
            proxy.stop()
    finally:
        moto.stop()
    t = st["totals"]
    row["aiu"] = {
        "seconds": round(dt, 2),
        "exit": code,
        "failures": count_failures_aiu(out),
        "requests": t["requests"],
        "forwarded": t["forwarded"],
        "throttled_random": t["throttled_random"],
        "injected_5xx": t["injected_5xx"],
        "plan_after_exit": pc,
        "plan_after_seconds": round(pdt, 2),
        "plan_after_requests": st2["totals"]["requests"],
        "by_action": calls_of(st),
    }
    log(f"chaos: exit {code}, {row['aiu']['failures']} failures, {t['requests']} requests; plan after exit {pc}")


# ---------------------------------------------------------------- report


def fmt_s(x):
    return "-" if x is None else f"{x:.2f} s"


def report(a, results, tf, meta):
    lines = []
    lines.append(f"Machine: {meta['machine']}; aiu {meta['git']}; {meta['terraform']}; latency {a.latency_ms} ms +/- {a.jitter_ms} ms; parallelism {a.parallelism}; {meta['date']}")
    lines.append("")
    plans = [r for r in results if r["scenario"] == "plan"]
    if plans:
        lines.append("Plan of an unchanged estate (refresh included), through the proxy; medians:")
        lines.append("")
        lines.append("| roles (resources) | aiu time | aiu calls | call budget ceil(N/100)+10 | Terraform time | Terraform calls | time ratio TF/aiu | calls ratio TF/aiu |")
        lines.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in plans:
            ai, t = r["aiu"], r["terraform"]
            budget = -(-r["n"] // 100) + 10
            tf_time = fmt_s(t.get("seconds")) if tf.ok else tf.why
            tf_calls = str(t.get("calls", "-")) if tf.ok else "-"
            over = "over " if r.get("ratios_are_lower_bounds") else ""
            if t.get("stopped_after"):
                tf_time = f"over {t['stopped_after']:.0f} s (stopped unfinished)"
                tf_calls = f"{over}{tf_calls}"
            if tf.ok and t.get("error"):
                tf_time = t["error"]
            ai_time = fmt_s(ai.get("seconds")) if not ai.get("error") else ai["error"]
            lines.append(
                f"| {r['n']:,} ({r['resources']:,}) | {ai_time} | {ai.get('calls', '-')} | {budget} | {tf_time} | {tf_calls} | "
                f"{(over + '%.1fx' % r['ratio_time']) if r.get('ratio_time') else '-'} | {(over + '%.1fx' % r['ratio_calls']) if r.get('ratio_calls') else '-'} |"
            )
        lines.append("")
    for r in [r for r in results if r["scenario"] == "apply"]:
        lines.append(f"Apply from empty of {r['n']} roles + {r['n']} policies + {r['n']} attachments ({r['resources']} resources), proxy limited to {r['rate']} requests/s (burst {r['rate']}); medians:")
        lines.append("")
        lines.append("| tool | runs | time | requests (forwarded / total) | floor = forwarded / rate | time / floor | failures | plan after apply |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---|")
        for tool in ("aiu", "terraform"):
            x = r[tool]
            if not x.get("runs"):
                lines.append(f"| {tool} | 0 | {tf.why if tool == 'terraform' else '-'} | | | | | |")
                continue
            pa = "no changes" if x["plan_after_exits"] == [0] else f"exit codes {x['plan_after_exits']}"
            lines.append(
                f"| {tool} | {len(x['runs'])} | {fmt_s(x['seconds'])} | {x['forwarded']} / {x['requests']} | {fmt_s(x['floor_seconds'])} | {x['ratio_to_floor']:.2f}x | {x['failures']} | {pa} |"
            )
        if r.get("ratio_time"):
            lines.append("")
            lines.append(f"Terraform / aiu apply time: {r['ratio_time']:.1f}x")
        lines.append("")
    for r in [r for r in results if r["scenario"] == "chaos"]:
        x = r["aiu"]
        lines.append(
            f"Chaos: aiu apply of {r['resources']} resources at 30% random throttling + 5% injected 5xx: exit {x['exit']}, {x['failures']} failures, "
            f"{x['requests']} requests ({x['throttled_random']} throttled, {x['injected_5xx']} 5xx), {fmt_s(x['seconds'])}; plan after: exit {x['plan_after_exit']} "
            f"({'no changes' if x['plan_after_exit'] == 0 else 'NOT converged' if x['plan_after_exit'] == 2 else 'error'})."
        )
        lines.append("")
    lines.append("Offline plan of 10,000 resources: `cargo bench -p aiu-engine --bench plan_scale` (BENCHMARKS.md, 'Plan at scale'); not rerun here.")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="100,1000", help="estate sizes N for the plan scenario (comma-separated), e.g. 100,1000,5000")
    p.add_argument("--scenarios", default="plan,apply,chaos", help="any of plan,apply,chaos")
    p.add_argument("--runs", type=int, default=3, help="repetitions per tool for N < --large")
    p.add_argument("--runs-large", type=int, default=1, help="repetitions per tool for N >= --large")
    p.add_argument("--large", type=int, default=5000)
    p.add_argument("--latency-ms", type=float, default=50)
    p.add_argument("--jitter-ms", type=float, default=10)
    p.add_argument("--parallelism", type=int, default=10, help="-parallelism of both tools (both default to 10)")
    p.add_argument("--populate-parallelism", type=int, default=10)
    p.add_argument("--apply-n", type=int, default=200)
    p.add_argument("--apply-runs", type=int, default=3)
    p.add_argument("--tf-apply-runs", type=int, default=1)
    p.add_argument("--rate", type=float, default=20)
    p.add_argument("--chaos-n", type=int, default=20, help="roles in the chaos scenario (5 resources each)")
    p.add_argument("--no-terraform", action="store_true")
    p.add_argument(
        "--plan-time-limit",
        type=float,
        default=3600,
        help="stop a Terraform plan still running after this many seconds and report its time as a lower bound (default 3600)",
    )
    p.add_argument(
        "--tf-adopt",
        choices=["state", "import"],
        default="state",
        help="how Terraform gets the estate aiu created: its state file written from aiu's (default), or `import` blocks applied (slow: unfinished after 23 minutes at 5,000 roles)",
    )
    p.add_argument("--tf-mirror", help="directory of a Terraform provider filesystem mirror holding hashicorp/aws")
    p.add_argument("--no-build", action="store_true", help="use the existing target/release binaries")
    p.add_argument("--out", help="work directory (default target/bench-estate/<time>)")
    p.add_argument("--aiu-label", help="how to name the aiu build in the report (default: git describe of this checkout)")
    p.add_argument("--bin-dir", default=str(ROOT / "target/release"), help="where aiu and aiu-netproxy are (default target/release)")
    a = p.parse_args()
    sizes = [int(s) for s in a.sizes.split(",") if s.strip()]
    scenarios = {s.strip() for s in a.scenarios.split(",") if s.strip()}

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    wd = Path(a.out).resolve() if a.out else ROOT / "target/bench-estate" / stamp
    wd.mkdir(parents=True, exist_ok=True)
    if not a.no_build:
        log("cargo build --release -p aiu -p aiu-netproxy")
        subprocess.run(["cargo", "build", "--release", "-p", "aiu", "-p", "aiu-netproxy"], cwd=ROOT, check=True)
    bins = {"aiu": Path(a.bin_dir).resolve() / "aiu", "proxy": Path(a.bin_dir).resolve() / "aiu-netproxy"}
    for b in bins.values():
        if not b.exists():
            sys.exit(f"{b} missing (build it or drop --no-build)")

    class NoTf:
        ok = False
        why = "Terraform: not run (--no-terraform)"
        version = ""
        provider_version = ""

    tf = NoTf() if a.no_terraform else Terraform(wd, a.tf_mirror)
    git = a.aiu_label or subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    except Exception:
        pass
    cpu = ""
    try:
        m = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
        cpu = f" ({m.group(1).strip()})" if m else ""
    except Exception:
        pass
    meta = {
        "machine": f"{os.cpu_count()} cores{cpu}{mem}, {platform.system()} {platform.machine()}",
        "git": git,
        "terraform": f"{tf.version} + hashicorp/aws {tf.provider_version}" if tf.ok else tf.why,
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "command": "scripts/bench-estate " + " ".join(sys.argv[1:]),
        "moto": subprocess.run([sys.executable, "-c", "import moto; print(moto.__version__)"], capture_output=True, text=True).stdout.strip(),
    }
    log(f"work dir {wd}; {meta['terraform']}")
    results = []
    t0 = time.monotonic()
    try:
        if "plan" in scenarios:
            for n in sizes:
                scenario_plan(a, n, bins, tf, wd, results)
        if "apply" in scenarios:
            scenario_apply(a, bins, tf, wd, results)
        if "chaos" in scenarios:
            scenario_chaos(a, bins, wd, results)
    finally:
        meta["suite_seconds"] = round(time.monotonic() - t0, 1)
        (wd / "results.json").write_text(json.dumps({"meta": meta, "args": vars(a), "results": results}, indent=2) + "\n")
    text = report(a, results, tf, meta)
    (wd / "report.md").write_text(text + "\n")
    print(text)
    log(f"suite took {meta['suite_seconds']} s; results in {wd}/results.json, table in {wd}/report.md")


if __name__ == "__main__":
    main()
