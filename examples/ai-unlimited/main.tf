# Teradata AI Unlimited on AWS: the IAM roles, policies and instance profile of the manager
# (the EC2 instance that runs the AI Unlimited containers) and of the engine (the EC2 nodes
# the manager deploys). The permissions reproduce the published policy files of
# github.com/Teradata/ai-unlimited (deployments/aws/policies), written as policy documents.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region = var.region
}

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name

  engine_role_creation = coalesce(var.allow_engine_role_creation, var.create_manager_role)

  manager_role_name = var.create_manager_role ? aws_iam_role.manager[0].name : data.aws_iam_role.existing_manager[0].name
  manager_role_arn  = var.create_manager_role ? aws_iam_role.manager[0].arn : data.aws_iam_role.existing_manager[0].arn
}

# -------------------------------------------------------------------------------------------
# Trust: both roles are used by EC2 instances through instance profiles.

data "aws_iam_policy_document" "ec2_trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

# -------------------------------------------------------------------------------------------
# Manager role: created here, or an existing one looked up by name.

resource "aws_iam_role" "manager" {
  count = var.create_manager_role ? 1 : 0

  name                 = "${var.name_prefix}-manager"
  path                 = "/"
  description          = "AI Unlimited manager (EC2 instance running the AI Unlimited containers)"
  assume_role_policy   = data.aws_iam_policy_document.ec2_trust.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = merge(var.tags, { Component = "manager" })
}

data "aws_iam_role" "existing_manager" {
  count = var.create_manager_role ? 0 : 1

  name = var.existing_manager_role_name
}

# -------------------------------------------------------------------------------------------
# Manager permissions (ai-unlimited-workspaces.json). One statement on "*", as published.
# Without engine-role creation it is ai-unlimited-workspaces-without-iam-role-permissions.json:
# the same list minus iam:CreateRole, iam:DeleteRole and iam:DeleteRolePolicy.

locals {
  # Engine role lifecycle the manager performs when it creates engine roles itself.
  manager_engine_role_actions = [
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
  ]

  # Passing the engine role, managing its instance profile and inline policy.
  manager_iam_actions = [
    "iam:PassRole",
    "iam:AddRoleToInstanceProfile",
    "iam:CreateInstanceProfile",
    "iam:DeleteInstanceProfile",
    "iam:GetInstanceProfile",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:ListRolePolicies",
    "iam:PutRolePolicy",
    "iam:RemoveRoleFromInstanceProfile",
    "iam:TagRole",
    "iam:TagInstanceProfile",
  ]

  # Engine instances, launch templates, security groups, placement groups, key pairs, tags.
  manager_ec2_compute_actions = [
    "ec2:TerminateInstances",
    "ec2:RunInstances",
    "ec2:ModifyInstanceAttribute",
    "ec2:ImportKeyPair",
    "ec2:DeleteKeyPair",
    "ec2:CreateLaunchTemplate",
    "ec2:CreateLaunchTemplateVersion",
    "ec2:DeleteLaunchTemplate",
    "ec2:DeleteLaunchTemplateVersions",
    "ec2:CreateSecurityGroup",
    "ec2:DeleteSecurityGroup",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:AuthorizeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress",
    "ec2:RevokeSecurityGroupEgress",
    "ec2:CreatePlacementGroup",
    "ec2:DeletePlacementGroup",
    "ec2:CreateTags",
    "ec2:DeleteTags",
  ]

  # The network the manager builds when no subnet is given, and static IPs.
  manager_ec2_network_actions = [
    "ec2:CreateVpc",
    "ec2:DeleteVpc",
    "ec2:ModifyVpcAttribute",
    "ec2:CreateSubnet",
    "ec2:DeleteSubnet",
    "ec2:ModifySubnetAttribute",
    "ec2:CreateInternetGateway",
    "ec2:AttachInternetGateway",
    "ec2:DetachInternetGateway",
    "ec2:DeleteInternetGateway",
    "ec2:CreateRouteTable",
    "ec2:AssociateRouteTable",
    "ec2:DisassociateRouteTable",
    "ec2:DeleteRouteTable",
    "ec2:CreateRoute",
    "ec2:DeleteRoute",
    "ec2:AssociateAddress",
    "ec2:DisassociateAddress",
  ]

  manager_ec2_describe_actions = [
    "ec2:DescribeVpcs",
    "ec2:DescribeVolumes",
    "ec2:DescribeTags",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribePlacementGroups",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeLaunchTemplates",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:DescribeKeyPairs",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeInstanceTypeOfferings",
    "ec2:DescribeInstances",
    "ec2:DescribeInstanceAttribute",
    "ec2:DescribeImages",
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeManagedPrefixLists",
    "ec2:DescribeVpcAttribute",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeRouteTables",
    "ec2:DescribeAddresses",
  ]

  # Engine secrets, temporary storage, engine stacks, parameters and DNS records.
  manager_other_actions = [
    "secretsmanager:CreateSecret",
    "secretsmanager:DeleteSecret",
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetResourcePolicy",
    "secretsmanager:GetSecretValue",
    "secretsmanager:PutSecretValue",
    "secretsmanager:TagResource",
    "s3:CreateBucket",
    "s3:DeleteBucket",
    "s3:PutObject",
    "s3:GetObject",
    "s3:DeleteObject",
    "cloudformation:CreateStack",
    "cloudformation:DeleteStack",
    "cloudformation:DescribeStacks",
    "cloudformation:ListStacks",
    "cloudformation:DescribeStackEvents",
    "ssm:PutParameter",
    "ssm:GetParameter",
    "ssm:DeleteParameter",
    "route53:GetHostedZone",
    "route53:ChangeResourceRecordSets",
    "route53:GetChange",
  ]
}

