# Every variable has a default: `aiu plan --offline` runs with no input (new-role mode, the
# published "faithful" policies, Session Manager on, no per-cluster policies).

variable "region" {
  description = "AWS region the manager and the engines run in. The engine's secret ARNs use the region the provider reports (data.aws_region)."
  type        = string
  default     = "us-west-2"
}

# ------------------------------------------------------------------------------------------
# Naming

variable "name_prefix" {
  description = "Prefix of every IAM name this configuration creates: <prefix>-manager, <prefix>-engine, <prefix>-workspaces, ..."
  type        = string
  default     = "ai-unlimited"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be 1-40 characters of letters, digits and +=,.@_- (IAM names are at most 64 characters)."
  }
}

variable "iam_path" {
  description = "IAM path of the roles, managed policies and instance profile created here (CloudFormation uses \"/\")."
  type        = string
  default     = "/"

  validation {
    condition     = can(regex("^/([\\x21-\\x7E]*/)?$", var.iam_path))
    error_message = "iam_path must begin and end with \"/\", e.g. \"/\" or \"/ai-unlimited/\"."
  }
}

variable "tags" {
  description = "Tags of every taggable object (roles, managed policies, instance profile)."
  type        = map(string)
  default = {
    Project   = "ai-unlimited"
    ManagedBy = "aiu"
  }
}

variable "permissions_boundary_arn" {
  description = "ARN of a permissions boundary policy for the roles created here (manager and engine), or null for none."
  type        = string
  default     = null
}

# ------------------------------------------------------------------------------------------
# Manager role: new or existing

variable "create_manager_role" {
  description = "true: create the manager role (CloudFormation IamRole=New). false: use the role named by existing_manager_role_name (IamRole=Existing); it is read, never changed or deleted."
  type        = bool
  default     = true
}

variable "existing_manager_role_name" {
  description = "Name of the existing manager role; only used when create_manager_role = false. Its trust policy must allow ec2.amazonaws.com to assume it."
  type        = string
  default     = ""
}

variable "allow_engine_role_creation" {
  description = "Let the manager create and delete engine roles itself (iam:CreateRole, iam:DeleteRole, iam:DeleteRolePolicy: ai-unlimited-workspaces.json). false gives ai-unlimited-workspaces-without-iam-role-permissions.json. null (default): true when the manager role is created here, false in existing-role mode."
  type        = bool
  default     = null
}

variable "manager_policy_type" {
  description = "How the manager's permissions (workspaces and Session Manager) are given to its role: \"managed\" (customer managed policies + attachments, as the AI Unlimited docs describe) or \"inline\" (role policies, as the CloudFormation template does)."
  type        = string
  default     = "managed"

  validation {
    condition     = contains(["managed", "inline"], var.manager_policy_type)
    error_message = "manager_policy_type must be \"managed\" or \"inline\"."
  }
}

variable "include_session_manager" {
  description = "Give the manager role the Session Manager permissions (session-manager.json), so the manager instance can be reached with AWS Systems Manager Session Manager."
  type        = bool
  default     = true
}

# ------------------------------------------------------------------------------------------
# Engine role

variable "clusters" {
  description = "Engine cluster names. Empty (default): the engine role reads the secrets of every cluster (compute-engine/*, as published). Otherwise it gets one policy per cluster, restricted to arn:...:secret:compute-engine/<CLUSTER>/*, instead of the compute-engine/* policy."
  type        = set(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.clusters : can(regex("^[A-Za-z0-9_-]{1,40}$", c))])
    error_message = "Each cluster name must be 1-40 letters, digits, \"_\" or \"-\"."
  }
}

# ------------------------------------------------------------------------------------------
# Least privilege

variable "least_privilege" {
  description = "false (default): the published policies, every action on \"*\". true: iam:PassRole and iam:PutRolePolicy (and, when the manager may create engine roles, iam:CreateRole, iam:DeleteRole, iam:DeleteRolePolicy) only on the engine role and on roles named <engine_role_prefix>*, instead of on every role in the account."
  type        = bool
  default     = false
}

variable "engine_role_prefix" {
  description = "With least_privilege and engine-role creation: the \"Role prefix\" entered in the AI Unlimited setup; the manager may pass and write only roles whose name starts with it. null: \"<name_prefix>-engine-\"."
  type        = string
  default     = null
}
