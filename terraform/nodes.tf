# Who is who in the cluster, computed from variables only (no resource), so
# that every node's address is known before any instance exists: the nodes
# find each other through fixed private addresses in a subnet this
# configuration owns, and no instance depends on another.
#
# The offline tests (tests/terraform/) evaluate this file on its own with
# `terraform console` when a terraform binary is at hand; keep it free of
# resource and data references.

locals {
  vpc_prefix  = tonumber(split("/", var.vpc_cidr)[1])
  subnet_cidr = cidrsubnet(var.vpc_cidr, 24 - local.vpc_prefix, 1)

  # Node 0 is the light; cars 1..N take the approaches S E N W in turn
  # (several cars on one approach queue in a lane).
  approaches = ["S", "E", "N", "W"]

  # With tls_dir every node speaks mutual TLS; TLS is all or nothing
  # (docs/CONFIG.md), so one scheme for every address.
  tls    = var.tls_dir != ""
  scheme = local.tls ? "tls+tcp" : "tcp"
  nodes = [
    for i in range(1 + var.cars) : {
      id         = i
      role       = i == 0 ? "light" : "car"
      approach   = i == 0 ? "-" : local.approaches[(i - 1) % 4]
      private_ip = cidrhost(local.subnet_cidr, 10 + i)
      address    = "${local.scheme}://${cidrhost(local.subnet_cidr, 10 + i)}:${var.xroad_port}"
    }
  ]
}
