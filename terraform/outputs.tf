# What the operator needs after `terraform apply` (docs/DEPLOY.md).

locals {
  ssh_user = "admin" # the login user of Debian's AMIs

  # The same cluster, seen from the operator's machine: the nodes' public
  # addresses, which the security group opens to operator_cidr (request port only).
  operator_conf = templatefile("${path.module}/templates/cluster.conf.tftpl", {
    run       = local.run_id
    seed      = var.seed
    topology  = var.topology
    routes    = "s3://${aws_s3_bucket.artifacts.id}/${aws_s3_object.routes.key}"
    state_dir = "./xroad-aws-state"
    rounds    = var.rounds
    cross_ms  = var.cross_ms
    nodes = [
      for i, n in local.nodes : merge(n, { address = "${local.scheme}://${aws_instance.node[i].public_ip}:${var.xroad_port}" })
    ]
    # xroadctl finds ctl.crt and ctl.key beside the CA, where gen-certs put
    # them; the nodes' certificates name their ids, not their IPs, so the
    # public addresses verify as well as the private ones.
    tls_ca   = local.tls ? abspath("${var.tls_dir}/ca.crt") : ""
    tls_cert = ""
    tls_key  = ""
  })
}

output "nodes" {
  description = "Every node: id, role, approach, private and public IP, instance id."
  value = [
    for i, n in local.nodes : {
      id          = n.id
      role        = n.role
      approach    = n.approach
      private_ip  = aws_instance.node[i].private_ip
      public_ip   = aws_instance.node[i].public_ip
      instance_id = aws_instance.node[i].id
    }
  ]
}

output "private_ips" {
  description = "Private IP of each node, by node id (node 0 is the light)."
  value       = { for i, n in local.nodes : tostring(n.id) => aws_instance.node[i].private_ip }
}

output "public_ips" {
  description = "Public IP of each node, by node id (node 0 is the light)."
  value       = { for i, n in local.nodes : tostring(n.id) => aws_instance.node[i].public_ip }
}

output "light_public_ip" {
  description = "Public IP of the light (node 0)."
  value       = aws_instance.node[0].public_ip
}

output "xroadctl_config" {
  description = "Cluster configuration with the nodes' public addresses, for xroadctl on the operator's machine."
  value       = local.operator_conf
}

output "xroadctl_command" {
  description = "xroadctl from the operator's machine (operator_cidr), through the nodes' public addresses."
  value       = "terraform output -raw xroadctl_config > xroad-aws.conf && xroadctl --config xroad-aws.conf status"
}

output "ssh_xroadctl_command" {
  description = "xroadctl on the light itself, over ssh (needs ssh_key_name)."
  value       = var.ssh_key_name != "" ? "ssh ${local.ssh_user}@${aws_instance.node[0].public_ip} ${local.tls ? "sudo " : ""}xroadctl --config /etc/xroad/cluster.conf status" : "ssh is closed: set ssh_key_name to open it from operator_cidr"
}

output "bucket" {
  description = "S3 bucket holding the routes file and the xroad artifact."
  value       = aws_s3_bucket.artifacts.id
}

output "routes_uri" {
  description = "The routes file every car reads."
  value       = "s3://${aws_s3_bucket.artifacts.id}/${aws_s3_object.routes.key}"
}

output "table_name" {
  description = "DynamoDB crossings table."
  value       = aws_dynamodb_table.crossings.name
}

output "table_scan_command" {
  description = "AWS CLI command listing the crossings of this run, in round order."
  value       = "aws dynamodb query --region ${var.region} --table-name ${aws_dynamodb_table.crossings.name} --key-condition-expression '#r = :r' --expression-attribute-names '{\"#r\":\"run\"}' --expression-attribute-values '{\":r\":{\"S\":\"${local.run_id}\"}}'"
}

output "queue_name" {
  description = "SQS queue between the two Lambdas."
  value       = aws_sqs_queue.crossings.name
}

output "queue_url" {
  description = "URL of the crossings queue."
  value       = aws_sqs_queue.crossings.url
}

output "dead_letter_queue_url" {
  description = "URL of the dead-letter queue (should stay empty)."
  value       = aws_sqs_queue.crossings_dlq.url
}

output "report_function" {
  description = "Name of the report_crossing Lambda."
  value       = aws_lambda_function.report_crossing.function_name
}

output "store_function" {
  description = "Name of the store_crossings Lambda."
  value       = aws_lambda_function.store_crossings.function_name
}

output "run_id" {
  description = "This deployment's run id, the first part of every crossing's key (xroadctl status shows it; xroadctl log --run selects a run)."
  value       = local.run_id
}
