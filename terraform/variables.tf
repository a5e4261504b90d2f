# Every knob of the deployment. Only operator_cidr has no default: it decides
# who may reach the cluster, so terraform asks for it.

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must look like us-east-1."
  }
}

variable "name" {
  description = "Name prefix of every resource (bucket, queue, table, functions, roles, instances)."
  type        = string
  default     = "xroad"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,19}$", var.name))
    error_message = "name must be 2-20 characters of a-z, 0-9 and '-', starting with a letter (it prefixes an S3 bucket name)."
  }
}

variable "operator_cidr" {
  description = "CIDR allowed to reach the xroadctl port (and ssh, when ssh_key_name is set), e.g. your address as 203.0.113.7/32."
  type        = string

  validation {
    condition     = can(cidrhost(var.operator_cidr, 0)) && can(regex("^[0-9.]+/[0-9]+$", var.operator_cidr))
    error_message = "operator_cidr must be an IPv4 CIDR such as 203.0.113.7/32."
  }
}

variable "cars" {
  description = "Number of car instances; one light instance is always added (default 4 cars: five instances)."
  type        = number
  default     = 4

  validation {
    condition     = var.cars >= 1 && var.cars <= 31 && floor(var.cars) == var.cars
    error_message = "cars must be a whole number from 1 to 31 (a cluster has at most 32 nodes)."
  }
}

variable "architecture" {
  description = "CPU architecture of the instances and the Lambdas: x86_64 or arm64. The xroad artifact and the Lambda zips must be built for it."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "instance_type" {
  description = "EC2 instance type of every node; must support var.architecture (t3.* for x86_64, t4g.* for arm64)."
  type        = string
  default     = "t3.micro"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must look like t3.micro."
  }
}

variable "vpc_cidr" {
  description = "CIDR of the VPC the deployment owns. The nodes live in its second /24, node i at the fixed private address cidrhost(subnet, 10 + i)."
  type        = string
  default     = "10.42.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && can(regex("^[0-9.]+/(1[6-9]|2[0-3])$", var.vpc_cidr))
    error_message = "vpc_cidr must be an IPv4 CIDR of prefix length /16 to /23 (the nodes' subnet is its second /24)."
  }
}

variable "availability_zone" {
  description = "Availability zone of the subnet; empty picks the first zone of the region that offers instance_type."
  type        = string
  default     = ""
}

variable "xroad_port" {
  description = "Base nng port of every node: requests (xroadctl and peers) on it, waves on it + 1."
  type        = number
  default     = 7100

  validation {
    condition     = var.xroad_port >= 1024 && var.xroad_port <= 65534
    error_message = "xroad_port must be between 1024 and 65534 (the wave port is xroad_port + 1)."
  }
}

variable "ssh_key_name" {
  description = "Name of an existing EC2 key pair to allow ssh from operator_cidr; empty (the default) opens no ssh port."
  type        = string
  default     = ""
}

variable "tls_dir" {
  description = "Directory written by tools/gen-certs --nodes 1+cars (ca.crt, node-ID.crt, node-ID.key, ctl.crt, ctl.key). Set: the nodes speak mutual TLS (tls+tcp://) and each instance gets the CA and its own certificate and key in its user data; ca.key and ctl.key stay here. Empty (the default): plain tcp."
  type        = string
  default     = ""

  validation {
    condition     = !can(regex("\\s", var.tls_dir))
    error_message = "tls_dir must be empty or a directory path without whitespace."
  }
}

variable "xroad_artifact" {
  description = "Path of the xroad build artifact: a .tar.gz holding the xroad and xroadctl executables (see docs/DEPLOY.md). Empty means ../dist/xroad-<architecture>.tar.gz."
  type        = string
  default     = ""

  validation {
    condition     = var.xroad_artifact == "" || can(regex("\\.(tar\\.gz|tgz)$", var.xroad_artifact))
    error_message = "xroad_artifact must be a .tar.gz or .tgz file."
  }
}

variable "routes_file" {
  description = "Path of the routes file uploaded to S3 (turn weights, docs/CONFIG.md). Empty means terraform/routes.txt."
  type        = string
  default     = ""
}

variable "lambda_zip_dir" {
  description = "Directory holding report_crossing-<architecture>.zip and store_crossings-<architecture>.zip from tools/package-lambdas. Empty means ../dist/lambda."
  type        = string
  default     = ""
}

variable "run_id" {
  description = "Run id of the cluster: the first part of every crossing's key in the table. Empty (the default): terraform makes one per deployment, aws-YYYYMMDD-hhmmss, new whenever the instances are (run.tf)."
  type        = string
  default     = ""

  validation {
    condition     = var.run_id == "" || can(regex("^[A-Za-z0-9._-]{1,39}$", var.run_id))
    error_message = "run_id must be empty (generated) or 1-39 characters of A-Z, a-z, 0-9, '.', '_' and '-'."
  }
}

variable "seed" {
  description = "Seed of every car's turns (the same seed gives the same turns)."
  type        = number
  default     = 42

  validation {
    condition     = var.seed >= 0 && floor(var.seed) == var.seed
    error_message = "seed must be a non-negative whole number."
  }
}

variable "topology" {
  description = "Wave topology: star, ring, line, complete or random."
  type        = string
  default     = "star"

  validation {
    condition     = contains(["star", "ring", "line", "complete", "random"], var.topology)
    error_message = "topology must be one of star, ring, line, complete, random."
  }
}

variable "rounds" {
  description = "Rounds the light runs as soon as it starts; 0 (the default) waits for `xroadctl run --rounds N`, so no round starts before every instance has booted."
  type        = number
  default     = 0

  validation {
    condition     = var.rounds >= 0 && floor(var.rounds) == var.rounds
    error_message = "rounds must be a non-negative whole number."
  }
}

variable "cross_ms" {
  description = "Time a car spends in the box, in milliseconds."
  type        = number
  default     = 500

  validation {
    condition     = var.cross_ms >= 0 && var.cross_ms <= 60000
    error_message = "cross_ms must be between 0 and 60000."
  }
}

variable "report_timeout_s" {
  description = "Timeout of the report_crossing Lambda, in seconds."
  type        = number
  default     = 10

  validation {
    condition     = var.report_timeout_s >= 1 && var.report_timeout_s <= 60
    error_message = "report_timeout_s must be between 1 and 60."
  }
}

variable "store_timeout_s" {
  description = "Timeout of the store_crossings Lambda, in seconds; the queue's visibility timeout is derived from it (6x plus the batching window)."
  type        = number
  default     = 30

  validation {
    condition     = var.store_timeout_s >= 1 && var.store_timeout_s <= 120
    error_message = "store_timeout_s must be between 1 and 120 (the queue visibility timeout is 6x it)."
  }
}

variable "batching_window_s" {
  description = "Longest time the event source mapping waits to fill a batch of 5 crossings, in seconds."
  type        = number
  default     = 2

  validation {
    condition     = var.batching_window_s >= 1 && var.batching_window_s <= 300
    error_message = "batching_window_s must be between 1 and 300."
  }
}

variable "max_receive_count" {
  description = "Deliveries of a queue message before it moves to the dead-letter queue."
  type        = number
  default     = 5

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be between 1 and 1000."
  }
}

variable "log_retention_days" {
  description = "Retention of the Lambdas' CloudWatch log groups, in days."
  type        = number
  default     = 14

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch retention value (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}
