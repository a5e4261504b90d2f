# The network the cluster owns: one VPC, one public subnet whose addresses the
# nodes are pinned to (nodes.tf), an internet gateway for apt, S3 and Lambda,
# and one security group shared by every node.

data "aws_availability_zones" "available" {
  state = "available"
}

data "aws_ec2_instance_type_offerings" "node" {
  location_type = "availability-zone"

  filter {
    name   = "instance-type"
    values = [var.instance_type]
  }
}

locals {
  # The first zone of the region that offers the instance type, unless one is given.
  availability_zone = var.availability_zone != "" ? var.availability_zone : sort(
    setintersection(data.aws_availability_zones.available.names, data.aws_ec2_instance_type_offerings.node.locations)
  )[0]
}

resource "aws_vpc" "main" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = {
    Name = var.name
  }
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id

  tags = {
    Name = var.name
  }
}

resource "aws_subnet" "nodes" {
  vpc_id                  = aws_vpc.main.id
  cidr_block              = local.subnet_cidr
  availability_zone       = local.availability_zone
  map_public_ip_on_launch = true

  tags = {
    Name = "${var.name}-nodes"
  }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.main.id
  }

  tags = {
    Name = "${var.name}-public"
  }
}

resource "aws_route_table_association" "nodes" {
  subnet_id      = aws_subnet.nodes.id
  route_table_id = aws_route_table.public.id
}

resource "aws_security_group" "node" {
  name        = "${var.name}-node"
  description = "xroad nodes: nng between nodes, xroadctl and ssh from the operator"
  vpc_id      = aws_vpc.main.id

  tags = {
    Name = "${var.name}-node"
  }
}

# nng between the cluster's own instances only (self-referencing group):
# requests on xroad_port, waves on xroad_port + 1 (docs/CONFIG.md).
resource "aws_vpc_security_group_ingress_rule" "nng_between_nodes" {
  security_group_id            = aws_security_group.node.id
  referenced_security_group_id = aws_security_group.node.id
  ip_protocol                  = "tcp"
  from_port                    = var.xroad_port
  to_port                      = var.xroad_port + 1
  description                  = "nng requests and waves between xroad nodes"
}

# xroadctl speaks the nodes' request service only: the wave port stays closed.
resource "aws_vpc_security_group_ingress_rule" "xroadctl_from_operator" {
  security_group_id = aws_security_group.node.id
  cidr_ipv4         = var.operator_cidr
  ip_protocol       = "tcp"
  from_port         = var.xroad_port
  to_port           = var.xroad_port
  description       = "xroadctl from the operator"
}

resource "aws_vpc_security_group_ingress_rule" "ssh_from_operator" {
  count = var.ssh_key_name != "" ? 1 : 0

  security_group_id = aws_security_group.node.id
  cidr_ipv4         = var.operator_cidr
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  description       = "ssh from the operator"
}

# Out: apt mirrors, S3, Lambda and DynamoDB endpoints (HTTPS), the other nodes.
resource "aws_vpc_security_group_egress_rule" "all_out" {
  security_group_id = aws_security_group.node.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
  description       = "outbound: package mirrors, AWS endpoints, other nodes"
}
