# The nodes: one aws_instance definition, count = 1 light + var.cars cars.
# AMI family: Debian 12 (bookworm), the distribution xroad is built and tested
# on, so the artifact built by `cmake --build` runs there as it is and the
# runtime libraries come from the same Debian packages.

locals {
  debian_arch = { x86_64 = "amd64", arm64 = "arm64" }[var.architecture]

  # Every node reads this same file (docs/CONFIG.md); --id tells it which node it is.
  cluster_conf = templatefile("${path.module}/templates/cluster.conf.tftpl", {
    run       = local.run_id
    seed      = var.seed
    topology  = var.topology
    routes    = "s3://${aws_s3_bucket.artifacts.id}/${aws_s3_object.routes.key}"
    state_dir = "/var/lib/xroad"
    rounds    = var.rounds
    cross_ms  = var.cross_ms
    nodes     = local.nodes
    # Each host holds only its own certificate and key, at one fixed path.
    tls_ca   = local.tls ? "/etc/xroad/tls/ca.crt" : ""
    tls_cert = local.tls ? "/etc/xroad/tls/node.crt" : ""
    tls_key  = local.tls ? "/etc/xroad/tls/node.key" : ""
  })

  # tools/gen-certs' files (var.tls_dir) by node: the CA and the node's own
  # certificate and key travel in that node's user data only.
  tls_files = [
    for n in local.nodes : {
      ca   = "${var.tls_dir}/ca.crt"
      cert = "${var.tls_dir}/node-${n.id}.crt"
      key  = "${var.tls_dir}/node-${n.id}.key"
    }
  ]

  # /etc/xroad/env: what the aws cloud backend (src/cloud/aws_cloud.c,
  # docs/CLOUD.md) and xroadctl read. The AWS CLI reads AWS_REGION too.
  # Credentials are not here: the backend gets them from IMDSv2.
  node_env = {
    AWS_REGION            = var.region
    AWS_DEFAULT_REGION    = var.region
    XROAD_REPORT_FUNCTION = aws_lambda_function.report_crossing.function_name # a name, not an ARN
    XROAD_DYNAMODB_TABLE  = aws_dynamodb_table.crossings.name
    XROAD_SQS_QUEUE_URL   = aws_sqs_queue.crossings.url
    # An Invoke waits for report_crossing, which may run its whole timeout:
    # a retry that starts earlier runs beside it and duplicates the message.
    XROAD_LAMBDA_INVOKE_TIMEOUT_MS = tostring((var.report_timeout_s + 5) * 1000)
  }
}

# Debian's own AMIs, published by the Debian cloud team (account 136693071363).
data "aws_ami" "debian" {
  most_recent = true
  owners      = ["136693071363"]

  filter {
    name   = "name"
    values = ["debian-12-${local.debian_arch}-*"]
  }

  filter {
    name   = "architecture"
    values = [var.architecture]
  }

  filter {
    name   = "virtualization-type"
    values = ["hvm"]
  }
}

data "aws_ec2_instance_type" "node" {
  instance_type = var.instance_type
}

resource "aws_instance" "node" {
  count = length(local.nodes)

  ami                         = data.aws_ami.debian.id
  instance_type               = var.instance_type
  subnet_id                   = aws_subnet.nodes.id
  private_ip                  = local.nodes[count.index].private_ip
  associate_public_ip_address = true
  vpc_security_group_ids      = [aws_security_group.node.id]
  iam_instance_profile        = aws_iam_instance_profile.node.name
  key_name                    = var.ssh_key_name != "" ? var.ssh_key_name : null

  # A new artifact, configuration or node list gives new instances: the user
  # data runs only at first boot.
  user_data_replace_on_change = true
  user_data = templatefile("${path.module}/templates/user_data.sh.tftpl", {
    node_id          = local.nodes[count.index].id
    role             = local.nodes[count.index].role
    region           = var.region
    bucket           = aws_s3_bucket.artifacts.id
    artifact_key     = aws_s3_object.xroad_artifact.key
    artifact_version = aws_s3_object.xroad_artifact.version_id
    cluster_conf     = local.cluster_conf
    env              = local.node_env
    # Empty without TLS. A missing file is the precondition's error below,
    # not file()'s.
    tls_ca_pem   = local.tls && fileexists(local.tls_files[count.index].ca) ? file(local.tls_files[count.index].ca) : ""
    tls_cert_pem = local.tls && fileexists(local.tls_files[count.index].cert) ? file(local.tls_files[count.index].cert) : ""
    tls_key_pem  = local.tls && fileexists(local.tls_files[count.index].key) ? sensitive(file(local.tls_files[count.index].key)) : ""
  })

  # IMDSv2 only; a hop limit of 1 keeps the role's credentials on the host.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = 8
    encrypted   = true
  }

  tags = {
    Name = "${var.name}-${local.nodes[count.index].id}-${local.nodes[count.index].role}"
    Role = local.nodes[count.index].role
  }

  # The role must be able to read the artifact when the user data runs.
  depends_on = [aws_iam_role_policy.node, aws_route_table_association.nodes]

  lifecycle {
    precondition {
      condition     = contains(data.aws_ec2_instance_type.node.supported_architectures, var.architecture)
      error_message = "instance_type does not run var.architecture: use t3.* (x86_64) or t4g.* (arm64)."
    }

    precondition {
      condition     = !local.tls || alltrue([for f in values(local.tls_files[count.index]) : fileexists(f)])
      error_message = "tls_dir lacks ca.crt, or node-ID.crt or node-ID.key of a node: run tools/gen-certs --nodes <1 + cars> --out <tls_dir> (docs/DEPLOY.md, \"Mutual TLS\")."
    }
  }
}
