# ------------------------------------------------------------------------------------------
# Manager permissions.
#
# Faithful (default): ai-unlimited-workspaces.json, one statement with 99 actions on "*"; or,
# without engine-role creation, ai-unlimited-workspaces-without-iam-role-permissions.json:
# the same minus iam:CreateRole, iam:DeleteRole and iam:DeleteRolePolicy (96 actions).
#
# least_privilege = true: the same actions, but the role-writing ones move to a second
# statement limited to the engine role (and, with engine-role creation, to roles named
# <engine_role_prefix>*), so the manager can no longer pass or rewrite arbitrary roles,
# including its own.

locals {
  # Creating and deleting engine roles: only in ai-unlimited-workspaces.json, i.e. when the
  # manager may create engine roles itself (allow_engine_role_creation).
  manager_engine_role_actions = [
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
  ]

  # Passing a role to EC2 / CloudFormation and writing a role's inline policy. On "*" (as
  # published) these let the manager grant itself anything; least_privilege scopes them.
  manager_role_write_actions = [
    "iam:PassRole",
    "iam:PutRolePolicy",
  ]

  # The engine's instance profile, reading roles, tagging.
  manager_iam_actions = [
    "iam:AddRoleToInstanceProfile",
    "iam:CreateInstanceProfile",
    "iam:DeleteInstanceProfile",
    "iam:GetInstanceProfile",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:ListRolePolicies",
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

locals {
  engine_role_prefix = coalesce(var.engine_role_prefix, "${var.name_prefix}-engine-")

  # Role-writing actions of this variant.
  manager_scoped_actions = concat(
    local.manager_role_write_actions,
    local.engine_role_creation ? local.manager_engine_role_actions : [],
  )

  # The roles they may act on with least_privilege: the engine role created here and, when the
  # manager creates engine roles itself, those it names with the setup's "Role prefix".
  manager_scoped_roles = concat(
    [aws_iam_role.engine.arn],
    local.engine_role_creation ? ["arn:aws:iam::${local.account_id}:role/${local.engine_role_prefix}*"] : [],
  )

  workspaces_policy_name = local.engine_role_creation ? "${var.name_prefix}-workspaces" : "${var.name_prefix}-workspaces-without-iam-role-permissions"

  managed = var.manager_policy_type == "managed"
}

data "aws_iam_policy_document" "workspaces" {
  statement {
    effect = "Allow"
    actions = concat(
      var.least_privilege ? [] : local.manager_scoped_actions,
      local.manager_iam_actions,
      local.manager_ec2_compute_actions,
      local.manager_ec2_network_actions,
      local.manager_ec2_describe_actions,
      local.manager_other_actions,
    )
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = var.least_privilege ? [1] : []

    content {
      sid       = "EngineRolesOnly"
      effect    = "Allow"
      actions   = local.manager_scoped_actions
      resources = local.manager_scoped_roles
    }
  }
}

# As a customer managed policy attached to the manager role ...
resource "aws_iam_policy" "workspaces" {
  count = local.managed ? 1 : 0

  name        = local.workspaces_policy_name
  path        = var.iam_path
  description = "AI Unlimited manager: deploys and removes engines"
  policy      = data.aws_iam_policy_document.workspaces.json
  tags        = var.tags
}

resource "aws_iam_role_policy_attachment" "workspaces" {
  count = local.managed ? 1 : 0

  role       = local.manager_role_name
  policy_arn = aws_iam_policy.workspaces[0].arn
}

# ... or as an inline policy of the manager role.
resource "aws_iam_role_policy" "workspaces" {
  count = local.managed ? 0 : 1

  name   = local.workspaces_policy_name
  role   = local.manager_role_name
  policy = data.aws_iam_policy_document.workspaces.json
}

# ------------------------------------------------------------------------------------------
# Optional Session Manager access to the manager instance (session-manager.json:
# AmazonSSMManagedInstanceCore minus ssm:GetParameter(s)). CloudFormation adds it only in
# new-role mode; here it works in both.

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
  count = var.include_session_manager && local.managed ? 1 : 0

  name        = "${var.name_prefix}-session-manager"
  path        = var.iam_path
  description = "Session Manager access to the AI Unlimited manager instance"
  policy      = data.aws_iam_policy_document.session_manager[0].json
  tags        = var.tags
}

resource "aws_iam_role_policy_attachment" "session_manager" {
  count = var.include_session_manager && local.managed ? 1 : 0

  role       = local.manager_role_name
  policy_arn = aws_iam_policy.session_manager[0].arn
}

resource "aws_iam_role_policy" "session_manager" {
  count = var.include_session_manager && !local.managed ? 1 : 0

  name   = "${var.name_prefix}-session-manager"
  role   = local.manager_role_name
  policy = data.aws_iam_policy_document.session_manager[0].json
}
