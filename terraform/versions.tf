# Terraform and provider versions. The configuration uses the AWS provider v5
# resource split for S3 (aws_s3_bucket_* companions) and security group rules
# (aws_vpc_security_group_*_rule), and check/validation features of 1.5.
terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.30, < 7.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project = "xroad"
      Stack   = var.name
    }
  }
}
