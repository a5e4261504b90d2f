# The crossing queue between the two Lambdas. SQS delivers at least once;
# store_crossings writes idempotently by (run, round, car), so a redelivery
# is harmless. A message that fails max_receive_count times goes to the
# dead-letter queue, where it waits for an operator instead of looping.

locals {
  # AWS: "set the source queue's visibility timeout to at least six times the
  # timeout that you configure on your function"; the batching window is added
  # because a message is already invisible while its batch fills.
  queue_visibility_timeout_s = 6 * var.store_timeout_s + var.batching_window_s
}

resource "aws_sqs_queue" "crossings_dlq" {
  name                      = "${var.name}-crossings-dlq"
  message_retention_seconds = 1209600 # 14 days, the SQS maximum
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "crossings" {
  name                       = "${var.name}-crossings"
  visibility_timeout_seconds = local.queue_visibility_timeout_s
  message_retention_seconds  = 345600 # 4 days
  receive_wait_time_seconds  = 20
  sqs_managed_sse_enabled    = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.crossings_dlq.arn
    maxReceiveCount     = var.max_receive_count
  })
}

# Only the crossings queue may use the dead-letter queue.
resource "aws_sqs_queue_redrive_allow_policy" "crossings_dlq" {
  queue_url = aws_sqs_queue.crossings_dlq.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.crossings.arn]
  })
}
