# Archive of closed patient files. Uses the caller's default aws provider.

terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

variable "bucket_name" {
  description = "Name of the archive bucket."
  type        = string
}

variable "name_prefix" {
  description = "Prefix for the Name tag."
  type        = string
}

resource "aws_s3_bucket" "this" {
  bucket = var.bucket_name

  tags = {
    Name                = "${var.name_prefix}-archives-medicales"
    data_classification = "health"
    owner               = "archives"
  }
}

output "bucket_arn" {
  value = aws_s3_bucket.this.arn
}
