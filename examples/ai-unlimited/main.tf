# Teradata AI Unlimited on AWS: the IAM side of an installation.
#
#   manager  the EC2 instance the AI Unlimited CloudFormation template installs (it runs the
#            ai-unlimited-workspaces, -ui and -scheduler containers): a role, its permissions
#            and the instance profile it is launched with.                    -> main.tf, manager_policies.tf
#   engine   the EC2 nodes the manager deploys when a user starts an engine: a role that only
#            reads the engine's secrets; its name goes into the AI Unlimited setup as
#            "Default IAM role".                                              -> engine.tf
#
# The permissions restate the published policy files of github.com/Teradata/ai-unlimited
# (deployments/aws/policies) as aws_iam_policy_document blocks, so they can be parameterised
# and diffed. Two install modes:
#
#   new-role mode       create_manager_role = true (default), CloudFormation IamRole=New
#   existing-role mode  create_manager_role = false + existing_manager_role_name,
#                       CloudFormation IamRole=Existing; the role is read, never modified
#                       beyond attaching the manager's policies to it.

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

  # In new-role mode the manager may create engine roles (ai-unlimited-workspaces.json); with
  # an existing role it gets the variant without (…-without-iam-role-permissions.json).
  engine_role_creation = coalesce(var.allow_engine_role_creation, var.create_manager_role)

  # The manager role, created here or looked up: exactly one of the two lists has an element.
  manager_role_name = one(concat(aws_iam_role.manager[*].name, data.aws_iam_role.existing_manager[*].name))
  manager_role_arn  = one(concat(aws_iam_role.manager[*].arn, data.aws_iam_role.existing_manager[*].arn))
}

# ------------------------------------------------------------------------------------------
# Trust policy of both roles: they are used by EC2 instances through instance profiles.

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

# ------------------------------------------------------------------------------------------
# Manager role: created here (new-role mode) or an existing one looked up by name.

resource "aws_iam_role" "manager" {
  count = var.create_manager_role ? 1 : 0

  name                 = "${var.name_prefix}-manager"
  path                 = var.iam_path
  description          = "AI Unlimited manager (EC2 instance running the AI Unlimited containers)"
  assume_role_policy   = data.aws_iam_policy_document.ec2_trust.json
  permissions_boundary = var.permissions_boundary_arn
  tags                 = merge(var.tags, { Component = "manager" })
}

data "aws_iam_role" "existing_manager" {
  count = var.create_manager_role ? 0 : 1

  name = var.existing_manager_role_name
}

# ------------------------------------------------------------------------------------------
# The manager instance's profile. CloudFormation creates one in both modes; pass its name to
# the template (or launch the manager instance with it).

resource "aws_iam_instance_profile" "manager" {
  name = "${var.name_prefix}-manager"
  path = var.iam_path
  role = local.manager_role_name
  tags = merge(var.tags, { Component = "manager" })
}
