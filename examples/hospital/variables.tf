variable "name_prefix" {
  description = "Prefix for every resource name."
  type        = string
  default     = "chu-exemple"
}

variable "patient_records_bucket" {
  description = "S3 bucket holding scanned patient records (dossiers patients)."
  type        = string
  default     = "chu-exemple-dossiers-patients"
}

variable "analytics_exports_bucket" {
  description = "S3 bucket receiving analytics exports."
  type        = string
  default     = "chu-exemple-analytics-exports"
}

variable "archive_bucket" {
  description = "S3 bucket for long-term archive of closed patient files."
  type        = string
  default     = "chu-exemple-archives-medicales"
}

variable "ehr_db_identifier" {
  description = "RDS identifier of the EHR (DPI) database."
  type        = string
  default     = "chu-exemple-dpi"
}

variable "ehr_db_username" {
  description = "Master user name of the EHR database."
  type        = string
  default     = "dpi_admin"
}

variable "ehr_db_password" {
  description = "Master password of the EHR database. Example only: use a secret manager in real life."
  type        = string
  sensitive   = true
  default     = "example-only-not-a-secret"
}
