# The run id: the first part of every crossing's key, so one table holds
# runs side by side. A constant would make a re-apply with fresh instances
# (which restart at round 1) overwrite the previous run's items.
#
# terraform_data is built into terraform (no provider to download). Its
# input is read once, when it is created: ignore_changes keeps timestamp()
# from changing it at every plan. It is created again, with a new time,
# whenever something that replaces the instances changes (the artifact, the
# routes, the AMI, the cluster settings, the node list, TLS), because a new
# instance starts a new run at round 1.
resource "terraform_data" "run_id" {
  input = "aws-${formatdate("YYYYMMDD-hhmmss", timestamp())}"

  triggers_replace = [
    aws_s3_object.xroad_artifact.version_id,
    aws_s3_object.routes.version_id,
    data.aws_ami.debian.id,
    var.cars,
    var.seed,
    var.topology,
    var.rounds,
    var.cross_ms,
    var.tls_dir,
  ]

  lifecycle {
    ignore_changes = [input]
  }
}

locals {
  # -var run_id=... names the run by hand (and keeps it across applies).
  run_id = var.run_id != "" ? var.run_id : terraform_data.run_id.output
}
