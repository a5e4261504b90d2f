# The two Lambdas, C custom runtimes built by tools/package-lambdas:
#   report_crossing: invoked by the nodes with one crossing -> SQS SendMessage;
#   store_crossings: fed by the queue in batches of up to 5 -> DynamoDB,
#                    returning the failed records as batchItemFailures.

locals {
  lambda_zip_dir = var.lambda_zip_dir != "" ? var.lambda_zip_dir : "${path.module}/../dist/lambda"
  # tools/package-lambdas names them <function>-<arch>.zip.
  report_crossing_zip = "${local.lambda_zip_dir}/report_crossing-${var.architecture}.zip"
  store_crossings_zip = "${local.lambda_zip_dir}/store_crossings-${var.architecture}.zip"
  report_function     = "${var.name}-report-crossing"
  store_function      = "${var.name}-store-crossings"
}

# Created here rather than by Lambda on first use, so that the roles can be
# limited to these log groups and the retention is set.
resource "aws_cloudwatch_log_group" "report_crossing" {
  name              = "/aws/lambda/${local.report_function}"
  retention_in_days = var.log_retention_days
}

resource "aws_cloudwatch_log_group" "store_crossings" {
  name              = "/aws/lambda/${local.store_function}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "report_crossing" {
  function_name    = local.report_function
  description      = "xroad: one crossing report from a node -> the crossings queue"
  role             = aws_iam_role.report_crossing.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]
  filename         = local.report_crossing_zip
  source_code_hash = fileexists(local.report_crossing_zip) ? filebase64sha256(local.report_crossing_zip) : null
  memory_size      = 128
  timeout          = var.report_timeout_s

  environment {
    variables = {
      XROAD_SQS_QUEUE_URL = aws_sqs_queue.crossings.url
    }
  }

  depends_on = [aws_cloudwatch_log_group.report_crossing]

  lifecycle {
    precondition {
      condition     = fileexists(local.report_crossing_zip)
      error_message = "report_crossing-<architecture>.zip is missing from lambda_zip_dir; run tools/package-lambdas --arch <architecture> first (docs/DEPLOY.md)."
    }
  }
}

resource "aws_lambda_function" "store_crossings" {
  function_name    = local.store_function
  description      = "xroad: batches of up to 5 crossings from the queue -> the crossings table"
  role             = aws_iam_role.store_crossings.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]
  filename         = local.store_crossings_zip
  source_code_hash = fileexists(local.store_crossings_zip) ? filebase64sha256(local.store_crossings_zip) : null
  memory_size      = 128
  timeout          = var.store_timeout_s

  environment {
    variables = {
      XROAD_DYNAMODB_TABLE = aws_dynamodb_table.crossings.name
    }
  }

  depends_on = [aws_cloudwatch_log_group.store_crossings]

  lifecycle {
    precondition {
      condition     = fileexists(local.store_crossings_zip)
      error_message = "store_crossings-<architecture>.zip is missing from lambda_zip_dir; run tools/package-lambdas --arch <architecture> first (docs/DEPLOY.md)."
    }
  }
}

# Lambda polls the queue and hands store_crossings up to 5 messages at a time,
# waiting at most batching_window_s to fill a batch. With
# ReportBatchItemFailures only the records the function names as failed come
# back to the queue; the others are deleted.
resource "aws_lambda_event_source_mapping" "crossings" {
  event_source_arn                   = aws_sqs_queue.crossings.arn
  function_name                      = aws_lambda_function.store_crossings.arn
  batch_size                         = 5
  maximum_batching_window_in_seconds = var.batching_window_s
  function_response_types            = ["ReportBatchItemFailures"]
  enabled                            = true

  depends_on = [aws_iam_role_policy.store_crossings]
}
