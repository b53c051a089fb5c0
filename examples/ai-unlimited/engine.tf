# ------------------------------------------------------------------------------------------
# Engine role: the role AI Unlimited passes to the engine nodes. Enter its name as
# "Default IAM role" in the AI Unlimited setup (or iamrole= when deploying) so the manager
# uses it instead of creating one per deploy. It may only read the engine secrets.

resource "aws_iam_role" "engine" {
  name                 = "${var.name_prefix}-engine"
  path                 = var.iam_path
  description          = "AI Unlimited engine nodes"
  assume_role_policy   = data.aws_iam_policy_document.ec2_trust.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = merge(var.tags, { Component = "engine" })
}

locals {
  # Secrets Manager ARNs end in "-" and 6 random characters, so every secret pattern keeps a
  # trailing "*": compute-engine/CLUSTER/SECRET alone would match no real secret.
  engine_secrets_arn_prefix = "arn:aws:secretsmanager:${local.region}:${local.account_id}:secret:compute-engine/"
}

# ai-unlimited-engine.json with <REGION> and <ACCOUNT_ID> filled in from the provider and the
# caller identity. The cluster names are not known in advance, hence compute-engine/*: every
# engine may read every engine's secrets. Used when var.clusters is empty (the default).
data "aws_iam_policy_document" "engine_secrets" {
  count = length(var.clusters) == 0 ? 1 : 0

  statement {
    effect    = "Allow"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["${local.engine_secrets_arn_prefix}*"]
  }
}

resource "aws_iam_role_policy" "engine_secrets" {
  count = length(var.clusters) == 0 ? 1 : 0

  name   = "${var.name_prefix}-engine-secrets"
  role   = aws_iam_role.engine.name
  policy = data.aws_iam_policy_document.engine_secrets[0].json
}

# With var.clusters: instead, one policy per cluster name, restricted to that cluster's secrets
# (compute-engine/CLUSTER/*, like the policy the manager writes when it creates the engine role
# itself). Engines of clusters not listed can then read no secret: list every cluster name
# users will deploy.
data "aws_iam_policy_document" "engine_cluster" {
  for_each = var.clusters

  statement {
    effect    = "Allow"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["${local.engine_secrets_arn_prefix}${each.key}/*"]
  }
}

resource "aws_iam_role_policy" "engine_cluster" {
  for_each = var.clusters

  name   = "${var.name_prefix}-engine-cluster-${each.key}"
  role   = aws_iam_role.engine.name
  policy = data.aws_iam_policy_document.engine_cluster[each.key].json
}
