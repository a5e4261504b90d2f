# Least privilege: each role may do exactly what its code does, on the
# resources it does it to. No wildcard action anywhere; the only "*" in a
# resource is the log-stream suffix of a function's own log group
# ("<log group ARN>:*"): stream names are chosen by Lambda at run time.

# ---- the nodes (EC2 instance role) ----

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "node" {
  name               = "${var.name}-node"
  description        = "xroad nodes: read the routes file and the artifact, report crossings, read the crossings table"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
}

data "aws_iam_policy_document" "node" {
  # Boot (the artifact) and every car's start (the routes file).
  statement {
    sid     = "ReadRoutesAndArtifact"
    actions = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = [
      "${aws_s3_bucket.artifacts.arn}/${aws_s3_object.routes.key}",
      "${aws_s3_bucket.artifacts.arn}/${aws_s3_object.xroad_artifact.key}",
    ]
  }

  # Every crossing is reported through the report_crossing Lambda.
  statement {
    sid       = "ReportCrossing"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.report_crossing.arn]
  }

  # `xroadctl log` on an instance reads the crossings table (one Query per
  # run; tests/terraform/iam_actions.js derives every action from the code).
  statement {
    sid       = "ReadCrossings"
    actions   = ["dynamodb:Query"]
    resources = [aws_dynamodb_table.crossings.arn]
  }
}

resource "aws_iam_role_policy" "node" {
  name   = "${var.name}-node"
  role   = aws_iam_role.node.id
  policy = data.aws_iam_policy_document.node.json
}

resource "aws_iam_instance_profile" "node" {
  name = "${var.name}-node"
  role = aws_iam_role.node.name
}

# ---- the Lambdas ----

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "report_crossing" {
  name               = "${var.name}-report-crossing"
  description        = "xroad report_crossing Lambda: send to the crossings queue"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "report_crossing" {
  statement {
    sid       = "SendCrossing"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.crossings.arn]
  }

  statement {
    sid       = "OwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.report_crossing.arn}:*"]
  }
}

resource "aws_iam_role_policy" "report_crossing" {
  name   = "${var.name}-report-crossing"
  role   = aws_iam_role.report_crossing.id
  policy = data.aws_iam_policy_document.report_crossing.json
}

resource "aws_iam_role" "store_crossings" {
  name               = "${var.name}-store-crossings"
  description        = "xroad store_crossings Lambda: consume the crossings queue, write the crossings table"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
}

data "aws_iam_policy_document" "store_crossings" {
  # What the SQS event source mapping needs from the function's role.
  statement {
    sid       = "ConsumeCrossings"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.crossings.arn]
  }

  statement {
    sid       = "WriteCrossings"
    actions   = ["dynamodb:BatchWriteItem"]
    resources = [aws_dynamodb_table.crossings.arn]
  }

  statement {
    sid       = "OwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.store_crossings.arn}:*"]
  }
}

resource "aws_iam_role_policy" "store_crossings" {
  name   = "${var.name}-store-crossings"
  role   = aws_iam_role.store_crossings.id
  policy = data.aws_iam_policy_document.store_crossings.json
}
