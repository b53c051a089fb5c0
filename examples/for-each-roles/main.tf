# One role per service, created with for_each over a map; a shared managed policy attached to
# every role with count; an optional read-only attachment for selected roles.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

variable "region" {
  description = "AWS region of the provider."
  type        = string
  default     = "us-west-2"
}

variable "prefix" {
  description = "Prefix of every name."
  type        = string
  default     = "aiu-example"
}

variable "services" {
  description = "Role key => the AWS service principal allowed to assume that role."
  type        = map(string)
  default = {
    api    = "ecs-tasks.amazonaws.com"
    worker = "ec2.amazonaws.com"
    batch  = "batch.amazonaws.com"
  }
}

variable "read_only_roles" {
  description = "Keys of the roles that also get the AWS managed ReadOnlyAccess policy."
  type        = list(string)
  default     = ["worker"]
}

variable "tags" {
  type = map(string)
  default = {
    Project   = "aiu-examples"
    ManagedBy = "aiu"
  }
}

provider "aws" {
  region = var.region
}

locals {
  # keys() returns the keys in lexical order, so count indexes stay stable.
  role_keys = keys(var.services)
}

resource "aws_iam_role" "service" {
  for_each = var.services

  name        = "${var.prefix}-${each.key}"
  description = "Role of the ${each.key} service (${each.value})"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Action    = "sts:AssumeRole"
        Principal = { Service = each.value }
      },
    ]
  })
  tags = merge(var.tags, { Service = each.key })
}

# Shared by every role: read the common configuration parameters.
resource "aws_iam_policy" "shared" {
  name        = "${var.prefix}-shared-config"
  description = "Read the shared configuration parameters of ${var.prefix}"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadSharedConfig"
        Effect   = "Allow"
        Action   = ["ssm:GetParameter", "ssm:GetParametersByPath"]
        Resource = "arn:aws:ssm:${var.region}:*:parameter/${var.prefix}/shared/*"
      },
    ]
  })
  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "shared" {
  count = length(local.role_keys)

  role       = aws_iam_role.service[local.role_keys[count.index]].name
  policy_arn = aws_iam_policy.shared.arn
}

resource "aws_iam_role_policy_attachment" "read_only" {
  count = length(var.read_only_roles)

  role       = aws_iam_role.service[var.read_only_roles[count.index]].name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

output "role_names" {
  value = { for key, role in aws_iam_role.service : key => role.name }
}

output "role_arns" {
  value = { for key, role in aws_iam_role.service : key => role.arn }
}
