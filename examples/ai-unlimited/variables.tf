variable "region" {
  description = "AWS region the manager and the engines run in (also used in the engine's secret ARNs)."
  type        = string
  default     = "us-west-2"
}

variable "name_prefix" {
  description = "Prefix of every IAM name this configuration creates."
  type        = string
  default     = "ai-unlimited"
}

variable "create_manager_role" {
  description = "Create the manager role (CloudFormation IamRole=New). When false, existing_manager_role_name names a role that already exists (IamRole=Existing)."
  type        = bool
  default     = true
}

variable "existing_manager_role_name" {
  description = "Name of the existing manager role, used only when create_manager_role is false. Its trust policy must allow ec2.amazonaws.com."
  type        = string
  default     = ""
}

variable "allow_engine_role_creation" {
  description = "Let the manager create and delete engine roles itself (iam:CreateRole, iam:DeleteRole, iam:DeleteRolePolicy). null means: only when this configuration also creates the manager role."
  type        = bool
  default     = null
}

variable "include_session_manager" {
  description = "Give the manager role the Session Manager permissions (session-manager.json)."
  type        = bool
  default     = true
}

variable "permissions_boundary_arn" {
  description = "ARN of a permissions boundary policy for the roles this configuration creates, or null for none."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every taggable object."
  type        = map(string)
  default = {
    Project   = "ai-unlimited"
    ManagedBy = "aiu"
  }
}
