# The crossings table: one item per crossing, keyed by the run and by
# "round-car", both zero-padded to 10 digits ("0000000012-0000000003", as
# src/cloud/aws_cloud.c writes it) so that a Query on one run returns its
# crossings in round order. Encrypted at rest with the AWS owned
# key (the DynamoDB default, no KMS charge). Written by store_crossings
# (BatchWriteItem): a redelivered crossing rewrites its own item, so each
# crossing is in the table exactly once (invariant I5). Read by `xroadctl log`.

resource "aws_dynamodb_table" "crossings" {
  name         = "${var.name}-crossings"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "run"
  range_key    = "round_car"

  attribute {
    name = "run"
    type = "S"
  }

  attribute {
    name = "round_car"
    type = "S"
  }
}
