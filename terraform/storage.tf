# The bucket holding the two objects the instances read at boot: the routes
# file (every car's turn weights) and the xroad build artifact. Private,
# encrypted at rest, versioned; nothing else lives in it.

locals {
  xroad_artifact = var.xroad_artifact != "" ? var.xroad_artifact : "${path.module}/../dist/xroad-${var.architecture}.tar.gz"
  routes_file    = var.routes_file != "" ? var.routes_file : "${path.module}/routes.txt"
}

resource "aws_s3_bucket" "artifacts" {
  # A prefix, not a name: S3 bucket names are global, AWS appends a unique suffix.
  bucket_prefix = "${var.name}-"
  force_destroy = true
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_object" "routes" {
  bucket       = aws_s3_bucket.artifacts.id
  key          = "routes.txt"
  source       = local.routes_file
  source_hash  = fileexists(local.routes_file) ? filemd5(local.routes_file) : null
  content_type = "text/plain"

  depends_on = [aws_s3_bucket_versioning.artifacts, aws_s3_bucket_server_side_encryption_configuration.artifacts]

  lifecycle {
    precondition {
      condition     = fileexists(local.routes_file)
      error_message = "The routes file is missing (variable routes_file)."
    }
  }
}

resource "aws_s3_object" "xroad_artifact" {
  bucket       = aws_s3_bucket.artifacts.id
  key          = "xroad/xroad-${var.architecture}.tar.gz"
  source       = local.xroad_artifact
  source_hash  = fileexists(local.xroad_artifact) ? filemd5(local.xroad_artifact) : null
  content_type = "application/gzip"

  depends_on = [aws_s3_bucket_versioning.artifacts, aws_s3_bucket_server_side_encryption_configuration.artifacts]

  lifecycle {
    precondition {
      condition     = fileexists(local.xroad_artifact)
      error_message = "The xroad artifact is missing; build it first (docs/DEPLOY.md, \"Build the artifacts\")."
    }
  }
}
