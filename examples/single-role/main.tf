# One application role for EC2 instances: an inline policy built with
# aws_iam_policy_document, a managed policy attached to the role, and an instance profile.

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

variable "name" {
  description = "Name of the role, its inline policy, managed policy and instance profile."
  type        = string
  default     = "aiu-example-app"
}

variable "bucket_name" {
  description = "S3 bucket the application reads from."
  type        = string
  default     = "aiu-example-data"
}

variable "tags" {
  description = "Tags for the role, the policy and the instance profile."
  type        = map(string)
  default = {
    Project   = "aiu-examples"
    ManagedBy = "aiu"
  }
}

provider "aws" {
  region = var.region
}

data "aws_iam_policy_document" "trust" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "app" {
  name               = var.name
  description        = "Application instances of ${var.name}"
  assume_role_policy = data.aws_iam_policy_document.trust.json
  tags               = var.tags
}

# Inline policy: read the application's bucket.
data "aws_iam_policy_document" "read_data" {
  statement {
    sid       = "ListBucket"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::${var.bucket_name}"]
  }

  statement {
    sid       = "ReadObjects"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::${var.bucket_name}/*"]
  }
}

resource "aws_iam_role_policy" "read_data" {
  name   = "${var.name}-read-data"
  role   = aws_iam_role.app.id
  policy = data.aws_iam_policy_document.read_data.json
}

# Managed policy: write logs, attached to the role.
resource "aws_iam_policy" "logs" {
  name        = "${var.name}-logs"
  description = "Write CloudWatch Logs under /${var.name}/"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "arn:aws:logs:${var.region}:*:log-group:/${var.name}/*"
      },
    ]
  })
  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "logs" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.logs.arn
}

resource "aws_iam_instance_profile" "app" {
  name = var.name
  role = aws_iam_role.app.name
  tags = var.tags
}

output "role_arn" {
  value = aws_iam_role.app.arn
}

output "instance_profile_name" {
  value = aws_iam_instance_profile.app.name
}
