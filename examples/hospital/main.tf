# Bundled sovpolicy example: a French hospital (CHU) on AWS.
#
# Health data (données de santé) must stay on qualified hosting in France
# (eu-west-3, Paris). One bucket below is deliberately created in us-east-1
# through the aws.virginia alias: that is the mistake sovpolicy must block.
#
# The skip_* flags only let `terraform plan` run offline with dummy
# credentials (see scripts/make_plans.sh); they change no placement.

provider "aws" {
  region = "eu-west-3"

  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

provider "aws" {
  alias  = "virginia"
  region = "us-east-1"

  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

# Scanned patient records - Paris.
resource "aws_s3_bucket" "patient_records" {
  bucket = var.patient_records_bucket

  tags = {
    Name                = "${var.name_prefix}-dossiers-patients"
    data_classification = "health"
    owner               = "dsi"
  }
}

# Electronic health record (DPI) database - Paris.
resource "aws_db_instance" "ehr" {
  identifier        = var.ehr_db_identifier
  engine            = "postgres"
  engine_version    = "16.4"
  instance_class    = "db.t4g.medium"
  allocated_storage = 100
  storage_type      = "gp3"
  storage_encrypted = true
  db_name           = "dpi"
  username          = var.ehr_db_username
  password          = var.ehr_db_password

  multi_az                  = true
  backup_retention_period   = 14
  deletion_protection       = true
  skip_final_snapshot       = false
  final_snapshot_identifier = "${var.ehr_db_identifier}-final"

  tags = {
    Name                = "${var.name_prefix}-dpi"
    data_classification = "health"
    owner               = "dsi"
  }
}

# Analytics exports - health data, but created in us-east-1 by mistake.
resource "aws_s3_bucket" "analytics_exports" {
  provider = aws.virginia

  bucket = var.analytics_exports_bucket

  tags = {
    Name                = "${var.name_prefix}-analytics-exports"
    data_classification = "health"
    owner               = "data-team"
  }
}

# Application logs - no health data.
resource "aws_cloudwatch_log_group" "app" {
  name              = "/${var.name_prefix}/portail-patient"
  retention_in_days = 90

  tags = {
    Name                = "${var.name_prefix}-portail-patient-logs"
    data_classification = "internal"
    owner               = "dsi"
  }
}

# Long-term archive of closed patient files - default provider (Paris).
module "archive" {
  source = "./modules/archive"

  bucket_name = var.archive_bucket
  name_prefix = var.name_prefix
}
