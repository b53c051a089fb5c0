output "manager_role_name" {
  description = "The manager role (created or existing)."
  value       = local.manager_role_name
}

output "manager_role_arn" {
  description = "ARN of the manager role."
  value       = local.manager_role_arn
}

output "manager_instance_profile_name" {
  description = "Instance profile to launch the AI Unlimited manager instance with (CloudFormation: the profile of the manager instance)."
  value       = aws_iam_instance_profile.manager.name
}

output "workspaces_policy_name" {
  description = "Name of the manager's workspaces policy (managed or inline, depending on manager_policy_type)."
  value       = local.workspaces_policy_name
}

output "engine_role_name" {
  description = "Engine role name: enter it as \"Default IAM role\" in the AI Unlimited setup (or iamrole= when deploying)."
  value       = aws_iam_role.engine.name
}

output "engine_role_arn" {
  description = "ARN of the engine role."
  value       = aws_iam_role.engine.arn
}
