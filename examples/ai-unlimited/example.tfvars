# A sample variables file. Copy it to terraform.tfvars (or aiu.tfvars) to have it read
# automatically, or pass it explicitly: aiu plan -var-file=example.tfvars
# Every line is optional: the defaults give new-role mode with the published policies.

region      = "us-west-2"
name_prefix = "ai-unlimited"
iam_path    = "/"

tags = {
  Project   = "ai-unlimited"
  ManagedBy = "aiu"
  Owner     = "data-platform"
}

# permissions_boundary_arn = "arn:aws:iam::111111111111:policy/ai-unlimited-boundary"

# --- Manager role ------------------------------------------------------------------------
# New-role mode (CloudFormation IamRole=New): this configuration creates the manager role.
create_manager_role = true

# Existing-role mode (CloudFormation IamRole=Existing): uncomment both lines. The role must
# already exist and trust ec2.amazonaws.com; it is read, and the manager's policies and the
# instance profile are added around it.
# create_manager_role        = false
# existing_manager_role_name = "ai-unlimited-iam-role"

# null: the manager may create engine roles in new-role mode only.
# allow_engine_role_creation = false

# "managed" (customer managed policies + attachments) or "inline" (role policies).
manager_policy_type = "managed"

# Session Manager access to the manager instance.
include_session_manager = true

# --- Engine role -------------------------------------------------------------------------
# Empty: the engine role reads every compute-engine/* secret (as published). With names: only
# the secrets compute-engine/<cluster>/* of these clusters, one policy each.
clusters = []
# clusters = ["sales-analytics", "fraud"]

# --- Least privilege ---------------------------------------------------------------------
# true: iam:PassRole and iam:PutRolePolicy (and CreateRole/DeleteRole/DeleteRolePolicy when
# the manager creates engine roles) only on the engine role and roles named engine_role_prefix*.
least_privilege = false
# engine_role_prefix = "ai-unlimited-engine-"
