//! HCL expression evaluation with unknown values and Terraform's function library.