data "aws_iam_policy_document" "workspaces" {
  statement {
    effect = "Allow"
    actions = concat(
      local.manager_iam_actions,
      local.engine_role_creation ? local.manager_engine_role_actions : [],
      local.manager_ec2_compute_actions,
      local.manager_ec2_network_actions,
      local.manager_ec2_describe_actions,
      local.manager_other_actions,
    )
    resources = ["*"]
  }
}

resource "aws_iam_policy" "workspaces" {
  name        = local.engine_role_creation ? "${var.name_prefix}-workspaces" : "${var.name_prefix}-workspaces-without-iam-role-permissions"
  description = "AI Unlimited manager: deploys and removes engines"
  policy      = data.aws_iam_policy_document.workspaces.json
  tags        = var.tags
}

resource "aws_iam_role_policy_attachment" "workspaces" {
  role       = local.manager_role_name
  policy_arn = aws_iam_policy.workspaces.arn
}

# -------------------------------------------------------------------------------------------
# Optional Session Manager access to the manager instance (session-manager.json).

data "aws_iam_policy_document" "session_manager" {
  count = var.include_session_manager ? 1 : 0

  statement {
    effect = "Allow"
    actions = [
      "ssm:DescribeAssociation",
      "ssm:GetDeployablePatchSnapshotForInstance",
      "ssm:GetDocument",
      "ssm:DescribeDocument",
      "ssm:GetManifest",
      "ssm:ListAssociations",
      "ssm:ListInstanceAssociations",
      "ssm:PutInventory",
      "ssm:PutComplianceItems",
      "ssm:PutConfigurePackageResult",
      "ssm:UpdateAssociationStatus",
      "ssm:UpdateInstanceAssociationStatus",
      "ssm:UpdateInstanceInformation",
    ]
    resources = ["*"]
  }

  statement {
    effect = "Allow"
    actions = [
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
    ]
    resources = ["*"]
  }

  statement {
    effect = "Allow"
    actions = [
      "ec2messages:AcknowledgeMessage",
      "ec2messages:DeleteMessage",
      "ec2messages:FailMessage",
      "ec2messages:GetEndpoint",
      "ec2messages:GetMessages",
      "ec2messages:SendReply",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "session_manager" {
  count = var.include_session_manager ? 1 : 0

  name        = "${var.name_prefix}-session-manager"
  description = "Session Manager access to the AI Unlimited manager instance"
  policy      = data.aws_iam_policy_document.session_manager[0].json
  tags        = var.tags
}

resource "aws_iam_role_policy_attachment" "session_manager" {
  count = var.include_session_manager ? 1 : 0

  role       = local.manager_role_name
  policy_arn = aws_iam_policy.session_manager[0].arn
}

# -------------------------------------------------------------------------------------------
# The manager instance's profile (CloudFormation always creates it, in both modes).

resource "aws_iam_instance_profile" "manager" {
  name = "${var.name_prefix}-manager"
  path = "/"
  role = local.manager_role_name
  tags = var.tags
}

# -------------------------------------------------------------------------------------------
# Engine role: named in the AI Unlimited setup as "Default IAM role" (or iamrole=) so the
# manager uses it instead of creating one per deploy. It may only read the engine secrets
# (ai-unlimited-engine.json, with <REGION> and <ACCOUNT_ID> filled in).

resource "aws_iam_role" "engine" {
  name                 = "${var.name_prefix}-engine"
  path                 = "/"
  description          = "AI Unlimited engine nodes"
  assume_role_policy   = data.aws_iam_policy_document.ec2_trust.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = merge(var.tags, { Component = "engine" })
}

data "aws_iam_policy_document" "engine_secrets" {
  statement {
    effect    = "Allow"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["arn:aws:secretsmanager:${local.region}:${local.account_id}:secret:compute-engine/*"]
  }
}

resource "aws_iam_role_policy" "engine_secrets" {
  name   = "${var.name_prefix}-engine-secrets"
  role   = aws_iam_role.engine.id
  policy = data.aws_iam_policy_document.engine_secrets.json
}
